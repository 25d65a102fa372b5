import type { DatasetSummary } from '../../shared/api/datasets';
import { BitbenchError } from '../../shared/errors';
import type { Db } from '../store/database';
import {
  DatasetsRepo,
  type DatasetConfig,
  type DatasetRow,
  type DatasetStats,
  type WindowInsert,
} from '../store/datasets-repo';
import { f32ToBlob, SessionsRepo, type SessionChannel } from '../store/sessions-repo';
import { ChannelStatsAccumulator } from './normalization';
import { assignGroups, SPLITS, type SplitName } from './splits';
import { cutWindows, describeOverlaps, type Segment } from './windowing';

/** One continuous recording ready to be stored as a session and windowed. */
export interface RecordingInput {
  name: string;
  subject: string | null;
  rateHz: number | null;
  channels: SessionChannel[];
  /** nSamples × channels, interleaved by sample. */
  data: Float32Array;
  nSamples: number;
  /** Labelled segments; a whole-session label is one segment [0, nSamples) stored with end NULL. */
  segments: Segment[];
  wholeLabel?: boolean;
  meta?: Record<string, unknown>;
  /** Already stored (building from recorded sessions): reuse, do not insert again. */
  sessionId?: number;
  /** The split the source gives this recording (a CSV's `split` column); used when the plan splits by 'given'. */
  split?: SplitName;
}

export interface WindowingPlan {
  name: string;
  kind: string;
  /** The session group the imported sessions go into. */
  group: string;
  classes: string[];
  windowLength: number;
  stride: number;
  /** 'given': each recording keeps its own `split` (a CSV's split column), nothing is drawn. */
  splitBy: 'subject' | 'session' | 'segment' | 'given';
  seed: number;
  valFraction: number;
  testFraction: number;
  testGroups?: string[];
  normalization: 'standardize' | 'none';
  source: string;
  preprocess: string | null;
  notes: string[];
  /** What to do when no window fits a segment; default: a shorter --window-length (the CLI's option). */
  noWindowAdvice?: string;
}

const CHUNK_SAMPLES = 1024;

/** The split policy "auto" resolves to: by subject when there are ≥ 3 subjects, else by session, else by segment. */
export function resolveSplitBy(
  requested: 'auto' | 'subject' | 'session' | 'segment',
  recordings: ReadonlyArray<Pick<RecordingInput, 'subject'>>,
): 'subject' | 'session' | 'segment' {
  if (requested !== 'auto') {
    if (requested === 'subject' && recordings.some((r) => r.subject === null)) {
      throw new BitbenchError(
        'bad_request',
        'Cannot split by subject: some recordings have no subject. Use --split-by session.',
      );
    }
    return requested;
  }
  const subjects = new Set(recordings.map((r) => r.subject));
  if (!subjects.has(null) && subjects.size >= 3) return 'subject';
  if (recordings.length >= 3) return 'session';
  return 'segment';
}

/**
 * Cuts windows, assigns splits, computes statistics and writes sessions, labels, chunks, the
 * dataset version and its windows in ONE transaction: a failure leaves nothing behind.
 */
/** How a recording's samples are laid out: channel names and rate must match to window together. */
function layoutOf(r: Pick<RecordingInput, 'channels' | 'rateHz'>): string {
  return `${r.channels.length} channel${r.channels.length === 1 ? '' : 's'} (${r.channels.map((c) => c.name).join(', ')}) at ${r.rateHz === null ? 'an unknown rate' : `${r.rateHz} Hz`}`;
}

/**
 * Refuses recordings that differ in channels (count, names or order) or sample rate: their windows
 * would mean different things under one shape. The message groups them by layout, naming each.
 */
