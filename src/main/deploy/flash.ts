import type { FlashResult } from '../../shared/api/deploy';
import { BitbenchError } from '../../shared/errors';
import type { HelloInfo } from '../../shared/protocol';
import type { BoardConnection } from '../device/board-connection';
import { crc32 } from '../device/crc32';
import { BoardClosedError } from '../device/errors';
import type { Artifact } from './artifact';
import { hex32 } from './artifact';

export interface FlashProgress {
  sent: number;
  total: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface FlashOutcome {
  alreadyActive: boolean;
  resumedFrom: number;
  chunks: number;
  seconds: number;
  bytesPerSecond: number;
  slot: number | null;
}

/** What the board runs now, for an error message ("still runs its previous model …"). */
async function activeModelNote(conn: BoardConnection): Promise<string> {
  if (!conn.isOpen)
    // A virtual board's model slots are QEMU's RAM: they went with the process.
    return conn.spec.startsWith('virtual:')
      ? `the virtual board ${conn.spec} stopped (its QEMU exited), and its model with it: the next flash or profile starts it again`
      : 'the board is disconnected; its previous model stays active in its slot';
  try {
    const mi = await conn.client.modelInfo();
    return mi.state === 'none' || mi.slot === null
      ? 'the board has no active model'
      : `the board still runs its previous model (slot ${mi.slot}, ${mi.size} B, hash ${mi.modelHash})`;
  } catch {
    return 'the board did not answer MODEL_INFO; its previous model stays active in its slot';
  }
}

/**
 * Loads the artifact's blob into the board's inactive slot (chunked, acknowledged, resumable),
 * lets the board activate it after its whole-blob CRC check, then reads MODEL_INFO back and checks
 * the CRC and the model hash against ours. A board that already runs exactly this blob is left
 * alone unless `force`. On any failure the board keeps running its previous model (the slot
 * design guarantees it) and the error says which model that is.
 */
export async function flashArtifact(
  conn: BoardConnection,
  art: Artifact,
  opts: { force?: boolean; signal?: AbortSignal; onProgress?: (p: FlashProgress) => void } = {},
): Promise<FlashOutcome> {
  const t0 = performance.now();
  const before = await conn.client.modelInfo();
  const crc = crc32(art.blob);
  if (
    !opts.force &&
    before.state === 'active' &&
    before.crc32 === crc &&
    before.size === art.blob.length &&
    before.modelHash === art.parsed.hash
  ) {
    opts.onProgress?.({ sent: art.blob.length, total: art.blob.length, bytesPerSecond: 0, etaSeconds: 0 });
    return {
      alreadyActive: true,
      resumedFrom: 0,
      chunks: 0,
      seconds: 0,
      bytesPerSecond: 0,
      slot: before.slot,
    };
  }
  try {
    const r = await conn.loadModel(
      art.blob,
      (p) => {
        const secs = (performance.now() - t0) / 1000;
        const rate = secs > 0 ? (p.sent - p.resumedFrom) / secs : 0;
        opts.onProgress?.({
          sent: p.sent,
          total: p.total,
          bytesPerSecond: rate,
          etaSeconds: rate > 0 ? (p.total - p.sent) / rate : null,
        });
      },
      opts.signal ? { signal: opts.signal } : {},
    );
    const after = await conn.client.modelInfo();
    if (after.state !== 'active' || after.crc32 !== crc || after.modelHash !== art.parsed.hash) {
      throw new BitbenchError(
        'device',
        `${conn.spec}: after loading, the board reports ${after.state} crc 0x${hex32(after.crc32)} hash ${after.modelHash}; expected active crc 0x${hex32(crc)} hash ${art.parsed.hash}`,
      );
    }
    return {
      alreadyActive: false,
      resumedFrom: r.resumedFrom,
      chunks: r.chunks,
      seconds: (performance.now() - t0) / 1000,
      bytesPerSecond: r.bytesPerSecond,
      slot: after.slot,
    };
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
    const note = await activeModelNote(conn);
    const code = err instanceof BitbenchError ? err.code : 'device';
    throw new BitbenchError(
      err instanceof BoardClosedError ? 'device' : code,
      `Flashing ${art.name} to ${conn.spec} failed: ${why}. ${note[0]!.toUpperCase()}${note.slice(1)}.`,
    );
  }
}

/** A flash as its run stores it and the CLI prints it (a Flash job's result, a profile's `flash`). */
export function flashResult(
  runId: number,
  art: Artifact,
  board: { spec: string; info: HelloInfo },
  f: FlashOutcome,
  startedMs: number,
): FlashResult {
  return {
    run_id: runId,
    model: art.name,
    board: board.spec,
    bytes: art.blob.length,
    model_bytes: art.blob.length,
    crc32: art.crc32Hex,
    model_hash: art.parsed.hash,
    already_active: f.alreadyActive,
    resumed_from: f.resumedFrom,
    chunks: f.chunks,
    seconds: f.seconds || (Date.now() - startedMs) / 1000,
    bytes_per_second: f.bytesPerSecond,
    verified: true,
    slot: f.slot,
    firmware_version: board.info.firmwareVersion,
    build_id: board.info.buildId,
  };
}
