import { afterEach, describe, expect, it } from 'vitest';
import { BoardConnection, openClient } from '../../src/main/device/board-connection';
import { BoardClosedError, BoardError, BoardTimeoutError } from '../../src/main/device/errors';
import { crc32 } from '../../src/main/device/crc32';
import { pingBoard } from '../../src/main/device/boards-service';
import type { ProtocolClient } from '../../src/main/device/protocol-client';
import { Command, Flag } from '../../src/shared/protocol';
import { encodeHelloInfo } from '../../src/main/device/codec';
import { FakeBoard, FAKE_HELLO } from './helpers/fake-board';

let board: FakeBoard;
const clients: ProtocolClient[] = [];
let n = 0;

async function connect(
  opts: { requestTimeoutMs?: number; handshakeMs?: number } = {},
): Promise<ProtocolClient> {
  board = new FakeBoard(`/dev/fake${n++}`);
  const c = await openClient(board.path, {
    makePort: board.makePort,
    handshakeMs: 1000,
    requestTimeoutMs: 60,
    ...opts,
  });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  board?.dispose();
});

describe('protocol client over MockBinding', () => {
  it('handshakes, pings and echoes payloads', async () => {
    const c = await connect();
    expect(c.info).toEqual(FAKE_HELLO);
    const payload = Uint8Array.from({ length: 200 }, (_, i) => i);
    const ms = await c.ping(payload);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(board.received.at(-1)).toMatchObject({ type: Command.PING, payload });
  });

  it('resends a lost request with the same seq and succeeds', async () => {
    const c = await connect();
    const before = board.received.length;
    board.knobs.dropRequests = 2;
    await c.ping(Uint8Array.of(1, 2, 3));
    const tries = board.received.slice(before);
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((m) => m.seq)).size).toBe(1);
    expect(c.stats.retries).toBe(2);
  });

  it('gives up after 3 retries with a timeout naming the port and command, in bounded time', async () => {
    const c = await connect();
    board.knobs.mute.add(Command.PING);
    const t0 = Date.now();
    const err = await c.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardTimeoutError);
    expect((err as Error).message).toMatch(
      new RegExp(`${board.path}: no response to PING after 4 tries of 60 ms`),
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    // The next request goes through: a failed one does not wedge the queue.
    board.knobs.mute.clear();
    await c.ping();
  });

  it("refuses a request larger than the board's max payload at once (the board would drop it silently)", async () => {
    const c = await connect();
    const before = board.received.length;
    const t0 = Date.now();
    await expect(c.request(Command.PING, new Uint8Array(FAKE_HELLO.maxPayload + 1))).rejects.toThrow(
      `${board.path}: a PING payload of ${FAKE_HELLO.maxPayload + 1} bytes exceeds the board's max payload of ${FAKE_HELLO.maxPayload}`,
    );
    expect(Date.now() - t0).toBeLessThan(50);
    expect(board.received.length).toBe(before); // nothing went on the wire
    await c.ping(new Uint8Array(FAKE_HELLO.maxPayload)); // the largest one still goes
  });

  it('ignores duplicate and stale responses', async () => {
    const c = await connect();
    board.knobs.duplicateResponses = 1;
    await c.ping(Uint8Array.of(1));
    await c.ping(Uint8Array.of(2));
    expect(c.stats.staleResponses).toBe(1);
  });

  it('reassembles responses chopped into 3-byte reads', async () => {
    const c = await connect();
    board.knobs.chopOutput = 3;
    const payload = Uint8Array.from({ length: 250 }, (_, i) => (i * 7) & 0xff);
    await c.ping(payload);
  });

  it('serialises concurrent requests (stop-and-wait) and answers each in order', async () => {
    const c = await connect();
    board.knobs.responseDelayMs = 5;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => c.ping(Uint8Array.of(i))));
    expect(results).toHaveLength(10);
    const pings = board.received.filter((m) => m.type === Command.PING);
    expect(pings.map((m) => m.payload[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(pings.map((m) => m.seq)).size).toBe(10);
  });

  it('delivers events interleaved with responses (sensor stream + pings at once)', async () => {
    const c = await connect();
    const conn = new BoardConnection('fake', c);
    const frames: number[] = [];
    conn.onSamples((f) => frames.push(f.frameNo));
    const started = await conn.start({ rateHz: 100, channelMask: 0b111 });
    expect(started).toMatchObject({ rateHz: 100, channels: ['acc_x', 'acc_y', 'acc_z'] });
    expect(started.scales).toHaveLength(3);
    // MockBinding settles reads and writes on microtasks, so let the board's timer run between pings;
    // keep going until a few frames have interleaved with the responses (bounded for a loaded machine).
    for (let i = 0; i < 30 || (frames.length < 5 && i < 1000); i++) {
      await c.ping(Uint8Array.of(i & 0xff, 0, i & 0xff));
      await new Promise((r) => setTimeout(r, 1));
    }
    const stopped = await conn.stop();
    expect(frames.length).toBeGreaterThan(3);
    expect(frames).toEqual(frames.map((_, i) => i)); // in order, none missing
    expect(stopped.framesSent).toBeGreaterThanOrEqual(frames.length);
    expect(conn.hostFramesMissing).toBe(0);
  });

  it('reports a board ERROR response as BoardError with the code name', async () => {
    const c = await connect();
    const err = await c.infer(new Uint8Array(10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect((err as BoardError).boardCodeName).toBe('NO_MODEL');
    expect((err as Error).message).toBe(`${board.path}: INFER failed with NO_MODEL: no model loaded`);
  });

  it('refuses a board with another protocol version, naming the port and both versions', async () => {
    board = new FakeBoard(`/dev/fake${n++}`);
    board.knobs.protocolVersion = 2;
    const err = await openClient(board.path, {
      makePort: board.makePort,
      handshakeMs: 500,
      requestTimeoutMs: 60,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      new RegExp(`${board.path}: the board speaks protocol version 2, this bitbench speaks version 1`),
    );
  });

  it('a HELLO answer of another layout is refused naming the port, not as an internal error', async () => {
    board = new FakeBoard(`/dev/fake${n++}`);
    board.knobs.helloBytes = 12;
    const err = await openClient(board.path, { makePort: board.makePort, handshakeMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'device' });
    expect((err as Error).message).toMatch(
      new RegExp(
        `^${board.path}: the board's HELLO answer does not have the protocol v1 layout \\(malformed HELLO payload: needs \\d+ bytes, has 12\\)`,
      ),
    );
  });

  it('a board that never says hello fails the handshake within the bound, naming the port', async () => {
    board = new FakeBoard(`/dev/fake${n++}`);
    board.knobs.mute.add(Command.HELLO);
    const t0 = Date.now();
    const err = await openClient(board.path, { makePort: board.makePort, handshakeMs: 400 }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(1500);
    expect((err as Error).message).toMatch(
      new RegExp(`${board.path}: no HELLO answer within 0.4 s.*flash the bitbench firmware`),
    );
  });

  it('a board that sends frames but never answers HELLO is called stuck, not a wrong baud rate', async () => {
    board = new FakeBoard(`/dev/fake${n++}`);
    board.knobs.mute.add(Command.HELLO);
    const events = setInterval(() => board.event(Command.SAMPLES, new Uint8Array(12)), 20);
    try {
      const err = await openClient(board.path, { makePort: board.makePort, handshakeMs: 400 }).catch(
        (e: unknown) => e,
      );
      expect((err as Error).message).toMatch(
        new RegExp(
          `^${board.path}: no HELLO answer within 0.4 s. It sends bitbench frames \\(\\d+: \\d+ events\\) but does not answer HELLO: its firmware is busy or stuck`,
        ),
      );
    } finally {
      clearInterval(events);
    }
  });

  it('handshakes with a board that answers slower than one try (a late answer is not stale)', async () => {
    board = new FakeBoard(`/dev/fake${n++}`);
    board.knobs.responseDelayMs = 400; // every HELLO answered after 400 ms; a try waits 250 ms
    const c = await openClient(board.path, { makePort: board.makePort, handshakeMs: 3000 });
    clients.push(c);
    expect(c.info).toEqual(FAKE_HELLO);
    const hellos = board.received.filter((m) => m.type === Command.HELLO);
    expect(new Set(hellos.map((m) => m.seq)).size).toBe(1); // resent with the same seq
  });

  it('an unknown or busy port gives a clear message', async () => {
    board = new FakeBoard(`/dev/fake${n++}`);
    const missing = await openClient('/dev/does-not-exist', { makePort: board.makePort }).catch(
      (e: unknown) => e,
    );
    expect((missing as Error).message).toMatch(/\/dev\/does-not-exist/);
    const c = await openClient(board.path, { makePort: board.makePort, handshakeMs: 500 });
    clients.push(c);
    const busy = await openClient(board.path, { makePort: board.makePort, handshakeMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect((busy as Error).message).toMatch(new RegExp(`Cannot open ${board.path}: the port is busy`));
  });

  it('fails outstanding requests with BoardClosedError when the port goes away', async () => {
    const c = await connect({ requestTimeoutMs: 2000 });
    const conn = new BoardConnection('fake', c);
    const closed = new Promise<Error | undefined>((resolve) => conn.onClose(resolve));
    board.knobs.mute.add(Command.PING);
    const pending = c.ping().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    await board.unplug();
    expect(await pending).toBeInstanceOf(BoardClosedError);
    expect(await closed).toBeInstanceOf(Error);
    await expect(c.ping()).rejects.toBeInstanceOf(BoardClosedError);
  });

  it('boards ping counts a lost ping but stops once the board stops answering', async () => {
    const c = await connect(); // 60 ms per try, 4 tries per ping
    const conn = new BoardConnection('fake', c);
    board.knobs.dropRequests = 4; // the first ping is lost with all its retries, the rest answer
    const stats = await pingBoard(conn, 5, 8);
    expect(stats).toMatchObject({ count: 4, failures: 1, payloadBytes: 8 });

    board.knobs.mute.add(Command.PING); // a hung board: the port stays open, nothing answers
    const t0 = Date.now();
    const err = await pingBoard(conn, 100, 0).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(2000); // 3 pings of 4 × 60 ms, not 100
    expect((err as Error).message).toBe(
      `${board.path}: the board stopped answering — 3 pings in a row got no response (0 of 3 answered). Reset or restart the board and retry.`,
    );
  });

  it('sees the boot HELLO event without confusing it with a response', async () => {
    const c = await connect();
    const events: number[] = [];
    c.onEvent(Command.HELLO, (m) => events.push(m.flags));
    board.send({ type: Command.HELLO, flags: Flag.EVENT, seq: 0, payload: encodeHelloInfo(FAKE_HELLO) });
    await c.ping();
    expect(events).toEqual([Flag.EVENT]);
  });
});

describe('model load over MockBinding', () => {
  const blob = Uint8Array.from({ length: 3000 }, (_, i) => (i * 131 + 17) & 0xff);

  it('loads in acked chunks, commits, and checks the CRC', async () => {
    const c = await connect();
    const conn = new BoardConnection('fake', c);
    const progress: number[] = [];
    const r = await conn.loadModel(blob, (p) => progress.push(p.sent));
    expect(r.modelInfo).toMatchObject({ state: 'active', size: 3000, crc32: crc32(blob) });
    expect(r.chunks).toBe(Math.ceil(3000 / (FAKE_HELLO.maxPayload - 4)));
    expect(progress.at(-1)).toBe(3000);
    expect(board.slots[board.active!]).toEqual(blob);
  });

  it('resumes an interrupted load from the offset the board reports', async () => {
    const c = await connect();
    const conn = new BoardConnection('fake', c);
    await expect(conn.loadModel(blob, undefined, { stopAfterBytes: 1000 })).rejects.toThrow(/stopped at/);
    const r = await conn.loadModel(blob);
    expect(r.resumedFrom).toBeGreaterThanOrEqual(1000);
    const chunkOffsets = board.received
      .filter((m) => m.type === Command.MODEL_CHUNK)
      .map((m) => new DataView(m.payload.buffer, m.payload.byteOffset).getUint32(0, true));
    expect(chunkOffsets.filter((o) => o === 0)).toHaveLength(1); // the start was sent once
  });

  it('retries a lost chunk with the same seq; the board writes it once', async () => {
    const c = await connect();
    const conn = new BoardConnection('fake', c);
    let chunks = 0;
    const r = await conn.loadModel(blob, () => {
      if (++chunks === 4) board.knobs.dropRequests = 1;
    });
    expect(c.stats.retries).toBeGreaterThanOrEqual(1);
    expect(r.modelInfo.crc32).toBe(crc32(blob));
  });

  it('keeps the old model active when a new load is aborted or fails its CRC', async () => {
    const c = await connect();
    const conn = new BoardConnection('fake', c);
    const first = await conn.loadModel(blob);
    const other = blob.map((b) => b ^ 0x5a);
    await expect(conn.loadModel(other, undefined, { stopAfterBytes: 500 })).rejects.toThrow();
    expect(await c.modelInfo()).toEqual(first.modelInfo);
    // A blob whose bytes do not match the announced CRC is refused at commit.
    await c.modelBegin(other.length, crc32(other) ^ 1);
    for (let o = 0; o < other.length; o += 200) await c.modelChunk(o, other.subarray(o, o + 200));
    const err = await c.modelCommit().catch((e: unknown) => e);
    expect((err as BoardError).boardCodeName).toBe('CRC_MISMATCH');
    expect(await c.modelInfo()).toEqual(first.modelInfo);
  });

  it('reopens the port and resumes when the connection drops mid-load', async () => {
    const c = await connect();
    const conn = new BoardConnection('fake', c, {
      makePort: board.makePort,
      handshakeMs: 1000,
      requestTimeoutMs: 60,
    });
    let unplugged = false;
    const r = await conn.loadModel(blob, (p) => {
      if (!unplugged && p.sent >= 1200) {
        unplugged = true;
        void board.unplug();
      }
    });
    clients.push(conn.client);
    expect(unplugged).toBe(true);
    expect(r.resumedFrom).toBeGreaterThanOrEqual(1200);
    expect(r.modelInfo.crc32).toBe(crc32(blob));
    expect(conn.client).not.toBe(c);
  });
});
