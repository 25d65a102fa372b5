// Both virtual boards over the real serialport path (QEMU pty): the same code a USB board uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/main/context';
import { BoardManager, boardManager } from '../../src/main/device/board-manager';
import { crc32 } from '../../src/main/device/crc32';
import { openClient } from '../../src/main/device/board-connection';
import { BoardError } from '../../src/main/device/errors';
import { Command } from '../../src/shared/protocol';
import { denseBlob, denseModel } from './helpers/model-blobs';
import { tapWrites } from './helpers/transport-tap';
import { randomBytes, skipNote, testContext, virtualBoardsUnavailable } from './helpers/virtual-boards';

const unavailable = virtualBoardsUnavailable();
skipNote(unavailable, 'boards-virtual integration tests');

/** Flips one byte in the n-th MODEL_CHUNK frame written (its first send only). */
function corruptNthChunk(n: number, hits: { corrupted: number }) {
  return tapWrites(() => {
    let seen = 0;
    return (bytes, msg) => {
      if (msg && msg[0] === Command.MODEL_CHUNK && ++seen === n) {
        const bad = bytes.slice();
        const mid = Math.floor(bad.length / 2);
        bad[mid] = bad[mid]! ^ (0x01 | 0x10); // stays non-zero: a CRC error, not a split frame
        if (bad[mid] === 0) bad[mid] = 0x55;
        hits.corrupted++;
        return bad;
      }
    };
  });
}

