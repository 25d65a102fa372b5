import { BoardEventSchema } from './boards';
import { DamagedRowsEventSchema } from './damaged-rows';
import { DeployProgressSchema } from './deploy';
import { JobSchema } from './jobs';
import { RecordingSamplesSchema, RecordingStatusSchema } from './recording';
import { TrainProgressSchema } from '../model/training';

/**
 * Events pushed from main to the UI. Each feature adds its event here; the payload schema is
 * the contract. Delivered over IPC in Electron and over the WebSocket in the headless host.
 */
export const eventSchemas = {
  /** A job changed (progress, state). */
  job: JobSchema,
  /** A board's connection state changed (connecting, connected, disconnected, error). */
  board: BoardEventSchema,
  /** Live samples of the running recording, batched (at most ~30 per second). */
  recordingSamples: RecordingSamplesSchema,
  /** The recording's state and counters changed (countdown tick, ~4 per second while recording). */
  recordingStatus: RecordingStatusSchema,
  /** Live progress of a training job (per batch, throttled; every finished epoch's metrics). */
  trainProgress: TrainProgressSchema,
  /** Bytes, rate and windows of a running flash or profile job (the Deploy page's progress). */
  deployProgress: DeployProgressSchema,
  /** A list left out rows whose JSON values in the database are damaged (it shows the others). */
  damagedRows: DamagedRowsEventSchema,
};
