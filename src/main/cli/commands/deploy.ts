import type { Command } from 'commander';
import {
  compareCsv,
  devicePartial,
  flaggedReason,
  type CompareResult,
  type Estimate,
  type FlashResult,
  type ProfileResult,
  type ReproduceResult,
  type RunDetail,
  type RunSummary,
} from '../../../shared/api/deploy';
import { command, fail, optionsOf, type CliRuntime, type CommonOptions } from '../runtime';
import { writeFileAtomic } from '../../write-file-atomic';

/**
 * `bitbench estimate|flash|profile|compare` and `bitbench runs list|show|reproduce`
 * (docs/deploy-and-profile.md). `profile --json` prints the ProfileResult, whose field names are
 * a public interface.
 */
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${(100 * v).toFixed(2)} %`;
const num = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits });
const bytes = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${num(v)} B`);

function wholeNumber(v: string | undefined, flag: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) fail(`${flag} must be a whole number ≥ ${min}, got "${v}".`);
  return Number(v);
}

function renderEstimate(e: Estimate): string {
  const lines = [
    `${e.model} on ${e.board.spec} (${e.board.name}, ${e.board.cpu}; board info ${e.board_info_source})`,
    `estimated latency ${num(e.latency)} ${e.board.counter}${e.latency_us !== null ? ` (${num(e.latency_us, 1)} µs)` : ''}, ` +
      `${e.counts_per_mac !== null ? `${e.counts_per_mac.toFixed(2)} ${e.board.counter}/MAC` : ''} — ${e.calibration}`,
    ...e.per_layer.map(
      (l) =>
        `  ${String(l.index).padStart(2)} ${l.name.padEnd(12)} ${l.kernel.padEnd(16)} w${l.weight_bits ?? '-'} ${num(l.macs).padStart(10)} MACs  ≈ ${num(l.estimate).padStart(10)}`,
    ),
    `memory: model ${bytes(e.memory.model_bytes)} of a ${bytes(e.memory.model_slot_bytes)} slot; arena ${bytes(e.memory.arena_used_bytes)} of ${bytes(e.memory.board_arena_bytes)}`,
    e.memory.fits ? 'fits' : e.memory.problems.join('\n  '),
  ];
  return lines.join('\n');
}

function renderFlash(f: FlashResult): string {
  return f.already_active
    ? `${f.model} already runs on ${f.board} (crc32 ${f.crc32}, hash ${f.model_hash}); nothing sent. --force reloads it.`
    : `${f.model} → ${f.board}: ${num(f.bytes)} B in ${f.chunks} chunks, ${f.seconds.toFixed(2)} s (${num(f.bytes_per_second)} B/s)` +
        `${f.resumed_from ? `, resumed at ${f.resumed_from}` : ''}; verified crc32 ${f.crc32}, hash ${f.model_hash}, slot ${f.slot ?? '?'} (run ${f.run_id})`;
}

/** "mnist@1 test: 200 / 200 windows (the first 200 of the split's 10,000: --limit)". */
export function profileWindowsLine(
  p: Pick<
    ProfileResult,
    'dataset' | 'dataset_version' | 'split' | 'windows' | 'windows_total' | 'split_windows'
  >,
): string {
  return (
    `${p.dataset}@${p.dataset_version} ${p.split}: ${p.windows} / ${p.windows_total} windows` +
    (p.split_windows !== undefined && p.windows_total < p.split_windows
      ? ` (the first ${num(p.windows_total)} of the split's ${num(p.split_windows)}: --limit)`
      : '')
  );
}

