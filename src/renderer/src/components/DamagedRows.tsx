import { useState } from 'react';
import type { DamagedRow } from '../../../shared/api/damaged-rows';
import { useEvent } from '../hooks';

/**
 * Over the page: the rows its lists left out because a value of theirs in the database is damaged
 * (the lists show every other row). App mounts it afresh for each page, so it names what this page read.
 */
export function DamagedRowsWarning() {
  const [rows, setRows] = useState<ReadonlyMap<string, DamagedRow>>(new Map());
  useEvent('damagedRows', ({ rows: more }) =>
    setRows((cur) => {
      if (more.every((d) => cur.has(d.message))) return cur;
      const next = new Map(cur);
      for (const d of more) next.set(d.message, d);
      return next;
    }),
  );
  if (rows.size === 0) return null;
  return (
    <div className="warn-box" role="alert" data-testid="damaged-rows">
      <strong>
        {rows.size === 1 ? 'One row is' : `${rows.size} rows are`} left out: damaged in the database.
      </strong>{' '}
      The other rows are shown.
      <ul>
        {[...rows.values()].map((d) => (
          <li key={d.message} data-testid="damaged-row">
            {d.message}
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => setRows(new Map())}>
        Dismiss
      </button>
    </div>
  );
}
