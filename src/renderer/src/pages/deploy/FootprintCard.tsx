import { useState } from 'react';
import type { FootprintResult } from '../../../../shared/api/engine';
import { api } from '../../api';
import { ErrorBox } from '../../components/ErrorBox';
import { JobProgress } from '../../components/JobProgress';
import { isActive, useJob } from '../../hooks';
import { int } from './format';

type Board = 'virtual:m0' | 'virtual:m4';

/**
 * The model compiled into its own firmware image (firmware/standalone): only the kernels and weight
 * widths it uses, no serial protocol. Built and run on the virtual board's QEMU; every byte comes
 * from the link map, next to seed 000's ~10 kB budget (engine code + weights + arena).
 */
export function FootprintCard({ model, board }: { model: string; board: string | undefined }) {
  const [target, setTarget] = useState<Board>(board === 'virtual:m4' ? 'virtual:m4' : 'virtual:m0');
  const [build, setBuild] = useState<'size' | 'speed'>('size');
  const [check, setCheck] = useState<'device' | 'host'>('device');
  const [jobId, setJobId] = useState<string>();
  const job = useJob(jobId);
  const busy = isActive(job);
  const result = job?.state === 'succeeded' ? (job.result as FootprintResult) : undefined;
  const [error, setError] = useState<unknown>();

  // Building and running the image is a job: make and QEMU run outside the app's main loop, with a
  // progress bar and Cancel.
  const measure = async () => {
    setError(undefined);
    try {
      setJobId((await api.engine.footprintJob({ model, board: target, build, check })).jobId);
    } catch (err) {
      setError(err);
    }
  };

  const r = result && result.model === model ? result : undefined;
  const parts = r
    ? [
        ['engine code (kernels, runner, blob checks)', r.engine.flash, 'flash'],
        ['engine state', r.engine.ram, 'RAM'],
        ['model blob (weights, biases, requant tables)', r.model_bytes, 'flash'],
        ['activation arena', r.arena_bytes, 'RAM'],
      ]
    : [];
  return (
    <div className="card" data-testid="footprint">
      <h2>Standalone image</h2>
      <p className="muted">
        The model compiled into firmware of its own, with only the kernels it needs — what you ship when you
        build your own firmware (<code>bitbench export --format c</code>).
      </p>
      <div className="row">
        <label>
          Core
          <select
            value={target}
            onChange={(e) => setTarget(e.target.value as Board)}
            data-testid="footprint-core"
          >
            <option value="virtual:m0">Cortex-M0 (virtual:m0)</option>
            <option value="virtual:m4">Cortex-M4 (virtual:m4)</option>
          </select>
        </label>
        <label>
          Kernels
          <select value={build} onChange={(e) => setBuild(e.target.value as 'size' | 'speed')}>
            <option value="size">for size (-Os, refusals by check line)</option>
            <option value="speed">for speed (-O2)</option>
          </select>
        </label>
        <label title="host: bitbench checked the blob when exporting it; the board verifies its CRC-32 only">
          Blob checks
          <select
            value={check}
            onChange={(e) => setCheck(e.target.value as 'device' | 'host')}
            data-testid="footprint-check"
          >
            <option value="device">on the board (all)</option>
            <option value="host">by bitbench (board: CRC only)</option>
          </select>
        </label>
        <button type="button" onClick={() => void measure()} disabled={busy} data-testid="footprint-measure">
          {busy ? 'Building…' : 'Build & measure'}
        </button>
      </div>
      <ErrorBox error={error} />
      {job && job.state !== 'succeeded' && <JobProgress job={job} />}
      {r && (
        <>
          <table data-testid="footprint-parts">
            <tbody>
              {parts.map(([label, n, where]) => (
                <tr key={label}>
                  <td>{label}</td>
                  <td className="num">{int(n as number)} B</td>
                  <td className="muted">{where}</td>
                </tr>
              ))}
              <tr>
                <td>
                  <strong>total</strong>
                </td>
                <td className="num">
                  <strong>{int(r.model_total_bytes)} B</strong>
                </td>
                <td>
                  {r.fits_budget ? (
                    <span className="badge ok">
                      within the {int(r.budget_bytes)} B budget of Lê &amp; de Foras (TDK)
                    </span>
                  ) : (
                    <span className="badge bad">
                      {int(r.model_total_bytes - r.budget_bytes)} B over the {int(r.budget_bytes)} B budget of
                      Lê &amp; de Foras (TDK)
                    </span>
                  )}
                </td>
              </tr>
            </tbody>
          </table>
          <p className="muted" data-testid="footprint-run">
            Blob checks {r.check === 'host' ? 'by bitbench, CRC-32 on the board' : 'all on the board'}.
            Besides: board support {int(r.board_support.flash)} B flash / {int(r.board_support.ram)} B RAM,
            stack high-water {int(r.run.stack_bytes)} B. One inference on {r.board} ({r.run.input}):{' '}
            {int(r.run.elapsed)} {r.run.unit},{' '}
            {r.run.bit_exact ? (
              <span className="badge ok">bit-exact</span>
            ) : (
              <span className="badge bad">differs from the host reference</span>
            )}
          </p>
        </>
      )}
    </div>
  );
}