export function checkSameLayout(
  recordings: ReadonlyArray<Pick<RecordingInput, 'name' | 'channels' | 'rateHz'>>,
  what = 'Recordings',
): void {
  const byLayout = new Map<string, string[]>();
  for (const r of recordings) {
    const key = layoutOf(r);
    byLayout.set(key, [...(byLayout.get(key) ?? []), r.name]);
  }
  if (byLayout.size <= 1) return;
  const list = (names: string[]) =>
    names.length <= 4
      ? names.map((n) => `"${n}"`).join(', ')
      : `${names
          .slice(0, 3)
          .map((n) => `"${n}"`)
          .join(', ')} and ${names.length - 3} more`;
  throw new BitbenchError(
    'bad_request',
    `${what} differ in channels or sample rate and cannot be cut into one dataset: ` +
      [...byLayout]
        .map(([layout, names]) => `${list(names)} ${names.length === 1 ? 'has' : 'have'} ${layout}`)
        .join('; ') +
      '. Keep recordings with other channels or another rate in a separate group.',
  );
}

/**
 * Labelled recordings that gave no window (each labelled stretch shorter than the window: a log cut
 * short, a gesture recorded too briefly), named with their file lines when known, so their data is
 * not dropped silently.
 */
function windowlessRecordings(
  recordings: readonly RecordingInput[],
  refs: ReadonlyArray<{ recording: number }>,
  windowLength: number,
): string[] {
  const windowed = new Set(refs.map((w) => w.recording));
  const missing = recordings.filter((r, i) => !windowed.has(i) && r.segments.length > 0);
  if (missing.length === 0 || refs.length === 0) return [];
  const describe = (r: RecordingInput): string => {
    const first = r.meta?.firstLine;
    const last = r.meta?.lastLine;
    const lines = typeof first === 'number' && typeof last === 'number' ? `lines ${first}–${last}, ` : '';
    return `${r.name} (${lines}${r.nSamples} samples)`;
  };
  const shown = missing.slice(0, 5).map(describe).join(', ');
  const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
  return [
    `${missing.length} of ${recordings.length} recordings gave no window (no labelled stretch as long as the ${windowLength}-sample window): ${shown}${more}. ` +
      'A recording cut short (a truncated file) is left out; pass --window-length to cut shorter windows.',
  ];
}

/** Warnings about the splits a build gives: requested splits left empty, classes missing from train. */
function splitWarnings(stats: DatasetStats, plan: WindowingPlan): string[] {
  const out: string[] = [];
  for (const [split, fraction] of [
    ['val', plan.valFraction],
    ['test', plan.testFraction],
  ] as const) {
    const forced = split === 'test' && plan.testGroups !== undefined;
    if (fraction > 0 && !forced && (stats.splits[split] ?? 0) === 0) {
      out.push(
        `The ${split} split is empty although a ${split} fraction of ${fraction} was asked for: ` +
          `splitting by ${plan.splitBy}, there are too few ${plan.splitBy === 'subject' ? 'subjects' : plan.splitBy === 'session' ? 'sessions' : 'labelled segments'} ` +
          '(a split needs at least 3 per class when each holds one class, else 3 in all). ' +
          (plan.splitBy === 'segment'
            ? 'Record or label more segments.'
            : 'Record more, or split by segment.'),
      );
    }
  }
  for (const c of plan.classes) {
    const all = stats.classes[c] ?? 0;
    if (all === 0)
      out.push(`Class "${c}" has no windows: none of its segments is ${plan.windowLength} samples long.`);
    else if ((stats.splitClasses.train?.[c] ?? 0) === 0)
      out.push(
        `Class "${c}" has no train windows (all ${all} are in val/test): a model trained on this version cannot learn it.`,
      );
  }
  return out;
}

/**
 * Cuts windows, assigns splits, computes statistics and writes sessions, labels, chunks, the
 * dataset version and its windows in ONE transaction: a failure leaves nothing behind.
 */