export function renderProfile(p: ProfileResult): string {
  const u = p.latency.unit;
  const lines = [
    `run ${p.run_id} (${p.state}${p.note ? `: ${p.note}` : ''}): ${p.model} on ${p.board} (${p.board_name}, ${p.cpu}, firmware ${p.firmware_version} build ${p.build_id})`,
    profileWindowsLine(p),
    `device accuracy ${pct(p.device_accuracy)}, host integer reference ${pct(p.host_accuracy)} — ${p.bit_exact ? 'bit-exact' : `NOT bit-exact: ${p.mismatches} mismatching windows`}`,
    ...p.mismatch_details
      .slice(0, 5)
      .map(
        (m) =>
          `  window ${m.window}: device ${m.device_prediction}, host ${m.host_prediction}; first differing layer ${m.first_layer ?? '?'}${m.layer_name ? ` (${m.layer_name})` : ''}${m.differing_values !== null ? `, ${m.differing_values} values, max |Δ| ${m.max_abs_diff}` : ''}`,
      ),
    `latency ${num(p.latency.mean)} ${u} mean, p50 ${num(p.latency.p50)}, p99 ${num(p.latency.p99)} — ${p.latency.label}` +
      (p.latency.us ? `; ${num(p.latency.us.mean, 1)} µs mean` : ''),
    `${p.counts_per_mac !== null ? `${p.counts_per_mac.toFixed(2)} ${u}/MAC overall over ${num(p.macs)} MACs; ` : ''}estimate: ${p.calibration}`,
    `  #  layer        kernel           bits       MACs      measured      estimate   dev    ${u}/MAC`,
    ...p.per_layer.map(
      (l) =>
        `  ${String(l.index).padStart(2)} ${l.name.padEnd(12)} ${l.kernel.padEnd(16)} ${String(l.weight_bits ?? '-').padStart(4)} ${num(l.macs).padStart(10)} ${num(l.counts).padStart(13)} ${num(l.estimate).padStart(13)} ${l.deviation === null ? '   —' : `${(100 * l.deviation).toFixed(0).padStart(4)}%`}${l.flagged ? '!' : ' '} ${l.counts_per_mac !== null ? l.counts_per_mac.toFixed(2).padStart(8) : '       —'}`,
    ),
    p.layers_flagged
      ? `${p.layers_flagged} layer(s) more than 25 % off the estimate (!): ${flaggedReason(u)}`
      : 'every layer within 25 % of the estimate',
    `RAM ${bytes(p.ram_bytes)} (arena ${bytes(p.memory.arena_used_bytes)} + stack high-water ${bytes(p.memory.stack_hwm_bytes)}; ${p.memory.source}), flash ${bytes(p.flash_bytes)} (model ${bytes(p.model_bytes)} + firmware ${bytes(p.memory.firmware_flash_bytes)})`,
    `serial: ${p.serial.ms_per_window.toFixed(2)} ms and ${num(p.serial.wire_bytes_per_window)} B on the wire per window`,
  ];
  return lines.join('\n');
}

export function renderRuns(rows: RunSummary[]): string {
  if (rows.length === 0) return 'no runs yet: `bitbench profile --model <variant> --board virtual:m4`';
  // Columns as wide as their longest entry: a variant name like walk-fp-universal-s1-w1 keeps them aligned.
  const modelW = Math.max(16, ...rows.map((r) => (r.model ?? '?').length));
  const boardW = Math.max(12, ...rows.map((r) => (r.board ?? '').length));
  return rows
    .map(
      (r) =>
        `${String(r.id).padStart(4)} ${r.kind.padEnd(7)} ${r.state.padEnd(8)} ${(r.model ?? '?').padEnd(modelW)} ${(r.board ?? '').padEnd(boardW)} ` +
        (r.kind === 'profile'
          ? `${r.windows}/${r.windows_total} windows  device ${pct(r.device_accuracy)}  host ${pct(r.host_accuracy)}  ${r.bit_exact === null ? '' : r.bit_exact ? 'bit-exact' : 'MISMATCH'}  ${r.latency_mean !== null ? `${num(r.latency_mean)} ${r.unit}` : ''}`
          : '') +
        `  ${r.created_at}${r.note ? `  (${r.note})` : ''}`,
    )
    .join('\n');
}

