import { useCallback, useEffect, useState } from 'react';
import type { DatasetDetail, DatasetSummary } from '../../../shared/api/datasets';
import { splitByCell, splitWording, windowWording } from '../../../shared/dataset-wording';
import { api } from '../api';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { ErrorBox } from '../components/ErrorBox';
import { JobProgress } from '../components/JobProgress';
import { isActive, useApi, useJob } from '../hooks';
import { ClassBalanceChart } from './datasets/ClassBalanceChart';
import { ImportDialog } from './datasets/ImportDialog';

/** Datasets: list with counts, import (UCI-HAPT, CSV, MNIST), build from sessions, details, export, delete. */
export function DatasetsPage() {
  const list = useApi(() => api.datasets.list(), []);
  const groups = useApi(() => api.datasets.groups(), []);
  const [selected, setSelected] = useState<string>();
  const [importing, setImporting] = useState(false);
  // useApi's reload functions are stable, so `reload` is too (children run it from effects).
  const reloadList = list.reload;
  const reloadGroups = groups.reload;
  const reload = useCallback(() => {
    reloadList();
    reloadGroups();
  }, [reloadList, reloadGroups]);
  const rows = list.data ?? [];
  const current = selected ?? rows[0]?.name;
  const currentRow = rows.find((r) => r.name === current);

  return (
    <section className="page" data-testid="datasets-page">
      <div className="row">
        <h1>Datasets</h1>
        <span className="spacer" />
        <button
          type="button"
          className="primary"
          onClick={() => setImporting(true)}
          data-testid="open-import"
        >
          Import…
        </button>
      </div>
      {importing && <ImportDialog onClose={() => setImporting(false)} onImported={reload} />}
      <ErrorBox error={list.error} />
      {list.loading ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="empty" data-testid="datasets-empty">
          No datasets yet — import UCI-HAPT, a CSV folder or MNIST with <strong>Import…</strong>, or record
          labelled sessions on the Record page and build a dataset from them below.
        </p>
      ) : (
        <DatasetTable rows={rows} selected={current} onSelect={setSelected} />
      )}
      <SessionGroups groups={groups.data ?? []} onBuilt={reload} />
      {currentRow && (
        <DatasetDetails
          key={current}
          name={currentRow.name}
          version={currentRow.version}
          onDeleted={() => {
            setSelected(undefined);
            reload();
          }}
        />
      )}
    </section>
  );
}

