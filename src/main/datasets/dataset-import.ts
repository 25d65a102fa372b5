import path from 'node:path';
import type { BuildInput, ImportParsed } from '../../shared/api/datasets';
import { BitbenchError } from '../../shared/errors';
import type { HintAudience } from '../../shared/hints';
import type { Db } from '../store/database';
import type { DatasetRow, DatasetStats, WindowInsert } from '../store/datasets-repo';
import { SessionsRepo } from '../store/sessions-repo';
import { analyzeCsv, csvRecordings } from './csv-import';
import {
  checkSameLayout,
  resolveSplitBy,
  writeDirectDataset,
  writeWindowedDataset,
  type RecordingInput,
} from './dataset-writer';
import { loadMnist } from './mnist-import';
import { ChannelStatsAccumulator } from './normalization';
import { seededRandom, shuffle, type SplitName } from './splits';
import { yieldToLoop } from './text-input';
import { defaultWindowing } from './windowing';
import { locateHapt, loadHaptRecordings, UCI_HAR_ACTIVITY_IDS } from './uci-hapt-import';

/** Progress and cancel hooks, so importers run the same under a job and in a plain test. */
export interface ImportHooks {
  progress(fraction: number, message: string): void;
  throwIfCancelled(): void;
}

export const noHooks: ImportHooks = { progress: () => undefined, throwIfCancelled: () => undefined };

const DEFAULT_VAL = 0.15;
const DEFAULT_TEST = 0.15;

export async function importDataset(
  db: Db,
  input: ImportParsed,
  hooks: ImportHooks = noHooks,
): Promise<DatasetRow> {
  switch (input.kind) {
    case 'uci-hapt':
      return importHapt(db, input, hooks);
    case 'csv':
      return importCsv(db, input, hooks);
    case 'mnist':
      return importMnist(db, input, hooks);
  }
}

async function importHapt(
  db: Db,
  input: Extract<ImportParsed, { kind: 'uci-hapt' }>,
  hooks: ImportHooks,
): Promise<DatasetRow> {
  const layout = locateHapt(input.path);
  const recordings = await loadHaptRecordings(
    layout,
    (f, m) => hooks.progress(0.85 * f, `filtering ${m}`),
    () => hooks.throwIfCancelled(),
  );
  hooks.throwIfCancelled();
  hooks.progress(0.86, 'writing sessions and windows');
  await yieldToLoop();
  const givenSplit = input.splitBy === 'auto' || input.splitBy === 'subject';
  const classes = UCI_HAR_ACTIVITY_IDS.map((id) => layout.activityNames.get(id)!);
  return writeWindowedDataset(db, recordings, {
    name: input.name,
    kind: 'uci-hapt',
    group: input.name,
    classes,
    windowLength: input.windowLength ?? 128,
    stride: input.stride ?? (input.windowLength ? Math.max(1, Math.floor(input.windowLength / 2)) : 64),
    splitBy: givenSplit ? 'subject' : resolveSplitBy(input.splitBy, recordings),
    seed: input.seed,
    valFraction: input.valFraction ?? DEFAULT_VAL,
    testFraction: input.testFraction ?? DEFAULT_TEST,
    ...(givenSplit ? { testGroups: layout.testSubjects } : {}),
    normalization: input.normalization ?? 'standardize',
    source: layout.root,
    preprocess:
      'uci-har: median(3) → Butterworth LP 3rd order 20 Hz → gravity = Butterworth LP 3rd order 0.3 Hz, body = total − gravity; zero-phase',
    notes: givenSplit
      ? [
          `test subjects from ${layout.testSubjectsSource}: ${layout.testSubjects.join(', ')}; val drawn by subject from the rest`,
        ]
      : [],
  });
}

