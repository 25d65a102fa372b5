import { AsyncLocalStorage } from 'node:async_hooks';
import type { DamagedRow } from '../../shared/api/damaged-rows';
import { BitbenchError } from '../../shared/errors';
import type { Db } from './database';

/** What a JSON column value belongs to, for the message when it cannot be read. */
export interface JsonColumnSource {
  /** The table, e.g. `models`. */
  table: string;
  /** The column, e.g. `spec`. */
  column: string;
  /** The row as a user knows it, e.g. `model "har-fp" (id 3)`. */
  row: string;
}

/** The store error of a damaged JSON value, with what it belongs to (for lists that skip the row). */
export class DamagedColumnError extends BitbenchError {
  constructor(readonly damaged: DamagedRow) {
    super('store', damaged.message);
  }
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
    throw new DamagedColumnError({
      ...src,
      message:
        `Cannot read ${src.row}: its ${src.column} value (table ${src.table}, column ${src.column}) in the database is damaged (${msg}). ` +
        `Only this value could not be read; the other rows and values are read as usual.`,
    });
  }
}

type DamagedRowsSink = (rows: DamagedRow[]) => void;
const sinks = new WeakMap<Db, DamagedRowsSink>();
const callScope = new AsyncLocalStorage<DamagedRow[]>();

/**
 * Runs one API call and gathers the rows its lists left out, so that its reply carries them (the
 * page that asked shows them even before its event socket is open).
 */
export async function collectDamagedRows<T>(
  call: () => T | Promise<T>,
): Promise<{ value: T; damaged: DamagedRow[] }> {
  const damaged: DamagedRow[] = [];
  const value = await callScope.run(damaged, call);
  return { value, damaged };
}

/**
 * Where the rows that lists over `db` leave out are reported (the app context sends them as the
 * `damagedRows` event: the CLI prints them on stderr, the app over the page). Returns the undo.
 */
export function onDamagedRows(db: Db, sink: DamagedRowsSink): () => void {
  sinks.set(db, sink);
  return () => {
    if (sinks.get(db) === sink) sinks.delete(db);
  };
}

/**
 * Maps the rows of a list: one whose JSON value is damaged is left out and reported (see
 * `onDamagedRows`) instead of failing the whole list, so one bad row does not hide every other.
 * Opening that row by name still fails with its store error. Any other error is thrown as before.
 */
export function readableRows<R, T>(db: Db, rows: readonly R[], toRow: (r: R) => T): T[] {
  const out: T[] = [];
  const damaged: DamagedRow[] = [];
  for (const r of rows) {
    try {
      out.push(toRow(r));
    } catch (err) {
      if (!(err instanceof DamagedColumnError)) throw err;
      damaged.push(err.damaged);
    }
  }
  if (damaged.length > 0) {
    callScope.getStore()?.push(...damaged);
    const sink = sinks.get(db);
    if (sink) sink(damaged);
    else for (const d of damaged) console.warn(`warning: ${d.message}`);
  }
  return out;
}
