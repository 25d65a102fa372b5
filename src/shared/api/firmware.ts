import { z } from 'zod';
import { method } from './define';

/**
 * Putting our firmware on a real board: build it, find the board's USB mass-storage drive (ST-LINK
 * "NODE_…" volumes) or a probe tool (st-flash, openocd), and copy/program the image.
 * Virtual boards need none of this: QEMU loads the ELF on every start.
 */
export const REAL_BOARD_IDS = ['nucleo-f401re', 'nucleo-g071rb'] as const;
export const RealBoardId = z.enum(REAL_BOARD_IDS);
export type RealBoardId = z.infer<typeof RealBoardId>;

export const DetectedDriveSchema = z.object({
  path: z.string(),
  /** The volume's folder name, e.g. NODE_F401RE. */
  name: z.string(),
  /** Why it looks like a board's drive: the name, or the files ST-LINK/mbed put there. */
  evidence: z.array(z.string()),
  /** The board the drive's name belongs to, when it names one we know. */
  board: RealBoardId.nullable(),
});
export type DetectedDrive = z.infer<typeof DetectedDriveSchema>;

export const FlashToolSchema = z.object({ name: z.enum(['st-flash', 'openocd']), path: z.string() });
export type FlashTool = z.infer<typeof FlashToolSchema>;

export const FlashPlanSchema = z.object({
  board: RealBoardId,
  /** firmware/build/<board>/bitbench.bin and whether it exists yet. */
  image: z.string(),
  imageExists: z.boolean(),
  imageBytes: z.number().int().nullable(),
  drives: z.array(DetectedDriveSchema),
  tools: z.array(FlashToolSchema),
  /** Where the images would go now: the first matching drive, else a tool, else nothing. */
  method: z.enum(['drive', 'st-flash', 'openocd', 'none']),
  /** Folders that were searched for drives. */
  searched: z.array(z.string()),
  /** One sentence: what flash would do, or exactly what to install/plug in. */
  advice: z.string(),
});
export type FlashPlan = z.infer<typeof FlashPlanSchema>;

export const FlashResultSchema = z.object({
  board: RealBoardId,
  method: z.enum(['drive', 'st-flash', 'openocd']),
  /** The file written (drive) or the tool's command line. */
  target: z.string(),
  bytes: z.number().int(),
  ms: z.number(),
  message: z.string(),
});
export type FlashResult = z.infer<typeof FlashResultSchema>;

const BoardInput = z.object({ board: RealBoardId.default('nucleo-f401re') });

export const firmwareService = {
  /** What is there to flash with: image, drives, tools, and the advice. Changes nothing. */
  detect: method(BoardInput.default({ board: 'nucleo-f401re' }), FlashPlanSchema),
  /** Copy the image to the board's drive (or `drive`), else program it with st-flash/openocd. */
  flash: method(
    z.object({ board: RealBoardId.default('nucleo-f401re'), drive: z.string().min(1).max(1000).optional() }),
    FlashResultSchema,
  ),
  /** `make -C firmware BOARD=<board>` (every board when omitted) as a job. */
  build: method(z.object({ board: RealBoardId.optional() }).default({}), z.object({ jobId: z.string() })),
};
