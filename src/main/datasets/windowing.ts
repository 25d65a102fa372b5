/** Cutting fixed-length windows out of labelled segments of continuous recordings. */

export interface Segment {
  /** First sample, inclusive. */
  start: number;
  /** Exclusive. */
  end: number;
  label: string;
}

export interface WindowRef {
  /** Index of the recording in the list given to `cutWindows`. */
  recording: number;
  /** Index of the segment in the recording's segments sorted by start. */
  segment: number;
  start: number;
  /** Index into the class list. */
  label: number;
}

/** Owner of a sample labelled by two equally wide segments with different labels: no window. */
const AMBIGUOUS = -2;
const UNLABELLED = -1;

function sortedSegments(segments: readonly Segment[]): Segment[] {
  return [...segments].sort((a, b) => a.start - b.start || a.end - b.end);
}

function clipped(seg: Segment, nSamples: number): { start: number; end: number } {
  return { start: Math.max(0, seg.start), end: Math.min(seg.end, nSamples) };
}

/**
 * Which segment labels each sample (an index into `sorted`), where labels overlap: the narrower
 * segment wins (a gesture marked inside a session labelled "idle" is the gesture); samples under two
 * equally wide segments with different labels are AMBIGUOUS; samples under none UNLABELLED.
 */
function sampleOwners(sorted: readonly Segment[], nSamples: number): Int32Array {
  const owner = new Int32Array(nSamples).fill(UNLABELLED);
  const width = new Int32Array(nSamples);
  // Widest first, so narrower segments paint over wider ones.
  const order = sorted
    .map((seg, i) => ({ i, ...clipped(seg, nSamples) }))
    .sort((a, b) => b.end - b.start - (a.end - a.start) || a.i - b.i);
  for (const { i, start, end } of order) {
    const w = end - start;
    for (let s = start; s < end; s++) {
      const cur = owner[s]!;
      if (cur !== UNLABELLED && width[s] === w) {
        if (cur === AMBIGUOUS || sorted[cur]!.label !== sorted[i]!.label) owner[s] = AMBIGUOUS;
        continue;
      }
      owner[s] = i;
      width[s] = w;
    }
  }
  return owner;
}

/**
 * Windows of `length` samples every `stride` samples, each lying entirely inside one run of samples
 * labelled by the same segment (a window never straddles two labels, so its label is unambiguous).
 * Where segments overlap, the narrower one labels the samples (see `sampleOwners`), so no sample is
 * windowed under two classes. Segments whose label is not in `classes` give no windows (but still
 * label their samples). Windows come out in recording, then sample, order.
 */
export function cutWindows(
  recordings: ReadonlyArray<{ nSamples: number; segments: readonly Segment[] }>,
  length: number,
  stride: number,
  classes: readonly string[],
): WindowRef[] {
  if (!(Number.isInteger(length) && length > 0))
    throw new Error(`Window length must be a positive integer, got ${length}.`);
  if (!(Number.isInteger(stride) && stride > 0))
    throw new Error(`Stride must be a positive integer, got ${stride}.`);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const out: WindowRef[] = [];
  recordings.forEach((rec, r) => {
    const segs = sortedSegments(rec.segments);
    const owner = sampleOwners(segs, rec.nSamples);
    for (let runStart = 0; runStart < rec.nSamples;) {
      const segment = owner[runStart]!;
      let runEnd = runStart + 1;
      while (runEnd < rec.nSamples && owner[runEnd] === segment) runEnd++;
      const label = segment >= 0 ? classIndex.get(segs[segment]!.label) : undefined;
      if (label !== undefined) {
        for (let s = runStart; s + length <= runEnd; s += stride)
          out.push({ recording: r, segment, start: s, label });
      }
      runStart = runEnd;
    }
  });
  return out;
}

function range(seg: Segment, nSamples: number): string {
  return `[${seg.start}, ${seg.end >= nSamples ? 'end' : seg.end})`;
}

/**
 * What `cutWindows` decides where a recording's labels overlap, in words: which label wins where
 * (`notes`) and which samples no window covers because two equally wide labels claim them (`warnings`).
 */
export function describeOverlaps(rec: { name: string; nSamples: number; segments: readonly Segment[] }): {
  notes: string[];
  warnings: string[];
} {
  const segs = sortedSegments(rec.segments).map((s) => ({ ...s, ...clipped(s, rec.nSamples) }));
  const notes: string[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    for (let j = i + 1; j < segs.length && segs[j]!.start < segs[i]!.end; j++) {
      const a = segs[i]!;
      const b = segs[j]!;
      if (a.label === b.label || b.start >= b.end || a.start >= a.end) continue;
      const from = Math.max(a.start, b.start);
      const to = Math.min(a.end, b.end);
      const wa = a.end - a.start;
      const wb = b.end - b.start;
      if (wa === wb) {
        warnings.push(
          `${rec.name}: "${a.label}" ${range(a, rec.nSamples)} and "${b.label}" ${range(b, rec.nSamples)} ` +
            `label samples ${from}–${to} both: no window was cut there.`,
        );
      } else {
        const [inner, outer] = wa < wb ? [a, b] : [b, a];
        notes.push(
          `${rec.name}: "${inner.label}" ${range(inner, rec.nSamples)} lies over "${outer.label}" ` +
            `${range(outer, rec.nSamples)}: the narrower label, "${inner.label}", labels samples ${from}–${to}; ` +
            'no window straddles the two.',
        );
      }
    }
  }
  return { notes, warnings };
}

/** Number of windows `cutWindows` gives for one segment of n samples. */
export function windowsInSegment(n: number, length: number, stride: number): number {
  return n < length ? 0 : Math.floor((n - length) / stride) + 1;
}

/**
 * Window length and stride when not given: one window per recording when they are short and equal.
 * Recordings that each hold one whole label (one gesture per recording: per-class CSV files) whose
 * lengths differ in a few (a log cut short, one gesture held longer) keep one window per recording:
 * the length most of them share (at least 3 in 4), so one truncated recording does not switch the
 * whole import to 128-sample windows that none of them fills; the shorter ones give no window and
 * `writeWindowedDataset` warns about each (and the CSV preview lists them).
 */
export function defaultWindowing(
  recordings: ReadonlyArray<{ nSamples: number; segments: readonly Segment[] }>,
  windowLength?: number,
  stride?: number,
): { windowLength: number; stride: number } {
  const counts = new Map<number, number>();
  for (const r of recordings) counts.set(r.nSamples, (counts.get(r.nSamples) ?? 0) + 1);
  let common: number | undefined;
  if (counts.size === 1) common = recordings[0]!.nSamples;
  else if (recordings.length > 0 && recordings.every(isWholeLabelled)) {
    const [len, n] = [...counts].reduce((a, b) => (b[1] > a[1] || (b[1] === a[1] && b[0] > a[0]) ? b : a));
    if (n >= 2 && 4 * n >= 3 * recordings.length) common = len;
  }
  const wl = windowLength ?? (common !== undefined && common <= 1024 ? common : 128);
  const st = stride ?? (common === wl ? wl : Math.max(1, Math.floor(wl / 2)));
  return { windowLength: wl, stride: st };
}

/** One label over the whole recording (a per-class or per-recording CSV, a whole-session label). */
function isWholeLabelled(r: { nSamples: number; segments: readonly Segment[] }): boolean {
  return r.segments.length === 1 && r.segments[0]!.start === 0 && r.segments[0]!.end >= r.nSamples;
}
