import { z } from 'zod';
import { method } from './define';

/**
 * Recording: stream samples from a board (bitbench firmware or plain text lines), store them as a
 * session, label sessions and segments. Field names of `SessionSummary` are a public interface
 * (`bitbench record --json` prints it): `id`, `name`, `samples`, `rate_hz`, `duration_s`, `gaps`,
 * `dropped_frames`, `state` must stay.
 */

/** Channels a bitbench board streams, in channel-mask bit order (docs/protocol.md). */
export const IMU_CHANNELS = ['acc_x', 'acc_y', 'acc_z', 'gyro_x', 'gyro_y', 'gyro_z'] as const;

export const SessionName = z.string().trim().min(1).max(120);
export const LabelName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\s,;\t][^,;\t]*$/, 'a label: no commas, semicolons or tabs, not starting with a space');
export const GroupName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit');

export const StartRecordingInput = z.object({
  /** "virtual:m4", "virtual:m0" or a serial port path. */
  board: z.string().trim().min(1).max(260),
  /** `forwarder`: the board prints text lines (any firmware); `bitbench`: our binary stream. */
  source: z.enum(['bitbench', 'forwarder']).default('bitbench'),
  /** Requested rate (bitbench); for the forwarder, the known rate (otherwise it is measured). */
  rateHz: z.number().positive().max(20_000).optional(),
  /** bitbench: which IMU channels; forwarder: names for the columns (count must match). */
  channels: z.array(z.string().trim().min(1).max(40)).min(1).max(64).optional(),
  /** Serial speed for the forwarder. */
  baudRate: z.number().int().min(300).max(4_000_000).default(115200),
  name: SessionName.optional(),
  label: LabelName.optional(),
  /** The session group this recording joins (`--dataset gestures`). */
  dataset: GroupName.optional(),
  countdownS: z.number().int().min(0).max(60).default(0),
  /** Stop after this many seconds of samples; otherwise run until stop. */
  durationS: z
    .number()
    .positive()
    .max(24 * 3600)
    .optional(),
});
export type StartRecordingInput = z.input<typeof StartRecordingInput>;

export const SegmentSchema = z.object({
  id: z.number().int(),
  label: z.string(),
  /** First sample (inclusive). */
  start: z.number().int(),
  /** End sample (exclusive); null = to the end of the session (a whole-session label). */
  end: z.number().int().nullable(),
});
export type Segment = z.infer<typeof SegmentSchema>;

export const SessionState = z.enum(['recording', 'complete', 'interrupted']);

export const SessionSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  samples: z.number().int(),
  rate_hz: z.number().nullable(),
  duration_s: z.number(),
  gaps: z.number().int(),
  dropped_frames: z.number().int(),
  state: SessionState,
  board: z.string().nullable(),
  /** The session group (`--dataset`). */
  dataset: z.string().nullable(),
  /** Whole-session label, if any. */
  label: z.string().nullable(),
  channels: z.array(z.string()),
  units: z.array(z.string()),
  /** 'bitbench' | 'forwarder' | 'import' */
  stream: z.string(),
  /** Where timestamps come from: the board's clock or the host's arrival times. */
  clock: z.enum(['board', 'host']).nullable(),
  segments: z.number().int(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
});
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

export const SessionDetailSchema = SessionSummarySchema.extend({
  labels: z.array(SegmentSchema),
  /** Where the stream was discontinuous: the sample index where a new run starts and the time jump. */
  discontinuities: z.array(z.object({ sample: z.number().int(), jump_us: z.number() })),
  bad_lines: z.number().int(),
  warnings: z.array(z.string()),
  notes: z.array(z.string()),
});
export type SessionDetail = z.infer<typeof SessionDetailSchema>;

export const RecordingStatusSchema = z.object({
  state: z.enum(['idle', 'connecting', 'countdown', 'recording', 'stopping']),
  board: z.string().nullable(),
  stream: z.enum(['bitbench', 'forwarder']).nullable(),
  sessionId: z.number().int().nullable(),
  name: z.string().nullable(),
  label: z.string().nullable(),
  dataset: z.string().nullable(),
  rateHz: z.number().nullable(),
  /** Forwarder: measured from arrival times. */
  detectedRateHz: z.number().nullable(),
  channels: z.array(z.string()),
  units: z.array(z.string()),
  samples: z.number().int(),
  /** Seconds of samples recorded (samples / rate). */
  recordedS: z.number(),
  durationS: z.number().nullable(),
  countdownLeftS: z.number().int(),
  gaps: z.number().int(),
  droppedFrames: z.number().int(),
  badLines: z.number().int(),
  warning: z.string().nullable(),
  /** Why the last recording ended badly (board lost, stream failed). */
  error: z.string().nullable(),
  /** The session that ended most recently in this process. */
  last: SessionSummarySchema.nullable(),
});
export type RecordingStatus = z.infer<typeof RecordingStatusSchema>;