export function writeWindowedDataset(db: Db, recordings: RecordingInput[], plan: WindowingPlan): DatasetRow {
  checkSameLayout(recordings);
  const nch = recordings[0]?.channels.length ?? 0;
  const notes = [...plan.notes];
  const warnings: string[] = [];
  for (const r of recordings) {
    const o = describeOverlaps(r);
    notes.push(...o.notes);
    warnings.push(...o.warnings);
  }
  const refs = cutWindows(recordings, plan.windowLength, plan.stride, plan.classes);
  warnings.push(...windowlessRecordings(recordings, refs, plan.windowLength));
  if (refs.length === 0) {
    throw new BitbenchError(
      'bad_request',
      `No window of ${plan.windowLength} samples fits inside a labelled segment of ${plan.source}. ` +
        (plan.noWindowAdvice ?? 'Use a shorter --window-length, or check the labels.'),
    );
  }
  // The group a window belongs to decides its split.
  const groupOf = (w: (typeof refs)[number]): string => {
    const rec = recordings[w.recording]!;
    if (plan.splitBy === 'subject') return `s:${rec.subject}`;
    if (plan.splitBy === 'session') return `r:${w.recording}`;
    return `g:${w.recording}:${w.segment}`;
  };
  const groupClass = new Map<string, number>();
  const mixed = new Set<string>();
  for (const w of refs) {
    const g = groupOf(w);
    const c = groupClass.get(g);
    if (c === undefined) groupClass.set(g, w.label);
    else if (c !== w.label) mixed.add(g);
  }
  for (const g of mixed) groupClass.delete(g);
  const testGroups = plan.testGroups ? new Set(plan.testGroups.map((s) => `s:${s}`)) : undefined;
  const assignment =
    plan.splitBy === 'given'
      ? undefined
      : assignGroups(
          refs.map(groupOf),
          {
            valFraction: plan.valFraction,
            testFraction: plan.testFraction,
            seed: plan.seed,
            ...(testGroups ? { testGroups } : {}),
          },
          mixed.size === 0 ? groupClass : undefined,
        );

  // Statistics (train split only for normalisation).
  const stats: DatasetStats = {
    windows: refs.length,
    classes: Object.fromEntries(plan.classes.map((c) => [c, 0])),
    splits: { train: 0, val: 0, test: 0 },
    splitClasses: Object.fromEntries(
      SPLITS.map((s) => [s, Object.fromEntries(plan.classes.map((c) => [c, 0]))]),
    ),
    norm: null,
    subjects: null,
  };
  const acc = new ChannelStatsAccumulator(nch);
  const splitOf: SplitName[] = refs.map((w) =>
    assignment ? assignment.get(groupOf(w))! : recordings[w.recording]!.split!,
  );
  refs.forEach((w, i) => {
    const split = splitOf[i]!;
    const cls = plan.classes[w.label]!;
    stats.classes[cls]! += 1;
    stats.splits[split]! += 1;
    stats.splitClasses[split]![cls]! += 1;
    if (split === 'train' && plan.normalization === 'standardize') {
      const rec = recordings[w.recording]!;
      acc.add(rec.data.subarray(w.start * nch, (w.start + plan.windowLength) * nch));
    }
  });
  if ((stats.splits.train ?? 0) === 0) {
    throw new BitbenchError(
      'bad_request',
      `No window would be in the train split (train/val/test ${stats.splits.train}/${stats.splits.val}/${stats.splits.test}): ` +
        (plan.splitBy === 'given'
          ? 'the source names no recording with a train window (its split column). Mark some recordings train.'
          : `every ${plan.splitBy} went to val or test. Ask for smaller val/test fractions, or record more.`),
    );
  }
  warnings.push(...splitWarnings(stats, plan));
  if (plan.normalization === 'standardize') stats.norm = acc.result();
  if (plan.splitBy === 'subject') {
    const subj: Record<string, Set<string>> = { train: new Set(), val: new Set(), test: new Set() };
    refs.forEach((w, i) => subj[splitOf[i]!]!.add(recordings[w.recording]!.subject!));
    stats.subjects = Object.fromEntries(
      Object.entries(subj).map(([k, v]) => [
        k,
        [...v].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
      ]),
    );
  }

  const sessions = new SessionsRepo(db);
  const datasets = new DatasetsRepo(db);
  return db.transaction(() => {
    const sessionIds: number[] = [];
    const own: number[] = [];
    for (const rec of recordings) {
      if (rec.sessionId !== undefined) {
        sessionIds.push(rec.sessionId);
        continue;
      }
      const s = sessions.create({
        name: rec.name,
        dataset: plan.group,
        source: 'import',
        rateHz: rec.rateHz,
        channels: rec.channels,
        subject: rec.subject,
        state: 'complete',
        meta: rec.meta ?? {},
      });
      const chunks = [];
      for (let i = 0; i < rec.nSamples; i += CHUNK_SAMPLES) {
        const n = Math.min(CHUNK_SAMPLES, rec.nSamples - i);
        const t0Us = rec.rateHz ? Math.round((i / rec.rateHz) * 1e6) : 0;
        chunks.push({ t0Us, nSamples: n, data: rec.data.subarray(i * nch, (i + n) * nch) });
      }
      sessions.appendChunks(s.id, chunks);
      for (const seg of rec.segments) {
        if (rec.wholeLabel) sessions.addLabel(s.id, seg.label, 0, null);
        else sessions.addLabel(s.id, seg.label, seg.start, seg.end);
      }
      sessionIds.push(s.id);
      own.push(s.id);
    }
    const config: DatasetConfig = {
      classes: plan.classes,
      shape: [plan.windowLength, nch],
      channelNames: recordings[0]!.channels.map((c) => c.name),
      windowLength: plan.windowLength,
      stride: plan.stride,
      rateHz: recordings[0]!.rateHz,
      storage: { dtype: 'f32' },
      normalization: plan.normalization,
      split: {
        by: plan.splitBy,
        seed: plan.seed,
        valFraction: plan.valFraction,
        testFraction: plan.testFraction,
        ...(plan.testGroups ? { testGroups: plan.testGroups } : {}),
      },
      source: plan.source,
      preprocess: plan.preprocess,
      sessions: sessionIds,
      ownSessions: own,
      notes,
      warnings,
    };
    const row = datasets.insertVersion(plan.name, plan.kind, config, stats);
    const insert = datasets.windowInserter(row.id);
    refs.forEach((w, i) => {
      const rec = recordings[w.recording]!;
      // slice() copies: the blob must own exactly the window's bytes.
      const win = rec.data.slice(w.start * nch, (w.start + plan.windowLength) * nch);
      insert({
        split: splitOf[i]!,
        label: w.label,
        sessionId: sessionIds[w.recording]!,
        startSample: w.start,
        subject: rec.subject,
        data: f32ToBlob(win),
      });
    });
    datasets.markReady(row.id, stats);
    return datasets.byId(row.id)!;
  })();
}

