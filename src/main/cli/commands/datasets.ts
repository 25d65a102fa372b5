import path from 'node:path';
import type { Command } from 'commander';
import type { z } from 'zod';
import {
  BuildInputSchema,
  ImportInputSchema,
  type DatasetSummary,
  type ExportResult,
  type ImportInput,
} from '../../../shared/api/datasets';
import { splitWording } from '../../../shared/dataset-wording';
import { command, fail, optionsOf, type CliRuntime, type CommonOptions } from '../runtime';

interface WindowFlags extends CommonOptions {
  name?: string;
  windowLength?: string;
  stride?: string;
  splitBy?: 'auto' | 'subject' | 'session' | 'segment';
  valFraction?: string;
  testFraction?: string;
  seed?: string;
  normalize?: 'standardize' | 'none';
}

/** Validates like the API boundary does (defaults, bounds), with the same kind of message. */
function validated<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    fail(
      r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; '),
    );
  }
  return r.data;
}

function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) fail(`${flag} must be a whole number, got "${v}".`);
  return Number(v);
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) fail(`${flag} must be a number, got "${v}".`);
  return n;
}

function windowInput(o: WindowFlags) {
  const out: Record<string, unknown> = { name: o.name };
  const wl = int(o.windowLength, '--window-length');
  const st = int(o.stride, '--stride');
  const vf = num(o.valFraction, '--val-fraction');
  const tf = num(o.testFraction, '--test-fraction');
  const seed = int(o.seed, '--seed');
  if (wl !== undefined) out.windowLength = wl;
  if (st !== undefined) out.stride = st;
  if (vf !== undefined) out.valFraction = vf;
  if (tf !== undefined) out.testFraction = tf;
  if (seed !== undefined) out.seed = seed;
  if (o.splitBy) out.splitBy = o.splitBy;
  if (o.normalize) out.normalization = o.normalize;
  return out;
}

function withWindowFlags(cmd: Command, nameDefault?: string): Command {
  return (
    nameDefault
      ? cmd.option('--name <name>', `dataset name (default: ${nameDefault}; a new version if it exists)`)
      : cmd.requiredOption('--name <name>', 'dataset name (a new version if it exists)')
  )
    .option('--window-length <n>', 'samples per window')
    .option('--stride <n>', 'samples between window starts')
    .option('--split-by <how>', 'auto | subject | session | segment')
    .option('--val-fraction <f>', 'share of groups in the validation split')
    .option('--test-fraction <f>', 'share of groups in the test split')
    .option('--seed <n>', 'random seed of the split', '42')
    .option('--normalize <how>', 'standardize | none');
}

function human(d: DatasetSummary): string {
  const classes = Object.entries(d.classes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const splits = Object.entries(d.splits)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `${d.name}@${d.version}${d.locked ? ' (locked)' : ''}  ${d.kind}  ${d.windows} windows of [${d.shape.join(', ')}]${d.rate_hz ? ` at ${d.rate_hz} Hz` : ''}`,
    `  classes   ${classes}`,
    `  splits    ${splits}  (${splitWording(d)})`,
    `  channels  ${d.channel_names.join(', ')}`,
    ...(d.subjects ? [`  test subjects  ${(d.subjects.test ?? []).join(', ')}`] : []),
    ...d.notes.map((n) => `  note      ${n}`),
    ...d.warnings.map((w) => `  WARNING   ${w}`),
  ].join('\n');
}

