import { afterEach, describe, expect, it } from 'vitest';
import type { SensorStreamConfig, SensorStreamStarted } from '../../../src/main/device/sensor-stream';
import { FakeSensorStream } from '../../support/fake-sensor-stream';
import { recordingContext } from '../../support/recording-context';

const open: Array<{ ctx: { close(): Promise<void> } }> = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.ctx.close();
});

/** A board (someone's own firmware) whose STREAM_START answer carries the given rate and scales. */
class OddBoard extends FakeSensorStream {
  constructor(private readonly odd: (s: SensorStreamStarted) => SensorStreamStarted) {
    super();
  }
  override async start(cfg: SensorStreamConfig): Promise<SensorStreamStarted> {
    return this.odd(await super.start(cfg));
  }
}

describe('a board that announces values no sample can be made of', () => {
  for (const [what, odd, expected] of [
    [
      'a NaN scale',
      (s: SensorStreamStarted) => ({ ...s, scales: s.scales.map((v, i) => (i === 1 ? NaN : v)) }),
      /fake: the board's STREAM_START answer gives channel acc_y a scale of NaN/,
    ],
    [
      'an infinite scale',
      (s: SensorStreamStarted) => ({ ...s, scales: s.scales.map(() => Infinity) }),
      /scale of Infinity/,
    ],
    [
      'a rate of 0 Hz',
      (s: SensorStreamStarted) => ({ ...s, rateHz: 0 }),
      /fake: the board's STREAM_START answer gives a sample rate of 0 Hz/,
    ],
  ] as const) {
    it(`${what}: the recording is refused naming the board, and no session of NaN samples is stored`, async () => {
      const stream = new OddBoard(odd);
      const r = recordingContext({ stream });
      open.push(r);
      const started = r.service.start({ board: 'fake', rateHz: 100 });
      await expect(started).rejects.toThrow(expected);
      await expect(started).rejects.toThrow(/firmware/);
      for (let i = 0; i < 5; i++) stream.emit();
      expect((await r.service.status()).state).toBe('idle');
      expect(await r.service.sessions()).toHaveLength(0);
      expect(stream.stopCalls).toBe(1); // the board was told to stop streaming
    });
  }
});
