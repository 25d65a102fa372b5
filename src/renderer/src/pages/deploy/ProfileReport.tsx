import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { flaggedReason, type ProfileResult } from '../../../../shared/api/deploy';
import { ConfusionMatrix } from './ConfusionMatrix';
import { bytes, int, pct, unitShort } from './format';

/** What the board measured, next to what the host predicted and the cost model estimated. */
export function ProfileReport({ r }: { r: ProfileResult }) {
  const u = r.latency.unit;
  const us = r.latency.us;
  const chart = r.per_layer.map((l) => ({
    name: l.name,
    estimate: Math.round(l.estimate),
    measured: Math.round(l.counts),
  }));
  return (
    <div className="card" data-testid="profile-report">
      <h2>
        Run {r.run_id}: {r.model} on {r.board}{' '}
        <span className="muted">
          ({r.board_name}, {r.cpu}, firmware {r.firmware_version} build {r.build_id})
        </span>
      </h2>
      {r.state !== 'complete' && (
        <p className="bad-text" data-testid="run-note">
          {r.state}: {r.note}
        </p>
      )}
      <div className="stat-row">
        <div className="stat" data-testid="device-accuracy">
          <div className="stat-value">{pct(r.device_accuracy)}</div>
          <div className="muted">
            device accuracy ({int(r.windows)} windows of {r.dataset}@{r.dataset_version} {r.split})
          </div>
        </div>
        <div className="stat">
          <div className="stat-value">{pct(r.host_accuracy)}</div>
          <div className="muted">host integer reference, same windows</div>
        </div>
        <div className="stat" data-testid="bit-exact">
          <div className="stat-value">
            {r.bit_exact ? (
              <span className="badge ok big">bit-exact</span>
            ) : (
              <span className="badge bad big">{r.mismatches} mismatches</span>
            )}
          </div>
          <div className="muted">every output byte vs the host reference</div>
        </div>
        <div className="stat" data-testid="latency">
          <div className="stat-value">
            {int(r.latency.mean)} <span className="unit">{unitShort(u)}</span>
          </div>
          <div className="muted">
            mean · p50 {int(r.latency.p50)} · p99 {int(r.latency.p99)} {u}
            {us
              ? ` · ${us.mean.toFixed(1)} µs mean (p50 ${us.p50.toFixed(1)}, p99 ${us.p99.toFixed(1)})`
              : ''}
            <br />
            {r.latency.label}
          </div>
        </div>
        <div className="stat" data-testid="memory">
          <div className="stat-value">{bytes(r.ram_bytes)} RAM</div>
          <div className="muted">
            arena {bytes(r.memory.arena_used_bytes)} + stack high-water {bytes(r.memory.stack_hwm_bytes)} of{' '}
            {bytes(r.memory.stack_bytes)} ({r.memory.source})
          </div>
        </div>
        <div className="stat">
          <div className="stat-value">{bytes(r.flash_bytes)} flash</div>
          <div className="muted">
            model {bytes(r.model_bytes)} + firmware {bytes(r.memory.firmware_flash_bytes)}
          </div>
        </div>
      </div>

      {r.mismatch_details.length > 0 && (
        <>
          <h2>Mismatches (first {r.mismatch_details.length})</h2>
          <table data-testid="mismatches">
            <thead>
              <tr>
                <th className="num">window</th>
                <th className="num">label</th>
                <th className="num">device</th>
                <th className="num">host</th>
                <th>first differing layer</th>
                <th className="num">values differing</th>
                <th className="num">max |Δ|</th>
                <th>outputs</th>
              </tr>
            </thead>
            <tbody>
              {r.mismatch_details.map((m) => (
                <tr key={m.window}>
                  <td className="num">{m.window}</td>
                  <td className="num">{r.classes[m.label] ?? m.label}</td>
                  <td className="num">{r.classes[m.device_prediction] ?? m.device_prediction}</td>
                  <td className="num">{r.classes[m.host_prediction] ?? m.host_prediction}</td>
                  <td className="mono">
                    {m.first_layer === null ? '—' : `${m.first_layer} ${m.layer_name ?? ''}`}
                  </td>
                  <td className="num">{m.differing_values ?? '—'}</td>
                  <td className="num">{m.max_abs_diff ?? '—'}</td>
                  <td className="mono small">{m.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2>
        Per layer: estimate vs measured{' '}
        <span className="muted">
          ({r.calibration}; {r.layers_flagged} flagged &gt; 25 %;{' '}
          {r.counts_per_mac !== null ? `${r.counts_per_mac.toFixed(2)} ${unitShort(u)}/MAC overall` : ''})
        </span>
      </h2>
      <div style={{ height: 220 }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={chart} margin={{ top: 5, right: 20, bottom: 5, left: 20 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" />
            <YAxis unit={` ${unitShort(u)}`} width={90} />
            <Tooltip />
            <Legend />
            <Bar
              dataKey="estimate"
              name={`estimate (${unitShort(u)})`}
              fill="#8c959f"
              isAnimationActive={false}
            />
            <Bar
              dataKey="measured"
              name={`measured on the board (${unitShort(u)})`}
              fill="#0969da"
              isAnimationActive={false}
            />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <table data-testid="per-layer">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>layer</th>
            <th>kernel</th>
            <th className="num">weight bits</th>
            <th className="num">MACs</th>
            <th className="num">estimate ({unitShort(u)})</th>
            <th className="num">measured ({unitShort(u)})</th>
            <th className="num">deviation</th>
            <th className="num">{unitShort(u)}/MAC</th>
            <th className="num">share</th>
          </tr>
        </thead>
        <tbody>
          {r.per_layer.map((l) => (
            <tr key={l.index} className={l.flagged ? 'flagged' : ''} data-flagged={l.flagged}>
              <td className="num">{l.index}</td>
              <td className="mono">{l.name}</td>
              <td className="mono">{l.kernel}</td>
              <td className="num">{l.weight_bits ?? '—'}</td>
              <td className="num">{int(l.macs)}</td>
              <td className="num">
                {int(l.estimate)}{' '}
                <span className="muted">{l.estimate_source === 'calibrated' ? 'cal.' : 'def.'}</span>
              </td>
              <td className="num">{int(l.counts)}</td>
              <td className="num">
                {l.deviation === null
                  ? '—'
                  : `${l.deviation > 0 ? '+' : ''}${(100 * l.deviation).toFixed(0)} %`}
                {l.flagged ? ' ⚠' : ''}
              </td>
              <td className="num">{l.counts_per_mac === null ? '—' : l.counts_per_mac.toFixed(2)}</td>
              <td className="num">{(100 * l.share).toFixed(1)} %</td>
            </tr>
          ))}
          <tr>
            <td />
            <td className="muted">dispatch, input copy</td>
            <td colSpan={4} />
            <td className="num">{int(r.overhead_counts)}</td>
            <td colSpan={3} />
          </tr>
        </tbody>
      </table>
      {r.layers_flagged > 0 && (
        <p className="muted">⚠ more than 25 % off the estimate: {flaggedReason(r.latency.unit)}.</p>
      )}

      <div className="grid2">
        <div>
          <h2>Per class</h2>
          <table data-testid="per-class">
            <thead>
              <tr>
                <th>class</th>
                <th className="num">windows</th>
                <th className="num">device</th>
                <th className="num">host</th>
              </tr>
            </thead>
            <tbody>
              {r.per_class.map((c) => (
                <tr key={c.class}>
                  <td>{c.class}</td>
                  <td className="num">{c.count}</td>
                  <td className="num">{pct(c.device_accuracy)}</td>
                  <td className="num">{pct(c.host_accuracy)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h2>Confusion matrix (device)</h2>
          <ConfusionMatrix classes={r.classes} confusion={r.confusion} />
        </div>
      </div>
      <p className="muted">
        Serial: {r.serial.ms_per_window.toFixed(2)} ms per window on the host clock,{' '}
        {int(r.serial.wire_bytes_per_window)} B on the wire per window.{' '}
        {r.flash
          ? r.flash.already_active
            ? 'The board already ran this blob (no flash needed).'
            : `Flashed ${bytes(r.flash.bytes)} in ${r.flash.seconds.toFixed(2)} s, verified (crc32 ${r.flash.crc32}, hash ${r.flash.model_hash}).`
          : ''}
      </p>
    </div>
  );
}
