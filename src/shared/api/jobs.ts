import { z } from 'zod';
import { method } from './define';

export const JobState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export type JobState = z.infer<typeof JobState>;

/** One named part of a job (a layer of a PTQ run) and how far it is, 0..1. */
export const JobStageSchema = z.object({ name: z.string(), progress: z.number().min(0).max(1) });
export type JobStage = z.infer<typeof JobStageSchema>;

export const JobSchema = z.object({
  id: z.string(),
  kind: z.string(),
  state: JobState,
  progress: z.number().min(0).max(1),
  message: z.string(),
  params: z.unknown(),
  result: z.unknown().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Seconds left, estimated from progress so far; null when unknown. */
  etaSeconds: z.number().nullable(),
  /** Per-stage progress of a job made of named stages (a PTQ run: one per layer); absent otherwise. */
  stages: z.array(JobStageSchema).optional(),
});
export type Job = z.infer<typeof JobSchema>;

export const JobIdInput = z.object({ id: z.string().min(1).max(64) });

export const jobsService = {
  list: method(
    z
      .object({ limit: z.number().int().min(1).max(1000).default(50), kind: z.string().optional() })
      .default({ limit: 50 }),
    z.array(JobSchema),
  ),
  get: method(JobIdInput, JobSchema),
  cancel: method(JobIdInput, z.object({ cancelled: z.boolean() })),
};
