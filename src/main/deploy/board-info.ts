import type { BoardRef } from '../../shared/api/deploy';
import { BitbenchError } from '../../shared/errors';
import type { HelloInfo } from '../../shared/protocol';
import type { AppContext } from '../context';
import { boardManager, parseSpecOrThrow } from '../device/board-manager';
import { counterUnitOf } from '../device/counter-unit';
import { BoardsRepo } from '../store/boards-repo';

export function boardRef(spec: string, info: HelloInfo): BoardRef {
  const unit = counterUnitOf(info);
  return {
    spec,
    name: info.board,
    cpu: info.cpu,
    clock_hz: info.clockHz,
    counter: unit.kind,
    counter_label: unit.label,
    firmware_version: info.firmwareVersion,
    build_id: info.buildId,
  };
}

/**
 * The board's HELLO info for an estimate: from the open connection, else from the last time the
 * board was seen (boards table). A board never seen is connected once (a virtual board starts).
 */
export async function boardInfoFor(
  ctx: AppContext,
  spec: string,
): Promise<{ spec: string; info: HelloInfo; source: 'connected' | 'last-seen' }> {
  const parsed = parseSpecOrThrow(spec);
  const open = boardManager(ctx).get(parsed.spec);
  if (open) return { spec: parsed.spec, info: open.info, source: 'connected' };
  const seen = new BoardsRepo(ctx.db).get(parsed.spec)?.info;
  if (seen) return { spec: parsed.spec, info: seen, source: 'last-seen' };
  try {
    const conn = await boardManager(ctx).connect(parsed.spec);
    return { spec: parsed.spec, info: conn.info, source: 'connected' };
  } catch (err) {
    throw new BitbenchError(
      err instanceof BitbenchError ? err.code : 'device',
      `No information about ${parsed.spec}: it has never been connected and connecting failed (${err instanceof Error ? err.message : String(err)}).`,
    );
  }
}
