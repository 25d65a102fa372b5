import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EpochReport } from '../../../../shared/api/lowbit';

/**
 * Seed 000 Fig. 2/4: one weight tensor's histogram in units of its scale α (levels at the integers,
 * ±1 for binary), with an epoch slider: the weights gathering on the levels as training goes.
 */
export function WeightHistogram({ epochs }: { epochs: EpochReport[] }) {
  const [epoch, setEpoch] = useState(epochs.length - 1);
  const [tensor, setTensor] = useState(0);
  const e = epochs[Math.min(epoch, epochs.length - 1)];
  const h = e?.histograms[Math.min(tensor, (e?.histograms.length ?? 1) - 1)];
  if (!e || !h) return null;
  const width = (h.hi - h.lo) / h.counts.length;
  const data = h.counts.map((count, i) => ({ u: +(h.lo + (i + 0.5) * width).toFixed(3), count }));
  return (
    <div data-testid="weight-histogram">
      <div className="row">
        <label>
          tensor{' '}
          <select value={tensor} onChange={(ev) => setTensor(Number(ev.target.value))}>
            {e.histograms.map((x, i) => (
              <option key={`${x.layer}.${x.param}`} value={i}>
                {x.layer}.{x.param} ({x.bits} bit)
              </option>
            ))}
          </select>
        </label>
        <label>
          epoch {e.epoch}{' '}
          <input
            type="range"
            min={0}
            max={epochs.length - 1}
            value={epoch}
            onChange={(ev) => setEpoch(Number(ev.target.value))}
            aria-label="epoch"
          />
        </label>
        <span className="muted">
          {(100 * h.near_fraction).toFixed(1)} % of weights within ε of a level (all low-bit layers:{' '}
          {(100 * e.near_fraction).toFixed(1)} %)
        </span>
      </div>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={data} barCategoryGap={0}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="u"
            label={{ value: 'w / α (levels at integers; binary ±1)', position: 'insideBottom', offset: -2 }}
          />
          <YAxis label={{ value: 'weights', angle: -90, position: 'insideLeft' }} />
          <Tooltip />
          <Bar dataKey="count" fill="#4a7bd0" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
