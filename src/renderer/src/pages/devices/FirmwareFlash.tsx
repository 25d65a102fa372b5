import { useEffect, useState } from 'react';
import { REAL_BOARD_IDS, type FlashResult, type RealBoardId } from '../../../../shared/api/firmware';
import { api } from '../../api';
import { ErrorBox } from '../../components/ErrorBox';
import { JobProgress } from '../../components/JobProgress';
import { useApi, useJob } from '../../hooks';

/**
 * Our firmware onto a real Nucleo: what was detected (image, NODE_… drives, st-flash/openocd), then one
 * click to copy or program it. Virtual boards never need this: QEMU loads the firmware on every start.
 */
export function FirmwareFlash() {
  const [board, setBoard] = useState<RealBoardId>('nucleo-f401re');
  const plan = useApi(() => api.firmware.detect({ board }), [board]);
  const [drive, setDrive] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<FlashResult>();
  const [buildJob, setBuildJob] = useState<string>();
  const build = useJob(buildJob);
  const p = plan.data;
  const reloadPlan = plan.reload;
  useEffect(() => {
    if (build?.state === 'succeeded') reloadPlan();
  }, [build?.state, reloadPlan]);

  const flash = async () => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api.firmware.flash({ board, ...(drive ? { drive } : {}) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      plan.reload();
    }
  };
  const startBuild = async () => {
    setError(undefined);
    try {
      setBuildJob((await api.firmware.build({ board })).jobId);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="card" data-testid="firmware-flash">
      <h2>Flash firmware to a real board</h2>
      <div className="row">
        <label>
          Board{' '}
          <select
            value={board}
            onChange={(e) => setBoard(e.target.value as RealBoardId)}
            data-testid="fw-board"
          >
            {REAL_BOARD_IDS.map((b) => (
              <option key={b}>{b}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => plan.reload()}>
          Detect again
        </button>
        <button type="button" onClick={() => void startBuild()}>
          Build firmware
        </button>
      </div>
      <ErrorBox error={plan.error ?? error} />
      {p && (
        <table data-testid="fw-detected">
          <tbody>
            <tr>
              <th style={{ width: 140 }}>Image</th>
              <td className="mono">
                {p.image} {p.imageExists ? `(${p.imageBytes?.toLocaleString()} B)` : '— not built yet'}
              </td>
            </tr>
            <tr>
              <th>Board drives</th>
              <td>
                {p.drives.length === 0 ? (
                  <span className="muted">none found in {p.searched.slice(0, 3).join(', ')}</span>
                ) : (
                  p.drives.map((d) => (
                    <label key={d.path} style={{ display: 'block' }}>
                      <input
                        type="radio"
                        name="fw-drive"
                        checked={drive === d.path}
                        onChange={() => setDrive(d.path)}
                      />{' '}
                      <span className="mono">{d.path}</span>{' '}
                      <span className="muted">
                        ({d.evidence.join(', ')}
                        {d.board ? `; a ${d.board}` : ''})
                      </span>
                    </label>
                  ))
                )}
              </td>
            </tr>
            <tr>
              <th>Probe tools</th>
              <td>
                {p.tools.length === 0 ? (
                  <span className="muted">neither st-flash nor openocd on PATH</span>
                ) : (
                  p.tools.map((t) => `${t.name} (${t.path})`).join(', ')
                )}
              </td>
            </tr>
            <tr>
              <th>Will do</th>
              <td data-testid="fw-advice">{p.advice}</td>
            </tr>
          </tbody>
        </table>
      )}
      <div className="row" style={{ marginTop: 8 }}>
        <label>
          Drive path{' '}
          <input
            placeholder="(detected)"
            value={drive}
            onChange={(e) => setDrive(e.target.value)}
            style={{ width: 260 }}
          />
        </label>
        <button
          type="button"
          className="primary"
          disabled={busy || !p?.imageExists || (p.method === 'none' && !drive)}
          onClick={() => void flash()}
          data-testid="fw-flash"
        >
          {busy ? 'Flashing…' : 'Flash'}
        </button>
      </div>
      <JobProgress job={build} />
      {result && (
        <p data-testid="fw-result">
          {result.message}{' '}
          <span className="muted">
            ({result.method}, {result.ms} ms)
          </span>
        </p>
      )}
      <p className="muted">
        Untested on real hardware so far — see docs/use-your-own-board.md. Virtual boards load their firmware
        on every start and need none of this.
      </p>
    </div>
  );
}
