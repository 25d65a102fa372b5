import { useState } from 'react';
import type { ExportResult, VerifyResult } from '../../../../shared/api/engine';
import { api } from '../../api';
import { SplitSelect, type Split } from '../../components/SplitSelect';
import { ErrorBox } from '../../components/ErrorBox';
import { JobProgress } from '../../components/JobProgress';
import { isActive, useJob } from '../../hooks';
import { int } from './format';

const HOST_ONLY = '';

/**
 * The integer engine's two tools for a quantized variant (`bitbench verify`, `bitbench export`):
 * run test windows through the host integer reference and a board and compare them bit for bit, and
 * write the model as the blob the firmware loads or as a C header/source pair for one's own firmware.
 */
export function ExportVerifyCard({ model, boards }: { model: string; boards: string[] }) {
  const [board, setBoard] = useState<string>(
    boards.includes('virtual:m4') ? 'virtual:m4' : (boards[0] ?? HOST_ONLY),
  );
  const [split, setSplit] = useState<Split>('test');
  const [limit, setLimit] = useState('200');
  const [format, setFormat] = useState<'blob' | 'c'>('blob');
  const [busy, setBusy] = useState<'verify' | 'export'>();
  const [verifyJob, setVerifyJob] = useState<string>();
  const job = useJob(verifyJob);
  const verifying = isActive(job);
  // Verify runs as a job (progress per window, cancel); its result arrives with the job.
  const verified = job?.state === 'succeeded' ? (job.result as VerifyResult) : undefined;
  const [exported, setExported] = useState<ExportResult>();
  const [error, setError] = useState<unknown>();

  const run = async (what: 'verify' | 'export') => {
    setBusy(what);
    setError(undefined);
    try {
      if (what === 'verify') {
        const n = Number(limit);
        if (!Number.isInteger(n) || n < 1)
          throw new Error(`Windows must be a whole number ≥ 1, got "${limit}".`);
        const { jobId } = await api.engine.verifyJob({ model, board: board || undefined, split, limit: n });
        setVerifyJob(jobId);
      } else {
        setExported(await api.engine.export({ model, format }));
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  const v = verified?.model === model ? verified : undefined;
  const x = exported?.model === model ? exported : undefined;
  return (
    <div className="card" data-testid="export-verify">
      <h2>Verify &amp; export</h2>
      <p className="muted">
        Verify runs windows through the host integer reference and the board and compares every output bit for
        bit (<code>bitbench verify</code>). Export writes the model blob or a C header/source pair (
        <code>bitbench export</code>).
      </p>
      <div className="row">
        <label>
          Against
          <select value={board} onChange={(e) => setBoard(e.target.value)} data-testid="verify-board">
            {boards.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
            <option value={HOST_ONLY}>host only (reference vs integer simulation)</option>
          </select>
        </label>
        <SplitSelect value={split} onChange={setSplit} />
        <label>
          Windows
          <input
            size={6}
            value={limit}
            onChange={(e) => setLimit(e.target.value)}
            data-testid="verify-limit"
          />
        </label>
        <button
          type="button"
          onClick={() => void run('verify')}
          disabled={busy !== undefined || verifying}
          data-testid="verify"
        >
          {verifying ? 'Verifying…' : 'Verify'}
        </button>
        <label>
          Format
          <select
            value={format}
            onChange={(e) => setFormat(e.target.value as 'blob' | 'c')}
            data-testid="export-format"
          >
            <option value="blob">model blob (.bbm)</option>
            <option value="c">C header + source</option>
          </select>
        </label>
        <button
          type="button"
          onClick={() => void run('export')}
          disabled={busy !== undefined}
          data-testid="export"
        >
          {busy === 'export' ? 'Exporting…' : 'Export'}
        </button>
      </div>
      <ErrorBox error={error} />
      {job && job.state !== 'succeeded' && <JobProgress job={job} />}
      {v && (
        <p data-testid="verify-result">
          {v.board ?? 'host only'}, {v.split} split: {int(v.compared)} windows, {int(v.mismatches)} mismatches{' '}
          {v.bit_exact ? (
            <span className="badge ok">bit-exact</span>
          ) : (
            <span className="badge bad">not bit-exact</span>
          )}
          {v.latency && (
            <>
              {' '}
              · latency {int(Math.round(v.latency.mean))} {v.latency.unit} per inference
            </>
          )}{' '}
          · host reference vs integer simulation: {int(v.reference_vs_integer_sim.prediction_mismatches)} of{' '}
          {int(v.reference_vs_integer_sim.compared)} predictions differ
          {v.first_mismatch && (
            <>
              <br />
              First mismatch: window {v.first_mismatch.window}
              {v.first_mismatch.layer !== null && <>, layer {v.first_mismatch.layer}</>}:{' '}
              {v.first_mismatch.detail}
            </>
          )}
          {v.device_note && (
            <>
              <br />
              <span className="muted">{v.device_note}</span>
            </>
          )}
        </p>
      )}
      {x && (
        <div data-testid="export-result">
          <p>
            {int(x.bytes)} B blob, {x.layers} layers, arena {int(x.arena_bytes)} B, CRC-32 {x.crc32}. Written:
          </p>
          <ul>
            {x.files.map((f) => (
              <li key={f}>
                <code>{f}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
