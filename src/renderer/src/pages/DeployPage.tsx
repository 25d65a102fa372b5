import { useState } from 'react';
import type { DeployProgress, ProfileResult, RunSummary } from '../../../shared/api/deploy';
import { api } from '../api';
import { SplitSelect, type Split } from '../components/SplitSelect';
import { ErrorBox } from '../components/ErrorBox';
import { JobProgress } from '../components/JobProgress';
import { isActive, storeChoice, storedChoiceIn, useApi, useEvent, useJob, useRunningJob } from '../hooks';
import { DeployProgressBar } from './deploy/DeployProgressBar';
import { EstimateCard } from './deploy/EstimateCard';
import { ExportVerifyCard } from './deploy/ExportVerifyCard';
import { FootprintCard } from './deploy/FootprintCard';
import { pct, int } from './deploy/format';
import { ProfileReport } from './deploy/ProfileReport';
import './deploy/deploy.css';

/**
 * Deploy & Profile: pick a quantized variant and a board; the estimate (cost model + fit check)
 * shows before anything is sent. Flash loads and verifies the blob; Profile runs a held-out split on
 * the board and shows device accuracy, bit-exactness against the host integer reference, latency in
 * the board's own unit, per-layer estimate vs measurement, and memory.
 */
export function DeployPage() {
  const variants = useApi(() => api.quant.variants({}), []);
  const boards = useApi(() => api.boards.list(), []);
  const [model, setModel] = useState<string>();
  const [board, setBoard] = useState<string>();
  const [split, setSplit] = useState<Split>('test');
  const [limit, setLimit] = useState('');
  const [jobId, setJobId] = useState<string>();
  const [runId, setRunId] = useState<number>();
  const [progress, setProgress] = useState<DeployProgress>();
  const [error, setError] = useState<unknown>();
  // From the click until the job exists (the host connects and PINGs the board first): a second
  // click would only be refused as busy.
  const [starting, setStarting] = useState(false);
  // A flash or profile still running (the page was reloaded, or it was started from another window or
  // the CLI): the page follows it — progress, Cancel, its model, board and run — until a new one starts.
  const runningProfile = useRunningJob('profile', 'any');
  const runningFlash = useRunningJob('flash', 'any');
  const job = useJob(jobId ?? runningProfile ?? runningFlash);
  const jobParams = (isActive(job) ? job?.params : undefined) as
    { model?: string; board?: string; run?: number } | undefined;

  // The pick of this tab (kept over a reload, or set by a link from Compare) comes after a running job's.
  const currentModel =
    model ??
    jobParams?.model ??
    storedChoiceIn(
      'deploy.model',
      variants.data?.map((v) => v.name),
    ) ??
    variants.data?.[0]?.name;
  const boardList = (boards.data?.boards ?? []).filter((b) => !b.unavailableReason);
  const currentBoard =
    board ??
    jobParams?.board ??
    storedChoiceIn(
      'deploy.board',
      boardList.map((b) => b.spec),
    ) ??
    boardList[0]?.spec;
  const estimate = useApi(
    () =>
      currentModel && currentBoard
        ? api.deploy.estimate({ model: currentModel, board: currentBoard })
        : Promise.resolve(undefined),
    [currentModel, currentBoard],
  );
  const runs = useApi(
    () =>
      currentModel
        ? api.deploy.runs({ model: currentModel, limit: 20 })
        : Promise.resolve([] as RunSummary[]),
    [currentModel],
    [job?.state],
  );
  const shownRun =
    runId ??
    (job?.kind === 'profile' ? jobParams?.run : undefined) ??
    runs.data?.find((r) => r.kind === 'profile')?.id;
  const detail = useApi(
    () => (shownRun ? api.deploy.run({ id: shownRun }) : Promise.resolve(undefined)),
    [shownRun],
    [job?.state],
  );

  useEvent('deployProgress', (p) => {
    if (p.jobId === job?.id) setProgress(p);
  });

  // Until the job just started has been read back, it counts as running: the buttons stay off
  // between the request's answer and the job's first state.
  const running = starting || (jobId !== undefined && job?.id !== jobId) || isActive(job);
  const limitText = limit.trim();
  const limitN = Number(limitText);
  const limitError =
    limitText && !(Number.isInteger(limitN) && limitN > 0)
      ? `Windows must be a whole number ≥ 1, or empty for the whole split, not "${limitText}".`
      : undefined;
  const fits = estimate.data?.memory.fits ?? false;

  const flash = async () => {
    setError(undefined);
    setStarting(true);
    try {
      const r = await api.deploy.flash({ model: currentModel!, board: currentBoard! });
      setJobId(r.jobId);
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  };
  const profile = async (resume?: number) => {
    setError(undefined);
    setStarting(true);
    try {
      const r = await api.deploy.profile(
        resume !== undefined
          ? { resume }
          : {
              model: currentModel!,
              board: currentBoard!,
              split,
              ...(limitText ? { limit: limitN } : {}),
            },
      );
      setJobId(r.jobId);
      setRunId(r.runId);
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  };

  if (variants.data && variants.data.length === 0)
    return (
      <div className="page">
        <h1>Deploy &amp; Profile</h1>
        <p className="empty" data-testid="deploy-empty">
          No quantized model yet — quantize a trained model on the <a href="#/quantize">Quantize page</a>{' '}
          first.
        </p>
      </div>
    );

  const result =
    detail.data?.result && 'device_accuracy' in detail.data.result
      ? (detail.data.result as ProfileResult)
      : undefined;

  return (
    <div className="page" data-testid="deploy-page">
      <h1>Deploy &amp; Profile</h1>
      <div className="row">
        <label>
          Model
          <select
            value={currentModel ?? ''}
            onChange={(e) => {
              setModel(e.target.value);
              storeChoice('deploy.model', e.target.value);
            }}
            data-testid="deploy-model"
          >
            {(variants.data ?? []).map((v) => (
              <option key={v.name} value={v.name}>
                {v.name} (W{v.weights_bits}A{v.acts_bits}, {v.method})
              </option>
            ))}
          </select>
        </label>
        <label>
          Board
          <select
            value={currentBoard ?? ''}
            onChange={(e) => {
              setBoard(e.target.value);
              storeChoice('deploy.board', e.target.value);
            }}
            data-testid="deploy-board"
          >
            {boardList.map((b) => (
              <option key={b.spec} value={b.spec}>
                {b.spec} — {b.name} ({b.state})
              </option>
            ))}
          </select>
        </label>
        <SplitSelect value={split} onChange={setSplit} />
        <label>
          Windows
          <input
            placeholder="all"
            size={6}
            value={limit}
            onChange={(e) => setLimit(e.target.value)}
            aria-invalid={limitError !== undefined}
            data-testid="deploy-limit"
          />
        </label>
        <button type="button" onClick={() => void flash()} disabled={!fits || running} data-testid="flash">
          Flash
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => void profile()}
          disabled={!fits || running || limitError !== undefined}
          data-testid="profile"
        >
          Profile
        </button>
      </div>
      {boardList.length === 0 && (
        <p className="empty">
          No board available — start a virtual board on the Devices page or plug one in.
        </p>
      )}
      {limitError && (
        <p className="error-box" data-testid="deploy-limit-error">
          {limitError}
        </p>
      )}
      <ErrorBox error={error ?? estimate.error} />
      {estimate.data && <EstimateCard e={estimate.data} />}
      <JobProgress job={job} />
      {/* Only while the job runs: its last event stays behind once it has finished. */}
      <DeployProgressBar p={running ? progress : undefined} />
      {result && <ProfileReport r={result} />}
      {currentModel && (
        <ExportVerifyCard
          key={`ev-${currentModel}`}
          model={currentModel}
          boards={boardList.map((b) => b.spec)}
        />
      )}
      {currentModel && <FootprintCard key={currentModel} model={currentModel} board={currentBoard} />}
      {detail.data && !result && detail.data.summary.kind === 'profile' && (
        <p className="muted">
          Run {detail.data.summary.id} is {detail.data.summary.state}…
        </p>
      )}
      <h2>Runs of {currentModel}</h2>
      {runs.data && runs.data.length === 0 && <p className="empty">Not flashed or profiled yet.</p>}
      {runs.data && runs.data.length > 0 && (
        <table data-testid="runs">
          <thead>
            <tr>
              <th className="num">run</th>
              <th>kind</th>
              <th>state</th>
              <th>board</th>
              <th className="num">windows</th>
              <th className="num">device acc.</th>
              <th className="num">host acc.</th>
              <th>bit-exact</th>
              <th className="num">latency</th>
              <th>when</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {runs.data.map((r) => (
              <tr key={r.id} className={r.id === shownRun ? 'selected' : ''}>
                <td className="num">
                  <button
                    type="button"
                    className="btn-small"
                    onClick={() => setRunId(r.id)}
                    disabled={r.kind !== 'profile'}
                  >
                    {r.id}
                  </button>
                </td>
                <td>{r.kind}</td>
                <td title={r.note ?? ''}>{r.state}</td>
                <td className="mono">{r.board}</td>
                <td className="num">{r.kind === 'profile' ? `${r.windows}/${r.windows_total}` : '—'}</td>
                <td className="num">{pct(r.device_accuracy)}</td>
                <td className="num">{pct(r.host_accuracy)}</td>
                <td>
                  {r.bit_exact === null ? (
                    '—'
                  ) : r.bit_exact ? (
                    <span className="badge ok">yes</span>
                  ) : (
                    <span className="badge bad">no</span>
                  )}
                </td>
                <td className="num">{r.latency_mean !== null ? `${int(r.latency_mean)} ${r.unit}` : '—'}</td>
                <td className="muted">{r.created_at.replace('T', ' ').slice(0, 19)}</td>
                <td>
                  {r.kind === 'profile' && (r.state === 'partial' || r.state === 'failed') && (
                    <button
                      type="button"
                      className="btn-small"
                      disabled={running}
                      onClick={() => void profile(r.id)}
                    >
                      Resume
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