export function renderCompare(c: CompareResult): string {
  const nameW = Math.max(18, ...c.rows.map((r) => r.name.length));
  const lines = [
    `${c.model}${c.board ? ` on ${c.board}` : ''}: ${c.rows.length} rows (* on the accuracy/latency Pareto front, + on accuracy/size)`,
    `  ${'name'.padEnd(nameW)} bits    host acc   device acc  exact        size        BOPs   latency`,
  ];
  const partial = c.rows.filter(devicePartial);
  for (const r of c.rows)
    lines.push(
      `${r.pareto_latency ? '*' : ' '}${r.pareto_size ? '+' : ' '}${r.name.padEnd(nameW)} ${`${r.weights_bits}/${r.acts_bits}`.padEnd(6)} ${pct(r.host_accuracy).padStart(9)} ${`${devicePartial(r) ? '~' : ''}${pct(r.device_accuracy)}`.padStart(11)}  ${r.bit_exact === null ? '  —  ' : r.bit_exact ? ' yes ' : ' NO  '} ${bytes(r.size_bytes).padStart(12)} ${num(r.bops).padStart(12)}   ${r.latency ? `${num(r.latency.mean)} ${r.latency.unit}${r.board ? ` (${r.board})` : ''}` : '—'}`,
    );
  for (const r of partial)
    lines.push(
      `~ ${r.name}: device accuracy of its newest profile covers only ${num(r.device_windows!)} of ${num(r.device_windows_total!)} ${r.device_split ?? ''} windows; ranked by its host accuracy (whole test split)`,
    );
  return lines.join('\n');
}

interface ModelBoard extends CommonOptions {
  model: string;
  board: string;
}