function DatasetTable({
  rows,
  selected,
  onSelect,
}: {
  rows: DatasetSummary[];
  selected: string | undefined;
  onSelect: (n: string) => void;
}) {
  return (
    <table data-testid="datasets-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Kind</th>
          <th className="num">Windows</th>
          <th>Window shape</th>
          <th className="num">Classes</th>
          <th className="num">Train / val / test</th>
          <th>Split by</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rows.map((d) => (
          <tr
            key={d.name}
            aria-selected={d.name === selected}
            onClick={() => onSelect(d.name)}
            style={{ cursor: 'pointer', background: d.name === selected ? 'var(--bg-3)' : undefined }}
            data-testid={`dataset-row-${d.name}`}
          >
            <td>
              {d.name}
              <span className="muted">@{d.version}</span>
            </td>
            <td>{d.kind}</td>
            <td className="num">{d.windows.toLocaleString()}</td>
            <td className="mono">
              [{d.shape.join(', ')}]{d.rate_hz ? ` @ ${d.rate_hz} Hz` : ''}
            </td>
            <td className="num">{Object.keys(d.classes).length}</td>
            <td className="num">
              {(d.splits.train ?? 0).toLocaleString()} / {(d.splits.val ?? 0).toLocaleString()} /{' '}
              {(d.splits.test ?? 0).toLocaleString()}
            </td>
            <td>{splitByCell(d)}</td>
            <td>{d.locked && <span className="badge">locked</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SessionGroups({
  groups,
  onBuilt,
}: {
  groups: Array<{ group: string; sessions: number; samples: number; labels: string[] }>;
  onBuilt: () => void;
}) {
  const [jobId, setJobId] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [asking, setAsking] = useState(false);
  const job = useJob(jobId);
  const done = job?.state === 'succeeded' ? job.id : undefined;
  useEffect(() => {
    if (done) onBuilt();
  }, [done, onBuilt]);
  // Busy from the click until the job ends: a second click would only build the same version again.
  const busy = asking || (jobId !== undefined && (job === undefined || isActive(job)));
  const built = job?.state === 'succeeded' ? (job.result as DatasetSummary | null) : null;
  if (groups.length === 0) return null;
  return (
    <div className="card">
      <h2>Recorded sessions</h2>
      <table>
        <thead>
          <tr>
            <th>Group</th>
            <th className="num">Sessions</th>
            <th className="num">Samples</th>
            <th>Labels</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.group}>
              <td>{g.group}</td>
              <td className="num">{g.sessions}</td>
              <td className="num">{g.samples.toLocaleString()}</td>
              <td>
                {g.labels.join(', ') || (
                  <span className="muted">none — label sessions on the Record page</span>
                )}
              </td>
              <td>
                <button
                  type="button"
                  className="btn-small"
                  disabled={g.labels.length === 0 || busy}
                  data-testid={`build-${g.group}`}
                  onClick={() => {
                    setError(undefined);
                    setAsking(true);
                    api.datasets
                      .build({ group: g.group, name: g.group.replace(/[^A-Za-z0-9._-]/g, '-') })
                      .then(
                        (r) => setJobId(r.jobId),
                        (err: unknown) => setError(err),
                      )
                      .finally(() => setAsking(false));
                  }}
                >
                  Build dataset
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorBox error={error} />
      <JobProgress job={job} />
      {built && <DatasetWarnings warnings={built.warnings} />}
    </div>
  );
}

/** `version` is the newest one the list shows: a rebuild while this is open asks again. */
function DatasetDetails({
  name,
  version,
  onDeleted,
}: {
  name: string;
  version: number;
  onDeleted: () => void;
}) {
  const detail = useApi(() => api.datasets.show({ name }), [name], [version]);
  const d = detail.data;
  return (
    <div className="card" data-testid="dataset-details">
      <ErrorBox error={detail.error} />
      {d && (
        <>
          <h2>
            {d.name}@{d.version} <span className="muted">({d.kind})</span>{' '}
            {d.locked && <span className="badge">locked</span>}
          </h2>
          <p className="muted">
            {d.windows.toLocaleString()} windows of [{d.shape.join(', ')}] ({windowWording(d)}); split{' '}
            {splitWording(d)}; source <span className="mono">{d.source}</span>
          </p>
          <div className="grid2">
            <div>
              <h3>Class balance (windows per class and split)</h3>
              <ClassBalanceChart dataset={d} />
            </div>
            <div>
              <Counts d={d} />
            </div>
          </div>
          {d.preprocess && (
            <p>
              Preprocessing: <span className="mono">{d.preprocess}</span>
            </p>
          )}
          <DatasetWarnings warnings={d.warnings} />
          {d.notes.map((n) => (
            <p key={n} className="muted">
              {n}
            </p>
          ))}
          <Normalisation d={d} />
          <p className="muted">
            Versions:{' '}
            {d.versions
              .map(
                (v) => `${v.version}${v.locked ? ' (locked)' : ''} — ${v.windows.toLocaleString()} windows`,
              )
              .join('; ')}
          </p>
          <ExportBox key={d.version} d={d} />
          <DeleteBox d={d} onDeleted={onDeleted} />
        </>
      )}
    </div>
  );
}

function DatasetWarnings({ warnings }: { warnings: readonly string[] }) {
  return (
    <>
      {warnings.map((w) => (
        <p key={w} className="warn-box" data-testid="dataset-warning">
          {w}
        </p>
      ))}
    </>
  );
}

function Counts({ d }: { d: DatasetDetail }) {
  const classes = Object.keys(d.classes);
  return (
    <table data-testid="class-counts">
      <thead>
        <tr>
          <th>Class</th>
          <th className="num">Train</th>
          <th className="num">Val</th>
          <th className="num">Test</th>
          <th className="num">All</th>
        </tr>
      </thead>
      <tbody>
        {classes.map((c) => (
          <tr key={c}>
            <td>{c}</td>
            <td className="num">{d.split_classes.train?.[c] ?? 0}</td>
            <td className="num">{d.split_classes.val?.[c] ?? 0}</td>
            <td className="num">{d.split_classes.test?.[c] ?? 0}</td>
            <td className="num">{d.classes[c]}</td>
          </tr>
        ))}
        <tr>
          <th>Total</th>
          <th className="num">{d.splits.train ?? 0}</th>
          <th className="num">{d.splits.val ?? 0}</th>
          <th className="num">{d.splits.test ?? 0}</th>
          <th className="num">{d.windows}</th>
        </tr>
      </tbody>
    </table>
  );
}

function Normalisation({ d }: { d: DatasetDetail }) {
  if (!d.norm) return <p className="muted">Normalisation: none (values are used as stored).</p>;
  return (
    <details>
      <summary>Normalisation: per-channel mean / std of the train split</summary>
      <table className="mono">
        <thead>
          <tr>
            <th>Channel</th>
            <th className="num">Mean</th>
            <th className="num">Std</th>
          </tr>
        </thead>
        <tbody>
          {d.channel_names.map((c, i) => (
            <tr key={c}>
              <td>{c}</td>
              <td className="num">{d.norm!.mean[i]?.toPrecision(4)}</td>
              <td className="num">{d.norm!.std[i]?.toPrecision(4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function ExportBox({ d }: { d: DatasetDetail }) {
  const [format, setFormat] = useState<'csv' | 'bbrp'>('csv');
  const [split, setSplit] = useState<'' | 'train' | 'val' | 'test'>('');
  const [out, setOut] = useState(`${d.name}-v${d.version}.csv`);
  const [asking, setAsking] = useState(false);
  const [jobId, setJobId] = useState<string>();
  const [error, setError] = useState<unknown>();
  const job = useJob(jobId);
  const result =
    job?.state === 'succeeded'
      ? (job.result as { path: string; bytes: number; windows: number } | null)
      : null;
  return (
    <div className="row" data-testid="export-box">
      <strong>Export</strong>
      <select
        value={format}
        onChange={(e) => {
          const f = e.target.value as 'csv' | 'bbrp';
          setFormat(f);
          setOut(`${d.name}-v${d.version}.${f === 'csv' ? 'csv' : 'bbrp'}`);
        }}
      >
        <option value="csv">CSV (one row per sample)</option>
        <option value="bbrp">BBRP (firmware replay)</option>
      </select>
      <select value={split} onChange={(e) => setSplit(e.target.value as '' | 'train' | 'val' | 'test')}>
        <option value="">{format === 'bbrp' ? 'test split' : 'all splits'}</option>
        <option value="train">train</option>
        <option value="val">val</option>
        <option value="test">test</option>
      </select>
      <input
        value={out}
        onChange={(e) => setOut(e.target.value)}
        aria-label="Output file"
        title="A file name without a folder goes to exports/ beside the database"
        data-testid="export-out"
      />
      <button
        type="button"
        disabled={asking || job?.state === 'running'}
        data-testid="export-start"
        onClick={() => {
          setError(undefined);
          setAsking(true);
          const s = split || (format === 'bbrp' ? 'test' : undefined);
          api.datasets
            .export({ name: `${d.name}@${d.version}`, format, out, ...(s ? { split: s } : {}) })
            .then(
              (r) => setJobId(r.jobId),
              (err: unknown) => setError(err),
            )
            .finally(() => setAsking(false));
        }}
      >
        Export
      </button>
      <ErrorBox error={error} />
      <JobProgress job={job} />
      {result && (
        <span className="muted" data-testid="export-result">
          Wrote <span className="mono">{result.path}</span> ({(result.bytes / 1024).toFixed(0)} KiB,{' '}
          {result.windows} windows)
        </span>
      )}
    </div>
  );
}

function DeleteBox({ d, onDeleted }: { d: DatasetDetail; onDeleted: () => void }) {
  if (d.locked)
    return <p className="muted">This version is locked (a model was trained on it) and cannot be deleted.</p>;
  return (
    <ConfirmDelete
      what={
        <>
          Delete <strong>{d.name}</strong> (all {d.versions.length} version
          {d.versions.length === 1 ? '' : 's'}, {d.windows.toLocaleString()} windows in the newest) and the
          sessions it imported?
        </>
      }
      onConfirm={() => api.datasets.delete({ name: d.name })}
      onDeleted={onDeleted}
      testId="delete-dataset"
      confirmTestId="confirm-delete"
    />
  );
}
