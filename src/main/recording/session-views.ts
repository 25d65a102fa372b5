// Sessions as the API shows them: the store's rows plus labels, in the public summary shape.

import type { SessionDetail, SessionSummary, Segment } from '../../shared/api/recording';
import type { Label, Session, SessionsRepo } from '../store/sessions-repo';

function wholeSessionLabel(labels: Label[]): string | null {
  return labels.find((l) => l.startSample === 0 && l.endSample === null)?.label ?? null;
}

export function toSegment(l: Label): Segment {
  return { id: l.id, label: l.label, start: l.startSample, end: l.endSample };
}

export function toSummary(s: Session, labels: Label[]): SessionSummary {
  const stream =
    typeof s.meta['stream'] === 'string'
      ? (s.meta['stream'] as string)
      : s.source === 'import'
        ? 'import'
        : 'bitbench';
  const clock =
    s.meta['clock'] === 'board' || s.meta['clock'] === 'host' ? (s.meta['clock'] as 'board' | 'host') : null;
  return {
    id: s.id,
    name: s.name,
    samples: s.sampleCount,
    rate_hz: s.rateHz,
    duration_s: s.rateHz ? Math.round((s.sampleCount / s.rateHz) * 1000) / 1000 : 0,
    gaps: s.gaps,
    dropped_frames: s.droppedFrames,
    state: s.state,
    board: s.board,
    dataset: s.dataset,
    label: wholeSessionLabel(labels),
    channels: s.channels.map((c) => c.name),
    units: s.channels.map((c) => c.unit ?? ''),
    stream,
    clock,
    segments: labels.filter((l) => !(l.startSample === 0 && l.endSample === null)).length,
    started_at: s.startedAt,
    ended_at: s.endedAt,
  };
}

export function summaryOf(repo: SessionsRepo, s: Session): SessionSummary {
  return toSummary(s, repo.labels(s.id));
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function detailOf(repo: SessionsRepo, s: Session): SessionDetail {
  const labels = repo.labels(s.id);
  const discontinuities: SessionDetail['discontinuities'] = [];
  if (s.rateHz) {
    const periodUs = 1e6 / s.rateHz;
    // Host arrival times jitter by a USB poll interval or more; only long silences count there.
    const toleranceUs = s.meta['clock'] === 'host' ? Math.max(250_000, 10 * periodUs) : periodUs / 2;
    let prev: { t0Us: number; nSamples: number } | undefined;
    for (const c of repo.chunkTimes(s.id)) {
      if (prev) {
        const jump = c.t0Us - (prev.t0Us + prev.nSamples * periodUs);
        if (Math.abs(jump) > toleranceUs)
          discontinuities.push({ sample: c.firstSample, jump_us: Math.round(jump) });
      }
      prev = c;
    }
  }
  const notes: string[] = [];
  if (s.state === 'interrupted') {
    notes.push(
      typeof s.meta['error'] === 'string'
        ? (s.meta['error'] as string)
        : 'The recording process stopped before the session was finished; the samples stored until then are kept.',
    );
  }
  const skipped = s.meta['frames_skipped_before_start'];
  if (typeof skipped === 'number' && skipped > 0) {
    notes.push(
      `The board skipped ${skipped} frames before the first one arrived; the session starts at that first frame.`,
    );
  }
  if (s.meta['clock'] === 'host') notes.push('Timestamps are host arrival times (the board sends none).');
  return {
    ...toSummary(s, labels),
    labels: labels.map(toSegment),
    discontinuities,
    bad_lines: typeof s.meta['bad_lines'] === 'number' ? (s.meta['bad_lines'] as number) : 0,
    warnings: strings(s.meta['warnings']),
    notes,
  };
}
