// Chunked, acknowledged, resumable model load (docs/protocol.md, "Model load").
import { BitbenchError } from '../../shared/errors';
import type { ModelInfo } from '../../shared/protocol';
import { crc32 } from './crc32';
import { BoardError } from './errors';
import { chunkDataBytes, type ProtocolClient } from './protocol-client';

export interface ModelLoadProgress {
  sent: number;
  total: number;
  /** Where this attempt started (> 0 when the board resumed an interrupted load). */
  resumedFrom: number;
}

export interface ModelLoadResult {
  modelInfo: ModelInfo;
  bytes: number;
  crc32: number;
  resumedFrom: number;
  chunks: number;
  elapsedMs: number;
  bytesPerSecond: number;
}

export interface ModelLoadOptions {
  /** Chunk data size; default: as much as one frame carries for this board. */
  chunkBytes?: number;
  signal?: AbortSignal;
  /** Stop after this many bytes without committing (tests of interrupted loads). */
  stopAfterBytes?: number;
}

/** Expected offset from a BAD_STATE message ("expected 4096"): the board states it in its text. */
function expectedOffsetFrom(err: BoardError): number | undefined {
  const m = /(\d+)/.exec(String((err.details as { boardMessage?: string } | undefined)?.boardMessage ?? ''));
  return m ? Number(m[1]) : undefined;
}

/**
 * Writes `blob` into the board's inactive slot, chunk by chunk, each acknowledged, then commits it.
 * The board answers MODEL_BEGIN with how far an interrupted load of the same blob got, so calling
 * this again after a disconnect resumes rather than restarts. The active model only changes when
 * the whole blob's CRC verifies on the board; the result is checked against ours again here.
 */
export async function loadModel(
  client: ProtocolClient,
  blob: Uint8Array,
  onProgress?: (p: ModelLoadProgress) => void,
  opts: ModelLoadOptions = {},
): Promise<ModelLoadResult> {
  if (blob.length === 0) throw new BitbenchError('bad_request', 'the model blob is empty');
  const info = client.info;
  if (info && blob.length > info.modelSlotBytes) {
    throw new BitbenchError(
      'bad_request',
      `${client.port}: the model is ${blob.length} bytes but a slot on ${info.board} holds ${info.modelSlotBytes}. Quantize to fewer bits or pick a smaller architecture.`,
    );
  }
  const t0 = performance.now();
  const crc = crc32(blob);
  const begin = await client.modelBegin(blob.length, crc);
  if (begin.resumeOffset > blob.length) {
    throw new BitbenchError(
      'device',
      `${client.port}: MODEL_BEGIN resumes at ${begin.resumeOffset}, past the ${blob.length}-byte blob`,
    );
  }
  const piece = Math.max(1, Math.min(opts.chunkBytes ?? Infinity, chunkDataBytes(client.maxPayload)));
  let offset = begin.resumeOffset;
  let chunks = 0;
  const stopAt = opts.stopAfterBytes ?? Infinity;
  onProgress?.({ sent: offset, total: blob.length, resumedFrom: begin.resumeOffset });
  while (offset < blob.length) {
    if (opts.signal?.aborted) throw new BitbenchError('cancelled', 'model load cancelled');
    if (offset >= stopAt) {
      throw new BitbenchError(
        'cancelled',
        `model load stopped at ${offset} of ${blob.length} bytes as asked`,
      );
    }
    const n = Math.min(piece, blob.length - offset);
    let next: number;
    try {
      next = await client.modelChunk(offset, blob.subarray(offset, offset + n));
    } catch (err) {
      // Out of step with the board (e.g. its ack was lost and it moved on): continue where it is.
      const expected = err instanceof BoardError && err.is('BAD_STATE') ? expectedOffsetFrom(err) : undefined;
      if (expected === undefined || expected > blob.length) throw err;
      offset = expected;
      continue;
    }
    chunks++;
    if (next > blob.length || next <= offset) {
      throw new BitbenchError(
        'device',
        `${client.port}: MODEL_CHUNK at ${offset} was acknowledged with next offset ${next}; expected ${offset + n}`,
      );
    }
    offset = next;
    onProgress?.({ sent: offset, total: blob.length, resumedFrom: begin.resumeOffset });
  }
  const modelInfo = await client.modelCommit();
  if (modelInfo.state !== 'active' || modelInfo.crc32 !== crc || modelInfo.size !== blob.length) {
    throw new BitbenchError(
      'device',
      `${client.port}: after MODEL_COMMIT the board reports ${modelInfo.state} size ${modelInfo.size} crc ${hex32(modelInfo.crc32)}, expected active size ${blob.length} crc ${hex32(crc)}`,
    );
  }
  const elapsedMs = performance.now() - t0;
  const sentBytes = blob.length - begin.resumeOffset;
  return {
    modelInfo,
    bytes: blob.length,
    crc32: crc,
    resumedFrom: begin.resumeOffset,
    chunks,
    elapsedMs,
    bytesPerSecond: elapsedMs > 0 ? (sentBytes * 1000) / elapsedMs : 0,
  };
}

export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
