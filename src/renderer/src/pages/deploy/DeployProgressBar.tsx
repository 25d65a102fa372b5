import type { DeployProgress } from '../../../../shared/api/deploy';
import { rate } from './format';

/** Flash: bytes sent, rate, ETA. Profile: windows done, rate, mismatches so far, ETA. */
export function DeployProgressBar({ p }: { p: DeployProgress | undefined }) {
  if (!p || p.phase === 'done') return null;
  const flashing = p.phase === 'flash' || p.phase === 'verify';
  const done = flashing ? p.bytesSent : p.windowsDone;
  const total = flashing ? p.bytesTotal : p.windowsTotal;
  const eta = p.etaSeconds !== null ? ` · ETA ${Math.ceil(p.etaSeconds)} s` : '';
  return (
    <div className="deploy-progress" data-testid="deploy-progress" data-phase={p.phase}>
      <progress max={Math.max(1, total)} value={done} />
      <span className="mono">
        {flashing
          ? `flash: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} B · ${rate(p.bytesPerSecond)}${eta}`
          : p.phase === 'profile'
            ? `profile: window ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} · ${p.windowsPerSecond.toFixed(0)} windows/s · ${p.mismatches} mismatches${eta}`
            : p.phase}
      </span>
    </div>
  );
}