/** Writes a version whose windows are given directly (MNIST): one transaction as well. */
export function writeDirectDataset(
  db: Db,
  name: string,
  kind: string,
  config: DatasetConfig,
  stats: DatasetStats,
  windows: Iterable<WindowInsert>,
): DatasetRow {
  const datasets = new DatasetsRepo(db);
  return db.transaction(() => {
    const row = datasets.insertVersion(name, kind, config, stats);
    const insert = datasets.windowInserter(row.id);
    for (const w of windows) insert(w);
    datasets.markReady(row.id, stats);
    return datasets.byId(row.id)!;
  })();
}

/** The public summary (CLI JSON, UI) of a stored version. */
export function summarize(row: DatasetRow): DatasetSummary {
  const c = row.config;
  const s = row.stats;
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    kind: row.kind,
    state: row.state,
    locked: row.locked,
    created_at: row.createdAt,
    windows: s.windows,
    classes: s.classes,
    splits: s.splits,
    split_classes: s.splitClasses,
    channels: c.shape[c.shape.length - 1] ?? 0,
    channel_names: c.channelNames,
    window_length: c.windowLength,
    stride: c.stride,
    shape: c.shape,
    rate_hz: c.rateHz,
    normalization: c.normalization,
    norm: s.norm,
    split_by: c.split.by,
    seed: c.split.seed,
    sessions: c.sessions.length,
    subjects: s.subjects,
    source: c.source,
    preprocess: c.preprocess,
    notes: c.notes,
    warnings: c.warnings ?? [],
  };
}
