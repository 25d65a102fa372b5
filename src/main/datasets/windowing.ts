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

/**
 * Windows of `length` samples every `stride` samples, each lying entirely inside one labelled
 * segment (a window never straddles two labels, so its label is unambiguous). Segments whose
 * label is not in `classes` are skipped. Windows come out in recording, then segment, order.
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
    const segs = [...rec.segments].sort((a, b) => a.start - b.start);
    segs.forEach((seg, segment) => {
      const label = classIndex.get(seg.label);
      if (label === undefined) return;
      const end = Math.min(seg.end, rec.nSamples);
      for (let s = Math.max(0, seg.start); s + length <= end; s += stride)
        out.push({ recording: r, segment, start: s, label });
    });
  });
  return out;
}

/** Number of windows `cutWindows` gives for one segment of n samples. */
export function windowsInSegment(n: number, length: number, stride: number): number {
  return n < length ? 0 : Math.floor((n - length) / stride) + 1;
}