export function registerDeployCommands(program: Command, rt: CliRuntime): void {
  command(
    program,
    'estimate',
    'estimate latency and memory of a quantized model on a board (before flashing)',
  )
    .requiredOption('--model <name>', 'quantized variant')
    .requiredOption('--board <spec>', 'virtual:m4, virtual:m0 or a serial port')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<ModelBoard>(cmd);
      const { services } = await rt.open(o);
      rt.print(o, await services.deploy.estimate({ model: o.model, board: o.board }), renderEstimate);
    });

  command(
    program,
    'flash',
    'load a quantized model into a board (verified, resumable; the previous model stays on failure)',
  )
    .requiredOption('--model <name>', 'quantized variant')
    .requiredOption('--board <spec>', 'virtual:m4, virtual:m0 or a serial port')
    .option('--force', 'load even if the board already runs this exact blob')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<ModelBoard & { force?: boolean }>(cmd);
      const { ctx, services } = await rt.open(o);
      const { jobId } = await services.deploy.flash({
        model: o.model,
        board: o.board,
        force: o.force ?? false,
      });
      const r = await rt.follow<FlashResult>(ctx, jobId, o);
      rt.print(o, r, renderFlash);
    });

  command(program, 'profile', 'run a held-out split on a board: accuracy, bit-exactness, latency, memory')
    .option('--model <name>', 'quantized variant')
    .option('--board <spec>', 'virtual:m4, virtual:m0 or a serial port')
    .option('--split <split>', 'train, val or test', 'test')
    .option('--limit <n>', 'only the first n windows of the split')
    .option('--dataset <name>', 'dataset (default: the one the variant was quantized with)')
    .option('--resume <run>', 'continue a partial run')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<
        CommonOptions & {
          model?: string;
          board?: string;
          split: string;
          limit?: string;
          dataset?: string;
          resume?: string;
        }
      >(cmd);
      if (!['train', 'val', 'test'].includes(o.split))
        fail(`--split must be train, val or test, got "${o.split}".`);
      const resume = wholeNumber(o.resume, '--resume');
      if (resume === undefined && (!o.model || !o.board))
        fail('profile needs --model and --board (or --resume <run id>).');
      const limit = wholeNumber(o.limit, '--limit');
      const { ctx, services } = await rt.open(o);
      const { jobId, runId } = await services.deploy.profile({
        ...(o.model ? { model: o.model } : {}),
        ...(o.board ? { board: o.board } : {}),
        split: o.split as 'train' | 'val' | 'test',
        ...(limit !== undefined ? { limit } : {}),
        ...(o.dataset ? { dataset: o.dataset } : {}),
        ...(resume !== undefined ? { resume } : {}),
        maxMismatchDetails: 20,
      });
      if (!o.json) process.stderr.write(`run ${runId}\n`);
      const r = await rt.follow<ProfileResult>(ctx, jobId, o);
      rt.print(o, r, renderProfile);
    });

  command(
    program,
    'compare',
    'a float model and all its quantized variants side by side, with device results',
  )
    .requiredOption('--model <name>', 'float model (or any of its variants)')
    .option('--board <spec>', 'only device results from this board')
    .option('--csv <file>', 'also write the table as CSV')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<CommonOptions & { model: string; board?: string; csv?: string }>(cmd);
      const { services } = await rt.open(o);
      const c = await services.deploy.compare({ model: o.model, ...(o.board ? { board: o.board } : {}) });
      if (o.csv) writeFileAtomic(o.csv, compareCsv(c.rows));
      rt.print(o, c, renderCompare);
    });

  const runs = program.command('runs').description('flash and profile runs (reproducible records)');
  command(runs, 'list', 'runs, newest first')
    .option('--model <name>', 'only runs of this model')
    .option('--kind <kind>', 'profile or flash')
    .option('--limit <n>', 'at most n runs', '50')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<CommonOptions & { model?: string; kind?: string; limit: string }>(cmd);
      if (o.kind && o.kind !== 'profile' && o.kind !== 'flash')
        fail(`--kind must be profile or flash, got "${o.kind}".`);
      const { services } = await rt.open(o);
      const rows = await services.deploy.runs({
        limit: wholeNumber(o.limit, '--limit')!,
        ...(o.model ? { model: o.model } : {}),
        ...(o.kind ? { kind: o.kind as 'profile' | 'flash' } : {}),
      });
      rt.print(o, rows, renderRuns);
    });
  command(runs, 'show <id>', 'one run: its reproducible record and results').action(
    async (id: string, _o, cmd: Command) => {
      const o = optionsOf<CommonOptions>(cmd);
      const { services } = await rt.open(o);
      const d = await services.deploy.run({ id: wholeNumber(id, 'run id')! });
      rt.print(o, d, (v: RunDetail) =>
        [
          renderRuns([v.summary]),
          v.record
            ? `record: ${v.record.model.name} (blob ${v.record.model.blob.hash}, integer model sha256 ${v.record.model.integer_model_sha256.slice(0, 16)}…), ` +
              `${v.record.dataset.name}@${v.record.dataset.version} ${v.record.dataset.split} (${v.record.dataset.windows} windows, sha256 ${v.record.dataset.sha256.slice(0, 16)}…), ` +
              `${v.record.board.name} firmware ${v.record.board.firmware_version} build ${v.record.board.build_id}`
            : '',
          v.result && 'device_accuracy' in v.result
            ? renderProfile(v.result)
            : v.result
              ? renderFlash(v.result)
              : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    },
  );
  command(runs, 'reproduce <id>', "recompute a run's host-side numbers and check they are identical").action(
    async (id: string, _o, cmd: Command) => {
      const o = optionsOf<CommonOptions>(cmd);
      const { services } = await rt.open(o);
      const r = await services.deploy.reproduce({ id: wholeNumber(id, 'run id')! });
      rt.print(o, r, (v: ReproduceResult) =>
        [
          `run ${v.run_id}: ${v.identical ? 'host side reproduced exactly' : 'DIFFERS'}`,
          ...v.checks.map(
            (c) =>
              `  ${c.same ? 'same' : 'DIFF'}  ${c.what}${c.same ? '' : `: stored ${c.stored}, now ${c.now}`}`,
          ),
        ].join('\n'),
      );
      if (!r.identical) rt.exitCode = 1;
    },
  );
}
