import type { ServiceImpl } from '../../shared/api/contract';
import { BitbenchError } from '../../shared/errors';
import type { AppContext } from '../context';
import { boardManager, parseSpecOrThrow, type BoardConnection } from './board-manager';
import { boardClaims } from './board-claims';
import { BoardError } from './errors';
import { summarize } from './ping-stats';

async function describe(conn: BoardConnection) {
  let model = null;
  try {
    model = await conn.client.modelInfo();
  } catch (err) {
    if (!(err instanceof BoardError)) throw err; // a firmware without MODEL_INFO still has an info page
  }
  return {
    spec: conn.spec,
    port: conn.port,
    state: 'connected' as const,
    info: conn.info,
    counter: conn.counter,
    model,
  };
}

/** Consecutive unanswered pings after which `pingBoard` stops instead of trying the rest. */
const GIVE_UP_AFTER = 3;

/** Round trips of PING with `payloadBytes` of pattern data; failures are counted, not thrown. */
export async function pingBoard(conn: BoardConnection, count: number, payloadBytes: number) {
  if (payloadBytes > conn.client.maxPayload) {
    throw new BitbenchError(
      'bad_request',
      `${conn.port}: a ${payloadBytes}-byte PING exceeds the board's max payload of ${conn.client.maxPayload}`,
    );
  }
  const payload = Uint8Array.from({ length: payloadBytes }, (_, i) => (i * 31 + 7) & 0xff);
  const times: number[] = [];
  let failures = 0;
  let inARow = 0;
  for (let i = 0; i < count; i++) {
    try {
      times.push(await conn.client.ping(payload));
      inARow = 0;
    } catch (err) {
      if (!conn.isOpen) throw err;
      failures++;
      // Each lost ping costs every retry (2 s); a board that stopped answering would hold the
      // command for count × 2 s.
      if (++inARow >= GIVE_UP_AFTER && i + 1 < count)
        throw new BitbenchError(
          'timeout',
          `${conn.port}: the board stopped answering — ${inARow} pings in a row got no response ` +
            `(${times.length} of ${i + 1} answered). Reset or restart the board and retry.`,
        );
    }
  }
  if (times.length === 0) throw new BitbenchError('timeout', `${conn.port}: all ${count} pings failed`);
  return {
    spec: conn.spec,
    port: conn.port,
    payloadBytes,
    failures,
    ...summarize(times),
    counter: conn.counter,
  };
}

export function createBoardsService(ctx: AppContext): ServiceImpl['boards'] {
  const boards = () => boardManager(ctx);
  return {
    list: () => boards().list(),
    info: async ({ board, baudRate }) => describe(await boards().connect(board, { baudRate })),
    connect: async ({ board, baudRate }) => describe(await boards().connect(board, { baudRate })),
    // Pulling the board from under a flash, profile or verify would leave it half done: cancel the job.
    disconnect: async ({ board, stopVirtual }) => {
      boardClaims(ctx).refuseIfHeld(board);
      return { disconnected: await boards().disconnect(board, { stopVirtual }) };
    },
    stop: async ({ board }) => {
      boardClaims(ctx).refuseIfHeld(board);
      const running = await boards().stopEverywhere(board);
      return {
        spec: parseSpecOrThrow(board).spec,
        stopped: running.map((e) => ({
          owner: e.owner,
          ownerPid: e.ownerPid,
          qemuPid: e.qemuPid,
          port: e.ptyPath,
        })),
      };
    },
    ping: async ({ board, baudRate, count, payloadBytes }) =>
      pingBoard(await boards().connect(board, { baudRate }), count, payloadBytes),
  };
}
