import type { Job } from '../../../shared/api/jobs';
import { api } from '../api';
import { isActive } from '../hooks';

/** A finished job says so, with its wall time (its last progress message was about a step). */
function doneMessage(job: Job): string {
  if (!job.startedAt || !job.finishedAt) return 'done';
  const s = (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;
  return `done in ${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
}

/** A job's progress bar with message, ETA and a cancel button; a failure says what happened. */
export function JobProgress({ job }: { job: Job | undefined }) {
  if (!job) return null;
  const pct = Math.round(job.progress * 100);
  const running = isActive(job);
  return (
    <div
      className={`job job-${job.state}`}
      data-testid="job-progress"
      data-state={job.state}
      data-job-id={job.id}
    >
      <div className="job-head">
        <span className="job-kind">{job.kind}</span>
        <span className="job-state">{job.state}</span>
        <span className="job-pct">{pct}%</span>
        {job.etaSeconds !== null && running && (
          <span className="job-eta">ETA {Math.ceil(job.etaSeconds)} s</span>
        )}
        {running && (
          <button type="button" className="btn-small" onClick={() => void api.jobs.cancel({ id: job.id })}>
            Cancel
          </button>
        )}
      </div>
      <progress max={100} value={pct} />
      {job.stages && job.stages.length > 0 && (
        <div className="job-stages" data-testid="job-stages">
          {job.stages.map((st) => (
            <div className="job-stage" key={st.name} data-testid="job-stage" data-name={st.name}>
              <span className="mono">{st.name}</span>
              <progress max={100} value={Math.round(st.progress * 100)} />
              <span className="job-pct">{Math.round(st.progress * 100)}%</span>
            </div>
          ))}
        </div>
      )}
      <div className="job-message">
        {job.error ?? (job.state === 'succeeded' ? doneMessage(job) : job.message)}
      </div>
    </div>
  );
}
