import type { Command } from 'commander';
import type { z } from 'zod';
import type { RecordingStatus, SessionDetail, SessionSummary } from '../../../shared/api/recording';
import { LabelName, SessionName, StartRecordingInput } from '../../../shared/api/recording';
import { BitbenchError } from '../../../shared/errors';
import { command, fail, optionsOf, type CliRuntime, type CommonOptions } from '../runtime';

function validated<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : what}: ${i.message}`)
    .join('; ');
  throw new BitbenchError('bad_request', `Invalid ${what}: ${issues}`);
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) fail(`${flag} needs a number, got "${v}".`);
  return n;
}

function int(v: string, flag: string): number {
  const n = num(v, flag)!;
  if (!Number.isInteger(n) || n < 0) fail(`${flag} needs a whole number ≥ 0, got "${v}".`);
  return n;
}

const f2 = (x: number) => x.toFixed(2);

export function renderSummary(s: SessionSummary): string {
  const rate = s.rate_hz === null ? 'unknown rate' : `${s.rate_hz} Hz`;
  return [
    `session ${s.id} "${s.name}" — ${s.state}`,
    `samples       ${s.samples} at ${rate} (${f2(s.duration_s)} s), channels ${s.channels.join(', ')}`,
    `continuity    ${s.gaps} gaps, ${s.dropped_frames} dropped frames (${s.clock === 'host' ? 'host arrival times' : 'board timestamps'})`,
    `label         ${s.label ?? '—'}${s.segments ? ` + ${s.segments} segment${s.segments === 1 ? '' : 's'}` : ''}; dataset ${s.dataset ?? '—'}; board ${s.board ?? '—'} (${s.stream})`,
  ].join('\n');
}

function renderDetail(d: SessionDetail): string {
  const lines = [renderSummary(d)];
  for (const l of d.labels)
    lines.push(`  label ${String(l.id).padStart(4)}  ${l.label.padEnd(16)} [${l.start}, ${l.end ?? 'end'})`);
  for (const g of d.discontinuities.slice(0, 10))
    lines.push(`  gap at sample ${g.sample}: ${(g.jump_us / 1000).toFixed(1)} ms`);
  if (d.discontinuities.length > 10) lines.push(`  … ${d.discontinuities.length - 10} more gaps`);
  if (d.bad_lines) lines.push(`  ${d.bad_lines} bad lines skipped`);
  for (const w of d.warnings) lines.push(`  ${w}`);
  for (const n of d.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

export function progressLine(s: RecordingStatus): string {
  if (s.state === 'countdown') return `starting in ${s.countdownLeftS} s…`;
  if (s.state === 'connecting') return `connecting to ${s.board}…`;
  const of = s.durationS ? ` / ${f2(s.durationS)} s` : '';
  const rate =
    s.stream === 'forwarder' && s.detectedRateHz !== null ? `, measured ${s.detectedRateHz} Hz` : '';
  const bad = s.badLines ? `, ${s.badLines} bad lines` : '';
  return `recording${s.label ? ` ${s.label}` : ''}: ${f2(s.recordedS)} s${of}, ${s.samples} samples${rate}, ${s.gaps} gaps, ${s.droppedFrames} dropped${bad}`;
}

interface RecordFlags extends CommonOptions {
  board: string;
  seconds?: string;
  label?: string;
  dataset?: string;
  rate?: string;
  channels?: string;
  name?: string;
  countdown?: string;
  forwarder?: boolean;
  baud?: string;
}

export function registerRecordCommands(program: Command, rt: CliRuntime): void {
  command(program, 'record', 'record sensor data from a board into a session')
    .requiredOption('--board <spec>', 'virtual:m4, virtual:m0 or a serial port path')
    .option('--seconds <s>', 'stop after this many seconds of samples (default: until Ctrl-C)')
    .option('--label <label>', 'label of the whole session')
    .option('--dataset <group>', 'session group the recording joins (build a dataset from it later)')
    .option(
      '--rate <hz>',
      'sample rate (bitbench boards: requested, default 100; --forwarder: known rate, else measured)',
    )
    .option(
      '--channels <list>',
      'comma-separated: IMU channels to stream (acc_x,…,gyro_z), or names for the forwarder columns',
    )
    .option('--name <name>', 'session name (default: label and time)')
    .option('--countdown <s>', 'seconds to count down before recording', '0')
    .option(
      '--forwarder',
      'the board prints text lines (numbers separated by commas, spaces or tabs) instead of running bitbench firmware',
    )
    .option('--baud <rate>', 'serial speed for --forwarder', '115200')
    .action(async (_o, cmd: Command) => {
      const opts = optionsOf<RecordFlags>(cmd);
      const input = validated(
        StartRecordingInput,
        {
          board: opts.board,
          source: opts.forwarder ? 'forwarder' : 'bitbench',
          rateHz: num(opts.rate, '--rate'),
          channels: opts.channels?.split(',').map((c) => c.trim()),
          baudRate: num(opts.baud, '--baud'),
          name: opts.name,
          label: opts.label,
          dataset: opts.dataset,
          countdownS: int(opts.countdown ?? '0', '--countdown'),
          durationS: num(opts.seconds, '--seconds'),
        },
        'recording options',
      );
      const { ctx, services } = await rt.open(opts);
      const tty = process.stderr.isTTY && !opts.json;
      let last = 0;
      let width = 0;
      const unsubscribe = ctx.events.subscribe((name, payload) => {
        if (name !== 'recordingStatus') return;
        const s = payload as RecordingStatus;
        const now = Date.now();
        if (s.state === 'idle' || (now - last < (tty ? 200 : 2000) && s.state === 'recording')) return;
        last = now;
        const line = progressLine(s);
        if (tty) {
          process.stderr.write(`\r${line.padEnd(width)}`);
          width = line.length;
        } else if (!opts.json) process.stderr.write(line + '\n');
      });
      const onSigint = () => {
        process.stderr.write('\nstopping…\n');
        void services.recording.stop({});
      };
      process.once('SIGINT', onSigint);
      try {
        await services.recording.start(input);
        if (!input.durationS && !tty && !opts.json) process.stderr.write('recording until Ctrl-C…\n');
        const summary = await services.recording.wait({});
        const status = await services.recording.status({});
        if (tty) process.stderr.write('\n');
        if (!summary)
          throw new BitbenchError(
            'device',
            status.error ?? 'The recording ended before any session was stored.',
          );
        if (status.error) process.stderr.write(`warning: ${status.error}\n`);
        rt.print(opts, summary, renderSummary);
        // The samples up to the loss are stored (printed above); a script must still learn that the
        // recording did not run to its end.
        if (summary.state !== 'complete') rt.exitCode = 1;
      } finally {
        process.off('SIGINT', onSigint);
        unsubscribe();
      }
    });

  const sessions = program
    .command('sessions')
    .description('recorded sessions: list, show, label, rename, delete, undo');

  command(sessions, 'list', 'sessions, newest first')
    .option('--dataset <group>', 'only sessions of this group')
    .option('--limit <n>', 'how many', '100')
    .action(async (_o, cmd: Command) => {
      const opts = optionsOf<CommonOptions & { dataset?: string; limit: string }>(cmd);
      const { services } = await rt.open(opts);
      const list = await services.recording.sessions({
        limit: int(opts.limit, '--limit') || 1,
        ...(opts.dataset ? { dataset: opts.dataset } : {}),
      });
      rt.print(opts, list, (v) =>
        v.length === 0
          ? 'No sessions yet. Record one: bitbench record --board virtual:m4 --seconds 10 --label wave --dataset gestures'
          : v
              .map(
                (s) =>
                  `${String(s.id).padStart(5)}  ${s.name.padEnd(32).slice(0, 32)} ${(s.label ?? '—').padEnd(12)} ${(s.dataset ?? '—').padEnd(12)} ${String(s.samples).padStart(8)} samples ${s.rate_hz ?? '?'} Hz  ${s.state}${s.gaps ? `, ${s.gaps} gaps` : ''}`,
              )
              .join('\n'),
      );
    });

  command(sessions, 'show <id>', 'one session: counters, labels, gaps, warnings').action(
    async (id: string, _o, cmd: Command) => {
      const opts = optionsOf(cmd);
      const { services } = await rt.open(opts);
      rt.print(opts, await services.recording.session({ id: int(id, 'id') }), renderDetail);
    },
  );

  command(sessions, 'label <id> <label>', 'label a whole session, or samples [start, end) with --start/--end')
    .option('--start <sample>', 'first sample of the segment')
    .option('--end <sample>', 'end sample of the segment (exclusive)')
    .action(async (id: string, label: string, _o, cmd: Command) => {
      const opts = optionsOf<CommonOptions & { start?: string; end?: string }>(cmd);
      const name = validated(LabelName, label, 'label');
      const { services } = await rt.open(opts);
      const sid = int(id, 'id');
      let d: SessionDetail;
      if (opts.start !== undefined || opts.end !== undefined) {
        if (opts.start === undefined || opts.end === undefined)
          fail('A segment needs both --start and --end.');
        d = await services.recording.addSegment({
          id: sid,
          label: name,
          start: int(opts.start, '--start'),
          end: int(opts.end, '--end'),
        });
      } else d = await services.recording.label({ id: sid, label: name });
      rt.print(opts, d, renderDetail);
    });

  command(sessions, 'unlabel <labelId>', 'remove one label or segment (see `sessions show`)').action(
    async (labelId: string, _o, cmd: Command) => {
      const opts = optionsOf(cmd);
      const { services } = await rt.open(opts);
      rt.print(
        opts,
        await services.recording.deleteSegment({ labelId: int(labelId, 'labelId') }),
        renderDetail,
      );
    },
  );

  command(sessions, 'rename <id> <name>', 'rename a session').action(
    async (id: string, name: string, _o, cmd: Command) => {
      const opts = optionsOf(cmd);
      const { services } = await rt.open(opts);
      const s = await services.recording.rename({
        id: int(id, 'id'),
        name: validated(SessionName, name, 'name'),
      });
      rt.print(opts, s, renderSummary);
    },
  );

  command(sessions, 'delete <id>', 'delete a session (undo with `bitbench sessions undo`)').action(
    async (id: string, _o, cmd: Command) => {
      const opts = optionsOf(cmd);
      const { services } = await rt.open(opts);
      const r = await services.recording.delete({ id: int(id, 'id') });
      rt.print(opts, r, (v) => `Deleted session ${v.deleted}. To undo: bitbench sessions undo (${v.undo}).`);
    },
  );

  command(sessions, 'undo', 'undo the last delete, relabel, segment edit or rename').action(
    async (_o, cmd: Command) => {
      const opts = optionsOf(cmd);
      const { services } = await rt.open(opts);
      const r = await services.recording.undo({});
      rt.print(opts, r, (v) => (v.action ? `Undone: ${v.description}.` : 'Nothing to undo.'));
    },
  );
}
