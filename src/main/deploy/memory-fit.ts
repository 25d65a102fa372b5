import type { MemoryFit } from '../../shared/api/deploy';
import { tensorBytes, type ParsedBlob } from '../../shared/engine/blob-format';
import type { HelloInfo } from '../../shared/protocol';

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Will the blob fit this board? Checked before a single byte is sent: the blob against a model
 * slot, the runner's minimum arena (ping-pong buffers + kernel scratch) against the board's arena,
 * the input against the input buffer. Each problem names what is needed and what is there.
 */
/** The refusal as one sentence: "<model> does not fit <board>: <problem>; <problem>". */
export function fitMessage(fit: Pick<MemoryFit, 'problems'>): string {
  const [head, ...rest] = fit.problems;
  return rest.length ? `${head} ${rest.join('; ')}` : (head ?? '');
}

export function memoryFit(
  name: string,
  blob: Uint8Array,
  parsed: ParsedBlob,
  spec: string,
  info: HelloInfo,
): MemoryFit {
  const problems: string[] = [];
  const inputBytes = tensorBytes(parsed.inShape);
  if (blob.length > info.modelSlotBytes)
    problems.push(
      `the model blob is ${fmt(blob.length)} B but a model slot on ${info.board} holds ${fmt(info.modelSlotBytes)} B (${fmt(blob.length - info.modelSlotBytes)} B over)`,
    );
  if (parsed.arenaMin > info.arenaBytes)
    problems.push(
      `inference needs an arena of ${fmt(parsed.arenaMin)} B (the largest layer input + output + scratch) but ${info.board} has ${fmt(info.arenaBytes)} B (${fmt(parsed.arenaMin - info.arenaBytes)} B over)`,
    );
  if (inputBytes > info.arenaBytes)
    problems.push(
      `one input window is ${fmt(inputBytes)} B, more than the ${fmt(info.arenaBytes)} B input buffer`,
    );
  if (problems.length) problems.unshift(`${name} does not fit ${spec} (${info.board}, ${info.cpu}):`);
  const arenaUsed = parsed.arenaAll <= info.arenaBytes ? parsed.arenaAll : parsed.arenaMin;
  return {
    fits: problems.length === 0,
    problems,
    model_bytes: blob.length,
    model_slot_bytes: info.modelSlotBytes,
    arena_min_bytes: parsed.arenaMin,
    arena_all_bytes: parsed.arenaAll,
    arena_used_bytes: arenaUsed,
    board_arena_bytes: info.arenaBytes,
    input_bytes: inputBytes,
    ram_bytes: info.ramBytes,
    ram_free_bytes: info.ramFree,
    flash_bytes: info.flashBytes,
    firmware_flash_bytes: info.flashBytes - info.flashFree,
  };
}