async function importCsv(
  db: Db,
  input: Extract<ImportParsed, { kind: 'csv' }>,
  hooks: ImportHooks,
): Promise<DatasetRow> {
  hooks.progress(0.05, 'reading files');
  const analysis = analyzeCsv(input.path, input.csv);
  hooks.throwIfCancelled();
  hooks.progress(0.4, 'parsing numbers');
  await yieldToLoop();
  const recordings = csvRecordings(analysis, input.csv);
  const classes = [...new Set(recordings.flatMap((r) => r.segments.map((s) => s.label)))].sort();
  const { windowLength, stride } = defaultWindowing(recordings, input.windowLength, input.stride);
  hooks.progress(0.7, 'writing sessions and windows');
  await yieldToLoop();
  // A `split` column (an exported file's) keeps each recording in the split it names, so a dataset
  // shared as CSV comes back with the same test windows; an explicit --split-by draws it again.
  const splitColumn =
    analysis.splitColumn === null ? null : analysis.tables[0]!.columns[analysis.splitColumn]!;
  const given = splitColumn !== null && input.splitBy === 'auto';
  // Fractions size a drawn split; the column gives one, so they would be dropped without a word.
  const fractions = [
    input.valFraction !== undefined ? `--val-fraction ${input.valFraction}` : null,
    input.testFraction !== undefined ? `--test-fraction ${input.testFraction}` : null,
  ].filter((f): f is string => f !== null);
  if (given && fractions.length > 0)
    throw new BitbenchError(
      'bad_request',
      `${input.path}: column "${splitColumn}" gives each recording its split, so ${fractions.join(' and ')} ` +
        `would not be used. Keep the file's split (drop ${fractions.length > 1 ? 'them' : 'it'}), or draw the ` +
        'split again with --split-by session|segment|subject and the fractions.',
    );
  const splitBy = given ? 'given' : resolveSplitBy(input.splitBy, recordings);
  const splitNote =
    splitColumn === null
      ? []
      : given
        ? [`split as column "${splitColumn}" gives it (not drawn again)`]
        : [
            `column "${splitColumn}" not used: the split is drawn again by ${splitBy} (--split-by ${input.splitBy})`,
          ];
  return writeWindowedDataset(db, recordings, {
    name: input.name,
    kind: 'csv',
    group: input.name,
    classes,
    windowLength,
    stride,
    splitBy,
    seed: input.seed,
    valFraction: given ? 0 : (input.valFraction ?? DEFAULT_VAL),
    testFraction: given ? 0 : (input.testFraction ?? DEFAULT_TEST),
    normalization: input.normalization ?? 'standardize',
    source: path.resolve(input.path),
    preprocess: null,
    notes: [`layout ${analysis.layout}, label from ${analysis.labelFrom}`, ...analysis.notes, ...splitNote],
  });
}

async function importMnist(
  db: Db,
  input: Extract<ImportParsed, { kind: 'mnist' }>,
  hooks: ImportHooks,
): Promise<DatasetRow> {
  if (input.windowLength !== undefined || input.stride !== undefined) {
    throw new BitbenchError(
      'bad_request',
      'MNIST images are fixed [28, 28, 1] windows: --window-length/--stride do not apply.',
    );
  }
  hooks.progress(0.05, 'reading idx files');
  const set = loadMnist(input.path);
  hooks.throwIfCancelled();
  const { rows, cols } = set.train.images;
  const size = rows * cols;
  const classes = Array.from({ length: 10 }, (_, i) => String(i));
  // MNIST's own split: t10k is test; val (default none) is drawn from train images with the seed.
  const valFraction = input.valFraction ?? 0;
  const nTrain = set.train.images.count;
  const valSet = new Set(
    shuffle(
      Array.from({ length: nTrain }, (_, i) => i),
      seededRandom(input.seed),
    ).slice(0, Math.round(nTrain * valFraction)),
  );
  const normalization = input.normalization ?? 'none';
  const scale = 1 / 255;
  const stats: DatasetStats = {
    windows: 0,
    classes: Object.fromEntries(classes.map((c) => [c, 0])),
    splits: { train: 0, val: 0, test: 0 },
    splitClasses: Object.fromEntries(
      ['train', 'val', 'test'].map((s) => [s, Object.fromEntries(classes.map((c) => [c, 0]))]),
    ),
    norm: null,
    subjects: null,
  };
  const acc = new ChannelStatsAccumulator(1);
  const windows: WindowInsert[] = [];
  const add = (split: SplitName, pixels: Uint8Array, i: number, label: number) => {
    const data = Buffer.from(pixels.subarray(i * size, (i + 1) * size));
    if (split === 'train' && normalization === 'standardize') acc.add(data, scale);
    windows.push({ split, label, sessionId: null, startSample: null, subject: null, data });
    stats.windows++;
    stats.classes[String(label)]! += 1;
    stats.splits[split]! += 1;
    stats.splitClasses[split]![String(label)]! += 1;
  };
  for (let i = 0; i < nTrain; i++)
    add(valSet.has(i) ? 'val' : 'train', set.train.images.pixels, i, set.train.labels[i]!);
  for (let i = 0; i < set.test.images.count; i++) add('test', set.test.images.pixels, i, set.test.labels[i]!);
  if (normalization === 'standardize') stats.norm = acc.result();
  hooks.progress(0.5, 'writing windows');
  await yieldToLoop();
  return writeDirectDataset(
    db,
    input.name,
    'mnist',
    {
      classes,
      shape: [rows, cols, 1],
      channelNames: ['pixel'],
      windowLength: rows,
      stride: null,
      rateHz: null,
      storage: { dtype: 'u8', scale },
      normalization,
      split: { by: 'given', seed: input.seed, valFraction, testFraction: 0 },
      source: path.resolve(input.path),
      preprocess: 'pixels / 255',
      sessions: [],
      ownSessions: [],
      notes: [
        'train = train-images, test = t10k-images' +
          (valFraction > 0 ? `; val = ${valFraction} of train (seeded)` : ''),
      ],
    },
    stats,
    windows,
  );
}