/** A batch of live samples for the plot (main sends at most ~30 per second). */
export const RecordingSamplesSchema = z.object({
  sessionId: z.number().int(),
  /** Session sample index of the first sample in `data`. */
  firstIndex: z.number().int(),
  /** Every `stride`-th sample was kept (1 = all). */
  stride: z.number().int().min(1),
  nSamples: z.number().int(),
  nChannels: z.number().int(),
  rateHz: z.number(),
  /** Interleaved by sample: data[s * nChannels + c]. */
  data: z.array(z.number()),
});
export type RecordingSamples = z.infer<typeof RecordingSamplesSchema>;

export const PlotSamplesSchema = z.object({
  id: z.number().int(),
  rate_hz: z.number().nullable(),
  channels: z.array(z.string()),
  total: z.number().int(),
  start: z.number().int(),
  end: z.number().int(),
  /** Samples per plotted bucket (1 = every sample; otherwise min and max per bucket). */
  bucket: z.number().int(),
  /** Sample index of each point. */
  index: z.array(z.number().int()),
  /** Per channel, one value per point. */
  values: z.array(z.array(z.number())),
});
export type PlotSamples = z.infer<typeof PlotSamplesSchema>;

export const UndoInfoSchema = z.object({ action: z.string().nullable(), description: z.string().nullable() });

const SessionId = z.object({ id: z.number().int().min(1) });

export const recordingService = {
  start: method(StartRecordingInput, RecordingStatusSchema),
  /** Stops the current recording; resolves with the stored session (null when none ran). */
  stop: method(z.object({}).default({}), SessionSummarySchema.nullable()),
  status: method(z.object({}).default({}), RecordingStatusSchema),
  /** Resolves when the running recording ends, with its session (the last one when none runs). */
  wait: method(z.object({}).default({}), SessionSummarySchema.nullable()),
  sessions: method(
    z
      .object({ dataset: GroupName.optional(), limit: z.number().int().min(1).max(10_000).default(500) })
      .default({ limit: 500 }),
    z.array(SessionSummarySchema),
  ),
  session: method(SessionId, SessionDetailSchema),
  /** A session's samples [start, end) thinned to at most `maxPoints` points for plotting. */
  samples: method(
    SessionId.extend({
      start: z.number().int().min(0).optional(),
      end: z.number().int().min(1).optional(),
      maxPoints: z.number().int().min(16).max(200_000).default(4000),
    }),
    PlotSamplesSchema,
  ),
  /** Labels the whole session (replaces its whole-session label). */
  label: method(SessionId.extend({ label: LabelName }), SessionDetailSchema),
  /** Labels samples [start, end) of a session. */
  addSegment: method(
    SessionId.extend({ label: LabelName, start: z.number().int().min(0), end: z.number().int().min(1) }),
    SessionDetailSchema,
  ),
  updateSegment: method(
    z.object({
      labelId: z.number().int().min(1),
      label: LabelName.optional(),
      start: z.number().int().min(0).optional(),
      end: z.number().int().min(1).nullable().optional(),
    }),
    SessionDetailSchema,
  ),
  deleteSegment: method(z.object({ labelId: z.number().int().min(1) }), SessionDetailSchema),
  rename: method(SessionId.extend({ name: SessionName }), SessionSummarySchema),
  /** Moves the session to the bin; `undo` brings it back until the next destructive action. */
  delete: method(SessionId, z.object({ deleted: z.number().int(), undo: z.string() })),
  /** Undoes the last destructive action (delete, relabel, segment edit, rename). */
  undo: method(z.object({}).default({}), UndoInfoSchema),
  /** What `undo` would undo. */
  undoInfo: method(z.object({}).default({}), UndoInfoSchema),
};