describe.skipIf(unavailable !== null).each([
  { spec: 'virtual:m4', board: 'qemu-mps2-an386', cpu: 'cortex-m4', blobBytes: 64 * 1024, rateHz: 1000 },
  { spec: 'virtual:m0', board: 'qemu-microbit', cpu: 'cortex-m0', blobBytes: 24 * 1024, rateHz: 500 },
])('$spec over the QEMU pty', ({ spec, board, cpu, blobBytes, rateHz }) => {
  let ctx: AppContext;
  let boards: BoardManager;

  beforeAll(async () => {
    ctx = testContext();
    boards = boardManager(ctx);
  });
  afterAll(async () => {
    const qemu = boards.virtualProcess(spec);
    await ctx.close();
    if (qemu) expect(qemu.running).toBe(false); // closing the context stops QEMU
  });

  it('says hello with the documented info and counts instructions', async () => {
    const conn = await boards.connect(spec);
    expect(conn.info).toMatchObject({ protocolVersion: 1, board, cpu, counterKind: 'instructions' });
    expect(conn.info.maxPayload).toBeGreaterThanOrEqual(256);
    expect(conn.info.ramFree).toBeLessThanOrEqual(conn.info.ramBytes);
    expect(conn.counter.label).toMatch(/^instructions \(QEMU -icount shift=\d+/);
    expect(await boards.connect(spec)).toBe(conn); // reused, not reopened
  });

  it('pings: empty and max-payload round trips echo exactly', async () => {
    const conn = await boards.connect(spec);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) times.push(await conn.client.ping());
    const big = randomBytes(conn.client.maxPayload, 7);
    await conn.client.ping(big);
    times.sort((a, b) => a - b);
    expect(times[25]).toBeLessThan(50);
    // Every ping was answered (each await resolved). Under CI load a pty read occasionally stalls
    // past the 500 ms timeout; the same-seq retry recovers it, but it must stay rare.
    if (conn.client.stats.timeouts > 0)
      console.log(`[boards] ${spec}: ${conn.client.stats.timeouts} ping timeouts recovered by retry`);
    expect(conn.client.stats.timeouts).toBeLessThanOrEqual(5);
  });

  it('loads random bytes only as far as the CRC check; a valid blob of the same size goes active', async () => {
    const conn = await boards.connect(spec);
    // Random bytes with their true CRC: every chunk is acked and the whole-blob CRC verifies, so the
    // board gets past CRC_MISMATCH to the blob header check, which refuses to activate them.
    const junk = randomBytes(blobBytes, 11);
    const err = await conn.loadModel(junk).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect((err as BoardError).boardCodeName).toBe('UNSUPPORTED_MODEL');
    expect((await conn.client.modelInfo()).crc32).not.toBe(crc32(junk));

    const blob = denseBlob(blobBytes, 11);
    const r = await conn.loadModel(blob);
    expect(r.modelInfo).toMatchObject({ state: 'active', size: blob.length, crc32: crc32(blob) });
    expect(await conn.client.modelInfo()).toEqual(r.modelInfo);
    // Nothing corrupted these frames, so the board's receiver must not have dropped any: a pty
    // delivers bytes faster than a UART, and the micro:bit's 256-byte ring is smaller than one
    // frame (its HAL holds bytes back in the UART FIFO instead of overrunning).
    expect((await conn.client.boardStats())?.rxDroppedFrames).toBe(0);
    console.log(
      `${spec}: model load ${blob.length} B at ${(r.bytesPerSecond / 1024).toFixed(1)} KiB/s (pty)`,
    );
  });

  it('resumes a load after a disconnect in the middle of it', async () => {
    const size = blobBytes / 2; // keeps the run short; the full size is exercised above
    const blob = denseBlob(size, 12);
    let conn = await boards.connect(spec);
    await expect(conn.loadModel(blob, undefined, { stopAfterBytes: size / 2 })).rejects.toThrow(/stopped at/);
    await boards.disconnect(spec, { stopVirtual: false }); // the host goes away; QEMU keeps the board state
    conn = await boards.connect(spec);
    const r = await conn.loadModel(blob);
    expect(r.resumedFrom).toBeGreaterThanOrEqual(size / 2);
    expect(r.resumedFrom).toBeLessThan(size);
    expect(r.modelInfo).toMatchObject({ state: 'active', crc32: crc32(blob) });

    // And with the port dropping underneath an active load: the connection reopens and resumes.
    const blob2 = denseBlob(size, 13);
    let dropped = false;
    const r2 = await conn.loadModel(blob2, (p) => {
      if (!dropped && p.sent > size / 3) {
        dropped = true;
        void conn.client.close();
      }
    });
    expect(dropped).toBe(true);
    expect(r2.resumedFrom).toBeGreaterThan(0);
    expect(r2.modelInfo.crc32).toBe(crc32(blob2));
  });

  it('retries a chunk corrupted on the wire; the board drops it and the load still verifies', async () => {
    await boards.disconnect(spec, { stopVirtual: false });
    const hits = { corrupted: 0 };
    const conn = await boards.connect(spec, { wrapTransport: corruptNthChunk(3, hits) });
    const blob = denseBlob(blobBytes / 4, 14);
    const r = await conn.loadModel(blob);
    expect(hits.corrupted).toBe(1);
    expect(conn.client.stats.retries).toBeGreaterThanOrEqual(1);
    expect(r.modelInfo).toMatchObject({ state: 'active', crc32: crc32(blob) });
    await boards.disconnect(spec, { stopVirtual: false });
  });

  it('keeps the old model active after an aborted load and after a CRC mismatch', async () => {
    const conn = await boards.connect(spec);
    const good = denseBlob(4096, 15);
    const first = await conn.loadModel(good);
    const other = denseBlob(8192, 16);
    await expect(conn.loadModel(other, undefined, { stopAfterBytes: 4096 })).rejects.toThrow();
    // While a load is pending the board may say 'loading'; slot, size and CRC still describe the
    // active model, which is what INFER runs.
    const during = await conn.client.modelInfo();
    expect(['active', 'loading']).toContain(during.state);
    expect(during).toMatchObject({
      slot: first.modelInfo.slot,
      crc32: first.modelInfo.crc32,
      size: good.length,
    });

    const c = conn.client;
    const wrongCrc = (crc32(other) ^ 0xdeadbeef) >>> 0;
    const begin = await c.modelBegin(other.length, wrongCrc);
    expect(begin.resumeOffset).toBe(0);
    const piece = c.maxPayload - 4;
    for (let o = 0; o < other.length; o += piece) await c.modelChunk(o, other.subarray(o, o + piece));
    const err = await c.modelCommit().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect((err as BoardError).boardCodeName).toBe('CRC_MISMATCH');
    expect(await c.modelInfo()).toMatchObject({
      state: 'active',
      slot: first.modelInfo.slot,
      crc32: first.modelInfo.crc32,
      size: good.length,
    });
  });

  it('runs INFER on the active model: same input gives the same output, counts within 1 %', async () => {
    const conn = await boards.connect(spec);
    const m = denseModel(2048, 18);
    await conn.loadModel(m.blob);
    const input = randomBytes(m.inputBytes, 19);
    const a = await conn.client.infer(input);
    const b = await conn.client.infer(input);
    expect(a.counterKind).toBe('instructions');
    expect(a.output.length).toBe(m.outputBytes);
    expect(a.elapsed).toBeGreaterThan(0);
    // QEMU -icount makes the instruction count reproducible, but the board's count also includes any
    // interrupt taken during the run (SysTick at 40 Hz, UART RX) and the SysTick→instruction
    // quantisation, so two runs in one session can differ by a few dozen instructions.
    console.log(`${spec}: INFER elapsed ${a.elapsed} then ${b.elapsed} instructions`);
    expect(Math.abs(b.elapsed - a.elapsed)).toBeLessThanOrEqual(Math.max(2, a.elapsed * 0.01));
    expect(b.output).toEqual(a.output);
    expect(await conn.client.layerOutput(0)).toEqual(a.output);
  });

  it('full duplex: streams samples while pings and a model load run', async () => {
    const conn = await boards.connect(spec);
    const frames: number[] = [];
    const t0s: Array<[number, number]> = [];
    let samples = 0;
    let accZ = 0;
    let scales: number[] = [];
    const off = conn.onSamples((f) => {
      frames.push(f.frameNo);
      t0s.push([f.t0Us, f.nSamples]);
      samples += f.nSamples;
      expect(f.nChannels).toBe(6);
      expect(f.data.length).toBe(f.nSamples * 6);
      for (let i = 0; i < f.nSamples; i++) accZ += f.data[i * 6 + 2]! * (scales[2] ?? 0);
    });
    const started = await conn.start({ rateHz, channelMask: 0x3f });
    scales = started.scales;
    expect(started.channels).toEqual(['acc_x', 'acc_y', 'acc_z', 'gyro_x', 'gyro_y', 'gyro_z']);
    expect(started.scales.every((s) => s > 0)).toBe(true);
    const t0 = performance.now();
    const blob = denseBlob(blobBytes / 2, 17);
    const pings = (async () => {
      for (let i = 0; i < 50; i++) await conn.client.ping(randomBytes(64, i + 1));
    })();
    const [, load] = await Promise.all([pings, conn.loadModel(blob)]);
    await new Promise((r) => setTimeout(r, 300));
    const stopped = await conn.stop();
    const seconds = (performance.now() - t0) / 1000;
    off();
    expect(load.modelInfo.crc32).toBe(crc32(blob));
    expect(frames.length).toBeGreaterThan(5);
    for (let i = 1; i < frames.length; i++) expect(frames[i]).toBeGreaterThan(frames[i - 1]!);
    console.log(
      `${spec}: streamed ${samples} samples (${(samples / seconds).toFixed(0)}/s asked ${rateHz}/s) in ${frames.length} frames during 50 pings + a ${blob.length} B load; ` +
        `board sent ${stopped.framesSent}, dropped ${stopped.framesDropped}; host saw ${conn.hostFramesMissing} missing`,
    );
    expect(conn.hostFramesMissing).toBe(0);
    // Board time advances by exactly the samples sent (virtual time from the instruction counter),
    // and the replayed recording holds the board still-ish with gravity on z (m/s²).
    for (let i = 1; i < t0s.length; i++) {
      const [t, n] = t0s[i - 1]!;
      expect(Math.abs(t0s[i]![0] - t - (n * 1e6) / rateHz)).toBeLessThanOrEqual(1e6 / rateHz);
    }
    expect(accZ / samples).toBeGreaterThan(8);
    expect(accZ / samples).toBeLessThan(11.5);
  });

  it('a second open of the same port is refused as busy, naming it', async () => {
    const conn = await boards.connect(spec);
    const err = await openClient(conn.port, { handshakeMs: 500 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`^Cannot open ${conn.port}: the port is busy`));
    await conn.client.ping(); // the first connection is unharmed
  });

  it('notices QEMU dying: the connection closes with a reason, and connect starts a new board', async () => {
    const conn = await boards.connect(spec);
    const closed = new Promise<Error | undefined>((resolve) => conn.onClose(resolve));
    process.kill(boards.virtualProcess(spec)!.qemuPid, 'SIGKILL');
    expect(await closed).toBeInstanceOf(Error);
    await expect(conn.client.ping()).rejects.toThrow(/the board connection closed/);
    const again = await boards.connect(spec);
    expect(again).not.toBe(conn);
    expect(await again.client.ping()).toBeGreaterThan(0);
  });
});
