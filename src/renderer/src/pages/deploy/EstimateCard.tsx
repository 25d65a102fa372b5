import type { Estimate } from '../../../../shared/api/deploy';
import { bytes, int, unitShort } from './format';

/** Before flashing: the cost model's per-layer estimate and whether the model fits the board. */
export function EstimateCard({ e }: { e: Estimate }) {
  const u = e.board.counter;
  return (
    <div className="card" data-testid="estimate">
      <h2>
        Estimate on {e.board.spec}{' '}
        <span className="muted">
          ({e.board.name}, {e.board.cpu})
        </span>
      </h2>
      <p>
        ≈ <strong>{int(e.latency)}</strong> {u} per inference
        {e.latency_us !== null ? ` (${e.latency_us.toFixed(1)} µs at ${e.board.clock_hz / 1e6} MHz)` : ''}
        {e.counts_per_mac !== null
          ? ` · ${e.counts_per_mac.toFixed(2)} ${unitShort(u)}/MAC over ${int(e.macs)} MACs`
          : ''}
        <br />
        <span className="muted">
          {e.calibration}; unit: {e.board.counter_label}; board info {e.board_info_source}
        </span>
      </p>
      <p data-testid="fit" className={e.memory.fits ? '' : 'bad-text'}>
        {e.memory.fits ? (
          <span className="badge ok">fits</span>
        ) : (
          <span className="badge bad">does not fit</span>
        )}{' '}
        model {bytes(e.memory.model_bytes)} of a {bytes(e.memory.model_slot_bytes)} slot · arena{' '}
        {bytes(e.memory.arena_used_bytes)} of {bytes(e.memory.board_arena_bytes)} (minimum{' '}
        {bytes(e.memory.arena_min_bytes)}) · firmware {bytes(e.memory.firmware_flash_bytes)}
      </p>
      {!e.memory.fits && (
        <ul className="bad-text">
          {e.memory.problems.slice(1).map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