/** A dataset version from recorded sessions of a group; sessions are referenced, not copied. */
export async function buildFromSessions(
  db: Db,
  input: BuildInput & { splitBy: NonNullable<BuildInput['splitBy']>; seed: number },
  hooks: ImportHooks = noHooks,
  audience: HintAudience = 'cli',
): Promise<DatasetRow> {
  const repo = new SessionsRepo(db);
  const sessions = repo
    .list({ dataset: input.group, strict: true })
    .filter((s) => s.state !== 'recording' && s.sampleCount > 0);
  if (sessions.length === 0) {
    throw new BitbenchError(
      'bad_request',
      `No finished sessions with samples in group "${input.group}". Record some first.`,
    );
  }
  checkSameLayout(sessions, `Sessions of group "${input.group}"`);
  const recordings: RecordingInput[] = [];
  for (const [i, s] of sessions.entries()) {
    hooks.throwIfCancelled();
    hooks.progress((0.6 * i) / sessions.length, `reading ${s.name}`);
    const { data, nSamples } = repo.readSamples(s.id);
    const segments = repo
      .labels(s.id)
      .map((l) => ({ start: l.startSample, end: l.endSample ?? nSamples, label: l.label }));
    recordings.push({
      name: s.name,
      subject: s.subject,
      rateHz: s.rateHz,
      channels: s.channels,
      data,
      nSamples,
      segments,
      sessionId: s.id,
    });
    await yieldToLoop();
  }
  const classes = [...new Set(recordings.flatMap((r) => r.segments.map((s) => s.label)))].sort();
  if (classes.length === 0)
    throw new BitbenchError(
      'bad_request',
      `No session in group "${input.group}" has a label. Label them first.`,
    );
  const { windowLength, stride } = defaultWindowing(recordings, input.windowLength, input.stride);
  return writeWindowedDataset(db, recordings, {
    name: input.name,
    kind: 'sessions',
    group: input.group,
    classes,
    windowLength,
    stride,
    splitBy: resolveSplitBy(input.splitBy, recordings),
    seed: input.seed,
    valFraction: input.valFraction ?? DEFAULT_VAL,
    testFraction: input.testFraction ?? DEFAULT_TEST,
    normalization: input.normalization ?? 'standardize',
    source: `sessions of group ${input.group}`,
    preprocess: null,
    notes: [],
    // The Datasets page's Build dataset has no window length to shorten: the sessions must be longer.
    ...(audience === 'app' && input.windowLength === undefined
      ? {
          noWindowAdvice: 'Record longer sessions (or label longer segments), or check the labels.',
        }
      : {}),
  });
}
