import { z } from 'zod';
import { method } from './define';

export const TfBackendName = z.enum(['tensorflow', 'wasm', 'cpu']);
export type TfBackendName = z.infer<typeof TfBackendName>;

export const StatusSchema = z.object({
  appVersion: z.string(),
  dbPath: z.string(),
  schemaVersion: z.number().int(),
  tfBackend: TfBackendName.nullable(),
  tfBackendNote: z.string(),
  shell: z.enum(['electron', 'headless-host', 'cli']),
  platform: z.string(),
  nodeVersion: z.string(),
});
export type Status = z.infer<typeof StatusSchema>;

export const statusService = {
  /** `loadTf: true` initialises TensorFlow.js (a second or two) so the backend is known. */
  get: method(z.object({ loadTf: z.boolean().default(false) }).default({ loadTf: false }), StatusSchema),
};
