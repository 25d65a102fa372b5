import { afterEach, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/main/context';
import { boardClaims } from '../../src/main/device/board-claims';
import { boardManager } from '../../src/main/device/board-manager';
import { createServices } from '../../src/main/services';
import { discoverSerialPorts } from '../../src/main/device/discovery';
import { BoardsRepo } from '../../src/main/store/boards-repo';
import { parseBoardSpec, type BoardEvent } from '../../src/shared/api/boards';
import { Command } from '../../src/shared/protocol';
import { FakeBoard, FAKE_HELLO } from './helpers/fake-board';

let ctx: AppContext | undefined;
let board: FakeBoard | undefined;
afterEach(async () => {
  await ctx?.close();
  board?.dispose();
  ctx = undefined;
});

describe('board specifier', () => {
  it('accepts virtual:m4, virtual:m0 and port paths; names anything else', () => {
    expect(parseBoardSpec('virtual:m4')).toEqual({ kind: 'virtual', spec: 'virtual:m4', id: 'm4' });
    expect(parseBoardSpec(' VIRTUAL:M0 ')).toEqual({ kind: 'virtual', spec: 'virtual:m0', id: 'm0' });
    expect(parseBoardSpec('/dev/ttyACM0')).toEqual({
      kind: 'serial',
      spec: '/dev/ttyACM0',
      path: '/dev/ttyACM0',
    });
    expect(parseBoardSpec('COM7')).toMatchObject({ kind: 'serial', path: 'COM7' });
    expect(parseBoardSpec('virtual:m7')).toEqual({
      error: expect.stringMatching(/Unknown virtual board "virtual:m7". Use virtual:m4/),
    });
    expect(parseBoardSpec('nucleo')).toEqual({
      error: expect.stringMatching(/Unknown board specifier "nucleo"/),
    });
  });
});

describe('serial discovery', () => {
  it('falls back to /dev names with a note when listing fails (no udevadm)', async () => {
    const d = await discoverSerialPorts(() => Promise.reject(new Error('spawn udevadm ENOENT')));
    expect(d.note).toMatch(/Serial port listing failed \(spawn udevadm ENOENT\)/);
    expect(Array.isArray(d.ports)).toBe(true);
  });

  it('keeps USB ports and hides legacy ttyS without hardware', async () => {
    const d = await discoverSerialPorts(() =>
      Promise.resolve([
        { path: '/dev/ttyS0' },
        {
          path: '/dev/ttyACM0',
          manufacturer: 'STMicroelectronics',
          vendorId: '0483',
          productId: '374b',
          serialNumber: 'X1',
        },
      ]),
    );
    expect(d).toEqual({
      note: null,
      ports: [
        {
          path: '/dev/ttyACM0',
          manufacturer: 'STMicroelectronics',
          vendorId: '0483',
          productId: '374b',
          serialNumber: 'X1',
        },
      ],
    });
  });
});

describe('BoardManager over MockBinding', () => {
  it('connects once, reuses the connection, emits events, records the board, disconnects', async () => {
    ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
    board = new FakeBoard('/dev/ttyFAKE1');
    const events: BoardEvent[] = [];
    ctx.events.subscribe((name, p) => name === 'board' && events.push(p as BoardEvent));
    const boards = boardManager(ctx);
    expect(boardManager(ctx)).toBe(boards);
    const [a, b] = await Promise.all([
      boards.connect(board.path, { makePort: board.makePort }),
      boards.connect(board.path, { makePort: board.makePort }),
    ]);
    expect(a).toBe(b);
    expect(a.info).toEqual(FAKE_HELLO);
    expect(board.received.filter((m) => m.type === 1).length).toBe(1); // one handshake for two callers
    expect(events.map((e) => e.state)).toEqual(['connecting', 'connected']);
    expect(new BoardsRepo(ctx.db).get(board.path)).toMatchObject({
      name: 'fake-board',
      kind: 'serial',
      info: FAKE_HELLO,
    });

    const listed = await boards.list();
    expect(listed.boards.find((x) => x.spec === board!.path)).toMatchObject({
      state: 'connected',
      counter: { kind: 'instructions' },
    });
    expect(listed.boards.filter((x) => x.kind === 'virtual').map((x) => x.spec)).toEqual([
      'virtual:m4',
      'virtual:m0',
    ]);

    expect(await boards.disconnect(board.path)).toBe(true);
    expect(events.at(-1)).toMatchObject({ spec: board.path, state: 'disconnected' });
    expect((await boards.list()).boards.find((x) => x.spec === board!.path)).toMatchObject({
      state: 'disconnected',
    });
  });

  it('reports a vanished board as a disconnected event with the reason', async () => {
    ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
    board = new FakeBoard('/dev/ttyFAKE2');
    const events: BoardEvent[] = [];
    ctx.events.subscribe((name, p) => name === 'board' && events.push(p as BoardEvent));
    const conn = await boardManager(ctx).connect(board.path, { makePort: board.makePort });
    const closed = new Promise<Error | undefined>((r) => conn.onClose(r));
    await board.unplug();
    expect(await closed).toBeInstanceOf(Error);
    expect(events.at(-1)).toMatchObject({ state: 'disconnected', error: expect.any(String) });
    // The list keeps the reason (a page opened or reloaded later still says why).
    expect((await boardManager(ctx).list()).boards.find((b) => b.spec === board!.path)).toMatchObject({
      state: 'disconnected',
      error: events.at(-1)!.error,
    });
  });

  it("opens a serial board at the firmware's 460800 baud (docs/protocol.md), or BITBENCH_BAUD, or the one asked for", async () => {
    // The ST-LINK virtual COM port runs the board's UART at the rate the host opens the port with.
    ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
    board = new FakeBoard('/dev/ttyFAKE3');
    const rates: number[] = [];
    const makePort = (path: string, baudRate: number) => {
      rates.push(baudRate);
      return board!.makePort(path, baudRate);
    };
    const boards = boardManager(ctx);
    const saved = process.env.BITBENCH_BAUD;
    try {
      delete process.env.BITBENCH_BAUD;
      await boards.connect(board.path, { makePort });
      await boards.disconnect(board.path);
      process.env.BITBENCH_BAUD = '115200';
      await boards.connect(board.path, { makePort });
      await boards.disconnect(board.path);
      await boards.connect(board.path, { makePort, baudRate: 921600 });
      await boards.disconnect(board.path);
      expect(rates).toEqual([460800, 115200, 921600]);
      process.env.BITBENCH_BAUD = 'fast';
      await expect(boards.connect(board.path, { makePort })).rejects.toThrow(
        /BITBENCH_BAUD=fast: give the board's line rate in baud/,
      );
    } finally {
      if (saved === undefined) delete process.env.BITBENCH_BAUD;
      else process.env.BITBENCH_BAUD = saved;
    }
  });

  it('lists a board being connected as connecting (a page reloaded meanwhile shows no Connect)', async () => {
    ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
    board = new FakeBoard('/dev/ttyFAKE4');
    board.knobs.mute.add(Command.HELLO); // still booting
    const boards = boardManager(ctx);
    const connecting = boards.connect(board.path, { makePort: board.makePort, handshakeMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    expect((await boards.list()).boards.find((b) => b.spec === board!.path)).toMatchObject({
      state: 'connecting',
      port: board.path,
    });
    board.knobs.mute.clear();
    await connecting;
    expect((await boards.list()).boards.find((b) => b.spec === board!.path)?.state).toBe('connected');
  });

  it('does not offer a pseudo-terminal seen before once it is closed (its number is reused)', async () => {
    ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
    board = new FakeBoard('/dev/pts/97');
    const boards = boardManager(ctx);
    await boards.connect(board.path, { makePort: board.makePort });
    expect((await boards.list()).boards.find((b) => b.spec === '/dev/pts/97')?.state).toBe('connected');
    await boards.disconnect(board.path);
    expect((await boards.list()).boards.find((b) => b.spec === '/dev/pts/97')).toBeUndefined();
  });

  it('refuses to disconnect or stop a board a job holds (flash, profile, verify), naming the job', async () => {
    ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
    board = new FakeBoard('/dev/ttyFAKE5');
    const services = createServices(ctx);
    await boardManager(ctx).connect(board.path, { makePort: board.makePort });
    let finish = () => {};
    const held = new Promise<void>((r) => (finish = r));
    const reservation = boardClaims(ctx).reserve(board.path);
    const job = ctx.jobs.start(
      'profile',
      {},
      reservation.holding(() => held),
    );
    await new Promise((r) => setTimeout(r, 20));
    await expect(services.boards.disconnect({ board: board.path, stopVirtual: true })).rejects.toThrow(
      `${board.path} is busy with job ${job.id}; wait for it or cancel it first.`,
    );
    expect(boardManager(ctx).get(board.path)?.isOpen).toBe(true);
    finish();
    await job.done;
    expect(await services.boards.disconnect({ board: board.path, stopVirtual: true })).toEqual({
      disconnected: true,
    });
  });

  it('refuses an unknown specifier with the accepted forms', async () => {
    ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
    await expect(boardManager(ctx).connect('usb0')).rejects.toThrow(
      /Unknown board specifier "usb0".*virtual:m4/,
    );
  });
});