export function registerDatasetsCommands(program: Command, rt: CliRuntime): void {
  const ds = program.command('datasets').description('import, build, inspect and export windowed datasets');
  const imp = ds
    .command('import')
    .description('import a public data set or CSV files as a new dataset version');

  const runImport = async (cmd: Command, input: ImportInput) => {
    const opts = optionsOf<CommonOptions>(cmd);
    const { ctx, services } = await rt.open(opts);
    const { jobId } = await services.datasets.import(validated(ImportInputSchema, input));
    const t0 = Date.now();
    const result = (await rt.follow(ctx, jobId, opts)) as DatasetSummary;
    const seconds = (Date.now() - t0) / 1000;
    rt.print(
      opts,
      { ...result, import_seconds: Math.round(seconds * 100) / 100 },
      (v) => `${human(v)}\n  imported in ${seconds.toFixed(1)} s`,
    );
  };

  withWindowFlags(
    command(
      imp,
      'uci-hapt <dir>',
      'UCI-HAPT raw recordings → UCI-HAR windows (9 channels, 128 samples, subject split)',
    ),
  ).action(async (dir: string, _o, cmd: Command) => {
    const o = optionsOf<WindowFlags>(cmd);
    await runImport(cmd, { kind: 'uci-hapt', path: dir, ...windowInput(o) } as ImportInput);
  });

  withWindowFlags(
    command(imp, 'csv <path>', 'CSV file(s): one per recording, with a label column, or one per class'),
  )
    .option('--label-column <col>', 'column (name or 0-based index) holding the label of each row')
    .option('--recording-length <n>', 'rows per recording in files holding many recordings')
    .option('--rate <hz>', 'samples per second (default: from a time column)')
    .option('--label-from <where>', 'auto | file | folder')
    .option('--channels <list>', 'comma-separated columns to use as channels')
    .action(async (p: string, _o, cmd: Command) => {
      const o = optionsOf<
        WindowFlags & {
          labelColumn?: string;
          recordingLength?: string;
          rate?: string;
          labelFrom?: 'auto' | 'file' | 'folder';
          channels?: string;
        }
      >(cmd);
      const csv: Record<string, unknown> = {};
      if (o.labelColumn !== undefined) csv.labelColumn = o.labelColumn;
      const rl = int(o.recordingLength, '--recording-length');
      if (rl !== undefined) csv.recordingLength = rl;
      const rate = num(o.rate, '--rate');
      if (rate !== undefined) csv.rate = rate;
      if (o.labelFrom) csv.labelFrom = o.labelFrom;
      if (o.channels) csv.channels = o.channels.split(',').map((s) => s.trim());
      await runImport(cmd, { kind: 'csv', path: p, csv, ...windowInput(o) } as ImportInput);
    });

  withWindowFlags(
    command(imp, 'mnist <dir>', 'MNIST idx(.gz) files → [28, 28, 1] windows in 0..1, train 60k / test 10k'),
  ).action(async (dir: string, _o, cmd: Command) => {
    const o = optionsOf<WindowFlags>(cmd);
    await runImport(cmd, { kind: 'mnist', path: dir, ...windowInput(o) } as ImportInput);
  });

  withWindowFlags(
    command(ds, 'build <group>', 'build a dataset version from the recorded sessions of a group'),
    "the group's name",
  ).action(async (group: string, _o, cmd: Command) => {
    const o = optionsOf<WindowFlags>(cmd);
    const { ctx, services } = await rt.open(o);
    // Like the Datasets page's Build dataset: named after the group unless --name says otherwise.
    const name = o.name ?? group.replace(/[^A-Za-z0-9._-]/g, '-');
    const { jobId } = await services.datasets.build(
      validated(BuildInputSchema, { group, ...windowInput({ ...o, name }) }),
    );
    const result = (await rt.follow(ctx, jobId, o)) as DatasetSummary;
    rt.print(o, result, human);
  });

  command(ds, 'list', 'datasets (newest version of each)').action(async (_o, cmd: Command) => {
    const o = optionsOf(cmd);
    const { services } = await rt.open(o);
    const list = await services.datasets.list({});
    rt.print(o, list, (v) =>
      v.length === 0
        ? 'No datasets yet. Import one: bitbench datasets import uci-hapt ../shared/datasets/uci-hapt --name har'
        : v
            .map(
              (d) =>
                `${`${d.name}@${d.version}`.padEnd(16)} ${d.kind.padEnd(9)} ${String(d.windows).padStart(7)} windows  [${d.shape.join(', ')}]  ${Object.keys(d.classes).length} classes  ` +
                `train/val/test ${d.splits.train ?? 0}/${d.splits.val ?? 0}/${d.splits.test ?? 0}${d.locked ? '  locked' : ''}`,
            )
            .join('\n'),
    );
  });

  command(
    ds,
    'show <name>',
    'one dataset (name or name@version): classes, splits, channels, normalisation',
  ).action(async (name: string, _o, cmd: Command) => {
    const o = optionsOf(cmd);
    const { services } = await rt.open(o);
    const d = await services.datasets.show({ name });
    rt.print(
      o,
      d,
      (v) =>
        `${human(v)}\n  versions  ${v.versions.map((x) => `${x.version}${x.locked ? ' (locked)' : ''}`).join(', ')}`,
    );
  });

  command(ds, 'export <name>', 'export a dataset as CSV or as the firmware replay file (BBRP)')
    .requiredOption('--format <format>', 'csv | bbrp')
    .requiredOption(
      '--out <file>',
      'output file, or an existing folder (the file is then <name>-v<version>.<format>)',
    )
    .option('--split <split>', 'train | val | test (default: all for csv, test for bbrp)')
    .option('--max-windows <n>', 'only the first N windows (a virtual board replays at most 1 MiB)')
    .action(async (name: string, _o, cmd: Command) => {
      const o = optionsOf<
        CommonOptions & { format: string; out: string; split?: string; maxWindows?: string }
      >(cmd);
      const maxWindows = int(o.maxWindows, '--max-windows');
      if (maxWindows !== undefined && maxWindows < 1)
        fail(`--max-windows must be at least 1, got ${maxWindows}.`);
      if (o.format !== 'csv' && o.format !== 'bbrp') fail(`--format must be csv or bbrp, got "${o.format}".`);
      if (o.split !== undefined && !['train', 'val', 'test'].includes(o.split))
        fail(`--split must be train, val or test, got "${o.split}".`);
      const { ctx, services } = await rt.open(o);
      const split = (o.split ?? (o.format === 'bbrp' ? 'test' : undefined)) as
        'train' | 'val' | 'test' | undefined;
      const { jobId } = await services.datasets.export({
        name,
        format: o.format,
        // Relative to where the command runs (the service alone would use the data folder).
        out: path.resolve(o.out),
        ...(split ? { split } : {}),
        ...(maxWindows !== undefined ? { maxWindows } : {}),
      });
      const r = (await rt.follow(ctx, jobId, o)) as ExportResult;
      rt.print(o, r, (v) => `wrote ${v.path} (${v.bytes} bytes, ${v.windows} windows, ${v.format})`);
    });

  command(
    ds,
    'delete <name>',
    'delete every version of a dataset (or name@version); locked versions are refused',
  )
    .option('--yes', 'do not ask (required when not interactive)')
    .action(async (name: string, _o, cmd: Command) => {
      const o = optionsOf<CommonOptions & { yes?: boolean }>(cmd);
      if (!o.yes) fail(`Deleting ${name} cannot be undone: run again with --yes to confirm.`);
      const { services } = await rt.open(o);
      const r = await services.datasets.delete({ name });
      rt.print(
        o,
        r,
        (v) =>
          `deleted ${name}: version(s) ${v.deleted.join(', ')}; ${v.sessions} imported session(s) removed`,
      );
    });
}
