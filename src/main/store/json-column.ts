import { BitbenchError } from '../../shared/errors';

/** What a JSON column value belongs to, for the message when it cannot be read. */
export interface JsonColumnSource {
  /** The table, e.g. `models`. */
  table: string;
  /** The column, e.g. `spec`. */
  column: string;
  /** The row as a user knows it, e.g. `model "har-fp" (id 3)`. */
  row: string;
}

/**
 * Parses a JSON value stored in a column. A damaged value (a disk error, a hand edit, a write cut
 * short outside SQLite's transactions) fails with a store error that names the table, the row and
 * the column, and says the other values are still read, instead of a bare
 * `Unexpected token … at position 45315` that says none of it.
 */
export function parseJsonColumn<T = unknown>(text: string, src: JsonColumnSource): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new BitbenchError(
      'store',
      `Cannot read ${src.row}: its ${src.column} value (table ${src.table}, column ${src.column}) in the database is damaged (${msg}). ` +
        `Only this value could not be read; the other rows and values are read as usual.`,
    );
  }
}
