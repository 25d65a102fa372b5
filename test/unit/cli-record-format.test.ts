import { describe, expect, it } from 'vitest';
import type { RecordingStatus, SessionSummary } from '../../src/shared/api/recording';
import { progressLine, renderSummary } from '../../src/main/cli/commands/record';

/** What `bitbench record` and `bitbench sessions show` print for a session with or without a label. */
const status = (label: string | null): RecordingStatus => ({
  state: 'recording',
  board: 'virtual:m4',
  stream: 'bitbench',
  sessionId: 1,
  name: 'loop 1',
  label,
  dataset: 'walk-or-stand',
  rateHz: 200,
  detectedRateHz: null,
  channels: ['acc_x'],
  units: ['m/s²'],
  samples: 384,
  recordedS: 1.92,
  durationS: 9,
  countdownLeftS: 0,
  gaps: 0,
  droppedFrames: 0,
  badLines: 0,
  warning: null,
  error: null,
  last: null,
});

const summary = (label: string | null, segments: number): SessionSummary => ({
  id: 1,
  name: 'loop 1',
  samples: 1800,
  rate_hz: 200,
  duration_s: 9,
  gaps: 0,
  dropped_frames: 0,
  state: 'complete',
  board: 'virtual:m4',
  dataset: 'walk-or-stand',
  label,
  channels: ['acc_x'],
  units: ['m/s²'],
  stream: 'bitbench',
  clock: 'board',
  segments,
  started_at: '2026-01-01T00:00:00Z',
  ended_at: null,
});

describe('record progress and session summary lines', () => {
  it('a recording without a label prints "recording:", with one "recording wave:"', () => {
    expect(progressLine(status(null))).toMatch(/^recording: 1\.92 s \/ 9\.00 s, 384 samples/);
    expect(progressLine(status('wave'))).toMatch(/^recording wave: 1\.92 s/);
  });

  it('counts segments in the singular and the plural', () => {
    expect(renderSummary(summary(null, 1))).toContain('label         — + 1 segment; dataset');
    expect(renderSummary(summary('walk', 2))).toContain('label         walk + 2 segments; dataset');
    expect(renderSummary(summary(null, 0))).toContain('label         —; dataset');
  });
});
