import { z } from 'zod';

/** A seed for a seeded generator (calibration draws, splits, initialisers): a non-negative int32. */
export const Seed = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
