import { z } from 'zod';

/**
 * A database row a list left out because one of its JSON values is damaged (a disk error, a hand
 * edit, a write cut short outside SQLite's transactions). The list shows every other row; the CLI
 * prints a warning line per damaged row on stderr and the app a warning over the page.
 */
export const DamagedRowSchema = z.object({
  /** The table, e.g. `models`. */
  table: z.string(),
  /** The damaged column, e.g. `spec`. */
  column: z.string(),
  /** The row as a user knows it, e.g. `model "har-fp" (id 3)`. */
  row: z.string(),
  /** The full message, as opening that row by name fails with. */
  message: z.string(),
});
export type DamagedRow = z.infer<typeof DamagedRowSchema>;

/** The `damagedRows` event: the rows one list left out. */
export const DamagedRowsEventSchema = z.object({ rows: z.array(DamagedRowSchema).min(1) });
