// What the data forwarder calls a gap: a silence in the board's lines, not in the host's reading.
// A fake port and a fake clock, so the silences are exact.
import { describe, expect, it } from 'vitest';
import type { BytePort } from '../../../src/main/recording/byte-port';
import { ForwarderSource } from '../../../src/main/recording/forwarder-source';
import type { SampleBlock } from '../../../src/main/recording/sample-source';

function fakeBoard() {
  let clock = 0;
  let k = 0;
  let listener: ((chunk: Buffer) => void) | undefined;
  const port: BytePort = {
    path: '/dev/ttyFAKE',
    open: async () => undefined,
    close: async () => undefined,
    onData: (l) => void (listener = l),
    onLost: () => undefined,
  };
  /** `n` lines in one chunk, arriving `afterMs` after the previous one. */
  const send = (n: number, afterMs: number) => {
    clock += afterMs;
    let text = '';
    for (let i = 0; i < n; i++) text += `${++k},${-k}\n`;
    listener!(Buffer.from(text));
  };
  const source = new ForwarderSource(port, { rateHz: 200, now: () => clock });
  return { source, send };
}

describe('forwarder gaps', () => {
  it('a host stall whose lines arrive afterwards in one chunk is not a gap; a board that stops is', async () => {
    const { source, send } = fakeBoard();
    const blocks: SampleBlock[] = [];
    source.onBlock((b) => blocks.push(b));
    const starting = source.start();
    send(4, 0); // the first line: start() resolves (the rate is given)
    await starting;
    for (let i = 0; i < 10; i++) send(4, 20); // 200 Hz in bursts of 4
    expect(source.counters().gaps).toBe(0);

    // The host did not read for 400 ms; the driver kept the board's 80 lines and hands them over.
    send(80, 400);
    expect(blocks.at(-1)).toMatchObject({ nSamples: 80, gap: false });
    expect(source.counters().gaps).toBe(0);
    // Back-dated: the chunk's first line was taken 79 periods before it arrived.
    const prev = blocks.at(-2)!;
    expect(blocks.at(-1)!.tUs - prev.tUs).toBe(400_000 - 79 * 5000 + 3 * 5000);

    // The board itself stopped for 400 ms: the next chunk is a normal burst.
    send(4, 400);
    expect(blocks.at(-1)).toMatchObject({ nSamples: 4, gap: true });
    expect(source.counters().gaps).toBe(1);

    // A silence below the threshold is never a gap, however few lines follow.
    send(1, 200);
    expect(blocks.at(-1)!.gap).toBe(false);
    expect(source.counters().gaps).toBe(1);
    await source.stop();
  });
});
