import { BoardEventSchema } from './boards';
import { JobSchema } from './jobs';

/**
 * Events pushed from main to the UI. Each feature adds its event here; the payload schema is
 * the contract. Delivered over IPC in Electron and over the WebSocket in the headless host.
 */
export const eventSchemas = {
  /** A job changed (progress, state). */
  job: JobSchema,
  /** A board's connection state changed (connecting, connected, disconnected, error). */
  board: BoardEventSchema,
};
