import { useState } from 'react';
import type { SessionDetail } from '../../../../shared/api/recording';
import { api } from '../../api';
import { ErrorBox } from '../../components/ErrorBox';
import { useApi } from '../../hooks';
import { SessionPlot } from './SessionPlot';

interface Props {
  id: number;
  /** Something changed (label, name, deletion): the list and the undo banner reload. */
  onChanged: () => void;
  onDeleted: () => void;
  /**
   * The session as the list last saw it. Its recording going on or ending (by itself, or stopped
   * from another window) changes it: the summary is read again, and the plot once it ends.
   */
  listed?: { state: string; samples: number };
}

const secs = (n: number, rate: number | null) => (rate ? `${(n / rate).toFixed(2)} s` : `${n} samples`);

export function SessionView({ id, onChanged, onDeleted, listed }: Props) {
  const [version, setVersion] = useState(0);
  const detail = useApi(() => api.recording.session({ id }), [id], [version, listed?.state, listed?.samples]);
  const samples = useApi(() => api.recording.samples({ id, maxPoints: 4000 }), [id], [listed?.state]);
  const [range, setRange] = useState<{ start: number; end: number } | null>(null);
  const [segLabel, setSegLabel] = useState('');
  const [newName, setNewName] = useState<string | null>(null);
  const [newLabel, setNewLabel] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      setVersion((v) => v + 1);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  const d: SessionDetail | undefined = detail.data;
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!d) return <p className="muted">Loading session {id}…</p>;
  const rate = d.rate_hz;
  const segments = d.labels.filter((l) => !(l.start === 0 && l.end === null));

  return (
    <div className="card" data-testid="session-view">
      <div className="row">
        <strong data-testid="session-name">{d.name}</strong>
        <span
          className={d.state === 'complete' ? 'badge ok' : d.state === 'interrupted' ? 'badge bad' : 'badge'}
        >
          {d.state}
        </span>
        <span className="muted">
          {d.samples.toLocaleString()} samples at {rate ?? '?'} Hz ({d.duration_s.toFixed(2)} s) · {d.gaps}{' '}
          gaps · {d.dropped_frames} dropped frames ·{' '}
          {d.clock === 'host' ? 'host arrival times' : 'board timestamps'} · {d.board ?? '—'} ({d.stream})
        </span>
      </div>
      {d.notes.map((n) => (
        <p key={n} className="muted">
          {n}
        </p>
      ))}
      {d.warnings.length > 0 && (
        <p className="muted">
          {d.bad_lines} bad lines skipped, e.g. <code>{d.warnings[0]}</code>
        </p>
      )}
      <ErrorBox error={error ?? samples.error} />
      {samples.data ? (
        <SessionPlot samples={samples.data} units={d.units} segments={d.labels} onSelect={setRange} />
      ) : (
        <p className="muted">Loading samples…</p>
      )}
      <div className="row">
        <span className="muted" data-testid="selection">
          {range
            ? `Selected samples [${range.start.toLocaleString()}, ${range.end.toLocaleString()}) — ${secs(range.end - range.start, rate)}`
            : 'Drag across the plot to select a segment.'}
        </span>
        <input
          type="text"
          placeholder="segment label"
          value={segLabel}
          onChange={(e) => setSegLabel(e.target.value)}
          data-testid="segment-label"
        />
        <button
          disabled={!range || !segLabel.trim()}
          onClick={() =>
            act(() =>
              api.recording.addSegment({ id, label: segLabel.trim(), start: range!.start, end: range!.end }),
            )
          }
          data-testid="add-segment"
        >
          Label selection
        </button>
      </div>

      <h2>Labels</h2>
      <div className="row">
        <span>Whole session:</span>
        {newLabel === null ? (
          <>
            <strong data-testid="session-label">{d.label ?? '—'}</strong>
            <button className="btn-small" onClick={() => setNewLabel(d.label ?? '')}>
              {d.label ? 'Change' : 'Set label'}
            </button>
          </>
        ) : (
          <>
            <input type="text" value={newLabel} onChange={(e) => setNewLabel(e.target.value)} autoFocus />
            <button
              className="btn-small primary"
              disabled={!newLabel.trim()}
              onClick={() =>
                act(async () => api.recording.label({ id, label: newLabel.trim() })).then(() =>
                  setNewLabel(null),
                )
              }
            >
              Save
            </button>
            <button className="btn-small" onClick={() => setNewLabel(null)}>
              Cancel
            </button>
          </>
        )}
      </div>
      {segments.length === 0 ? (
        <p className="muted">No segments yet.</p>
      ) : (
        <table data-testid="segments">
          <thead>
            <tr>
              <th>Label</th>
              <th className="num">Start (sample)</th>
              <th className="num">End (sample, exclusive)</th>
              <th className="num">Length</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {segments.map((s) => (
              <tr key={s.id}>
                <td>{s.label}</td>
                <td className="num">{s.start.toLocaleString()}</td>
                <td className="num">{s.end === null ? 'end' : s.end.toLocaleString()}</td>
                <td className="num">{secs((s.end ?? d.samples) - s.start, rate)}</td>
                <td>
                  <button
                    className="btn-small"
                    onClick={() => act(() => api.recording.deleteSegment({ labelId: s.id }))}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Session</h2>
      <div className="row">
        {newName === null ? (
          <button onClick={() => setNewName(d.name)} data-testid="rename">
            Rename
          </button>
        ) : (
          <>
            <input
              type="text"
              value={newName}
              onChange={(e) => setNewName(e.target.value)}
              autoFocus
              data-testid="rename-input"
            />
            <button
              className="primary"
              disabled={!newName.trim()}
              onClick={() =>
                act(() => api.recording.rename({ id, name: newName.trim() })).then(() => setNewName(null))
              }
            >
              Save name
            </button>
            <button onClick={() => setNewName(null)}>Cancel</button>
          </>
        )}
        <button onClick={() => setConfirmDelete(true)} data-testid="delete-session">
          Delete…
        </button>
      </div>
      {confirmDelete && (
        <div className="rec-confirm row" role="alertdialog" data-testid="confirm-delete">
          <span>
            Delete session “{d.name}” ({d.samples.toLocaleString()} samples)? You can undo this until your
            next delete or edit.
          </span>
          <button
            className="primary"
            onClick={async () => {
              setConfirmDelete(false);
              setError(null);
              try {
                await api.recording.delete({ id });
                onDeleted();
              } catch (err) {
                setError(err);
              }
            }}
            data-testid="confirm-delete-yes"
          >
            Delete
          </button>
          <button onClick={() => setConfirmDelete(false)}>Cancel</button>
        </div>
      )}
    </div>
  );
}
