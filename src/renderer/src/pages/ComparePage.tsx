import { useState } from 'react';
import {
  CartesianGrid,
  Legend,
  Line,
  ComposedChart,
  ResponsiveContainer,
  Scatter,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { compareCsv, devicePartial, rankingAccuracy, type CompareRow } from '../../../shared/api/deploy';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { storeChoice, storedChoice, storedChoiceIn, useApi } from '../hooks';
import { accuracyAxis, valueAxis } from '../../../shared/axis-ticks';
import { bytes, int, pct, unitShort } from './deploy/format';
import './deploy/deploy.css';

/**
 * Compare: the float model and every quantized variant as rows (bits, method, host and device
 * accuracy, bit-exact, size, BOPs, peak memory, latency); pick two rows to diff; export CSV; accuracy
 * vs latency and vs size with the Pareto front highlighted.
 */
const accuracyOf = rankingAccuracy;

function ParetoChart({
  rows,
  x,
  xLabel,
  xKind,
  front,
  testId,
}: {
  rows: CompareRow[];
  x: (r: CompareRow) => number | null;
  xLabel: string;
  /** What x measures: its ticks say it ("1.5 KiB", "74.7 k instr."). */
  xKind: { kind: 'bytes' } | { kind: 'count'; unit: string };
  front: (r: CompareRow) => boolean;
  testId: string;
}) {
  const pts = rows
    .filter((r) => x(r) !== null && accuracyOf(r) !== null)
    .map((r) => ({ name: r.name, x: x(r)!, accuracy: 100 * accuracyOf(r)!, front: front(r) }));
  const frontLine = pts.filter((p) => p.front).sort((a, b) => a.x - b.x);
  const xs = pts.map((p) => p.x);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMin = Math.min(...pts.map((p) => p.accuracy));
  // A log axis only where the points span more than a decade and a bit (sizes float vs 1-bit).
  const logScale = xMax / Math.max(1, xMin) > 20;
  const xAxis = valueAxis(xMin, xMax, { log: logScale, ...xKind });
  const yAxis = accuracyAxis(yMin);
  if (pts.length === 0)
    return (
      <div className="card" data-testid={testId}>
        <h2>Accuracy vs {xLabel}</h2>
        <p className="empty">Nothing to plot yet — profile a variant on a board from the Deploy page.</p>
      </div>
    );
  return (
    <div className="card" data-testid={testId} style={{ height: 320 }}>
      <h2>
        Accuracy vs {xLabel}{' '}
        <span className="muted pareto-legend">
          (device accuracy where profiled on the whole split, else host)
        </span>
      </h2>
      <ResponsiveContainer width="100%" height="85%">
        <ComposedChart margin={{ top: 10, right: 44, bottom: 20, left: 10 }}>
          <CartesianGrid />
          <XAxis
            type="number"
            dataKey="x"
            name={xLabel}
            scale={logScale ? 'log' : 'linear'}
            domain={xAxis.domain}
            ticks={xAxis.ticks}
            interval={0}
            tickFormatter={xAxis.format}
            allowDuplicatedCategory={false}
            label={{ value: xLabel, position: 'insideBottom', offset: -12 }}
          />
          <YAxis
            type="number"
            dataKey="accuracy"
            name="accuracy"
            domain={yAxis.domain}
            ticks={yAxis.ticks}
            interval={0}
            tickFormatter={yAxis.format}
            width={64}
            label={{ value: 'accuracy', angle: -90, position: 'insideLeft', offset: 0 }}
          />
          <Tooltip
            formatter={(v: unknown) =>
              typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v)
            }
            labelFormatter={() => ''}
          />
          <Legend verticalAlign="top" height={24} />
          <Scatter
            name="dominated"
            data={pts.filter((p) => !p.front)}
            fill="#8c959f"
            isAnimationActive={false}
          />
          <Scatter name="Pareto front" data={frontLine} fill="#cf222e" isAnimationActive={false} />
          <Line
            name="front"
            data={frontLine}
            dataKey="accuracy"
            stroke="#cf222e"
            dot={false}
            legendType="none"
            isAnimationActive={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

function Diff({ a, b }: { a: CompareRow; b: CompareRow }) {
  const rows: Array<[string, (r: CompareRow) => number | null, (v: number | null) => string]> = [
    ['host accuracy', (r) => r.host_accuracy, pct],
    ['device accuracy', (r) => r.device_accuracy, pct],
    ['size', (r) => r.size_bytes, bytes],
    ['BOPs', (r) => r.bops, int],
    ['peak memory', (r) => r.peak_memory_bytes, bytes],
    [`latency mean (${a.latency?.unit ?? b.latency?.unit ?? ''})`, (r) => r.latency?.mean ?? null, int],
    [
      `${unitShort(a.latency?.unit ?? b.latency?.unit ?? 'counts')} / MAC`,
      (r) => r.counts_per_mac,
      (v) => (v === null ? '—' : v.toFixed(2)),
    ],
    ['RAM', (r) => r.ram_bytes, bytes],
    ['flash', (r) => r.flash_bytes, bytes],
  ];
  return (
    <div className="card" data-testid="diff">
      <h2>
        {a.name} vs {b.name}
      </h2>
      {a.board !== b.board && a.latency && b.latency && (
        <p className="bad-text">
          Latencies come from different boards ({a.board}, {b.board}): not comparable.
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th />
            <th className="num">{a.name}</th>
            <th className="num">{b.name}</th>
            <th className="num">Δ (second − first)</th>
            <th className="num">ratio</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, f, fmt]) => {
            const va = f(a);
            const vb = f(b);
            return (
              <tr key={label}>
                <td>{label}</td>
                <td className="num">{fmt(va)}</td>
                <td className="num">{fmt(vb)}</td>
                <td className="num">{va !== null && vb !== null ? fmt(vb - va) : '—'}</td>
                <td className="num">{va && vb !== null ? `× ${(vb / va).toFixed(2)}` : '—'}</td>
              </tr>
            );
          })}
          <tr>
            <td>bits per layer</td>
            <td className="mono small">
              {a.layer_bits.map((l) => `${l.name} ${l.weights}/${l.acts}`).join(', ') || 'float32'}
            </td>
            <td className="mono small">
              {b.layer_bits.map((l) => `${l.name} ${l.weights}/${l.acts}`).join(', ') || 'float32'}
            </td>
            <td colSpan={2} />
          </tr>
        </tbody>
      </table>
    </div>
  );
}

export function ComparePage() {
  const models = useApi(() => api.models.list(), []);
  const floats = (models.data ?? []).filter((m) => m.kind === 'float');
  const [model, setModel] = useState<string>();
  // The model and board of this tab's last pick, kept over a reload.
  const [board, setBoard] = useState<string>(() => storedChoice('compare.board') ?? '');
  const [picked, setPicked] = useState<string[]>([]);
  const current =
    model ??
    storedChoiceIn(
      'compare.model',
      floats.map((m) => m.name),
    ) ??
    floats[0]?.name;
  const cmp = useApi(
    () =>
      current
        ? api.deploy.compare({ model: current, ...(board ? { board } : {}) })
        : Promise.resolve(undefined),
    [current, board],
  );
  const rows = cmp.data?.rows ?? [];
  const toggle = (name: string) =>
    setPicked((p) => (p.includes(name) ? p.filter((n) => n !== name) : [...p, name].slice(-2)));
  const exportCsv = () => {
    const blob = new Blob([compareCsv(rows)], { type: 'text/csv' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${current}-compare.csv`;
    a.click();
    URL.revokeObjectURL(a.href);
  };
  const latencyBoards = [...new Set(rows.filter((r) => r.latency).map((r) => r.board ?? '?'))].sort();
  const pair = picked.map((n) => rows.find((r) => r.name === n)).filter((r): r is CompareRow => !!r);

  if (models.data && floats.length === 0)
    return (
      <div className="page">
        <h1>Compare</h1>
        <p className="empty" data-testid="compare-empty">
          No trained model yet — train one on the <a href="#/train">Train page</a>, quantize it, then profile
          it.
        </p>
      </div>
    );

  return (
    <div className="page" data-testid="compare-page">
      <h1>Compare</h1>
      <div className="row">
        <label>
          Model
          <select
            value={current ?? ''}
            onChange={(e) => {
              setModel(e.target.value);
              storeChoice('compare.model', e.target.value);
            }}
            data-testid="compare-model"
          >
            {floats.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Device results from
          <select
            value={board}
            onChange={(e) => {
              setBoard(e.target.value);
              storeChoice('compare.board', e.target.value);
            }}
            data-testid="compare-board"
          >
            <option value="">newest run on any board</option>
            {(cmp.data?.boards ?? []).map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={exportCsv} disabled={rows.length === 0} data-testid="export-csv">
          Export CSV
        </button>
        <span className="muted">Tick two rows to diff them.</span>
      </div>
      <ErrorBox error={cmp.error} />
      {cmp.loading && current && (
        <p className="muted" data-testid="compare-loading">
          Loading {current}, its variants and their device runs…
        </p>
      )}
      {/* Many columns: scroll sideways inside the page instead of cutting the last ones off. */}
      <div style={{ overflowX: 'auto' }}>
        <table data-testid="compare-table">
          <thead>
            <tr>
              <th />
              <th>model</th>
              <th>method</th>
              <th className="num">bits W/A</th>
              <th className="num">host acc.</th>
              <th className="num">device acc.</th>
              <th>bit-exact</th>
              <th className="num">size</th>
              <th className="num">BOPs</th>
              <th className="num">peak memory</th>
              <th className="num">latency mean (p50 / p99)</th>
              <th className="num">per MAC</th>
              <th>board · run</th>
              <th>Pareto</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name} className={picked.includes(r.name) ? 'selected' : ''} data-row={r.name}>
                <td>
                  <input
                    type="checkbox"
                    checked={picked.includes(r.name)}
                    onChange={() => toggle(r.name)}
                    aria-label={`select ${r.name}`}
                  />
                </td>
                <td className="mono">
                  {r.kind === 'float' ? (
                    r.name
                  ) : (
                    <a
                      href="#/deploy"
                      title={`open ${r.name} on Deploy & Profile${r.board ? ` (${r.board})` : ''}`}
                      data-testid="compare-open-deploy"
                      onClick={() => {
                        storeChoice('deploy.model', r.name);
                        if (r.board) storeChoice('deploy.board', r.board);
                      }}
                    >
                      {r.name}
                    </a>
                  )}
                </td>
                <td title={r.layer_bits.map((l) => `${l.name} ${l.weights}/${l.acts}`).join(', ')}>
                  {r.kind === 'float' ? 'float32' : `${r.family} ${r.method}`}
                </td>
                <td className="num">{r.kind === 'float' ? '32/32' : `${r.weights_bits}/${r.acts_bits}`}</td>
                <td className="num">{pct(r.host_accuracy)}</td>
                <td className="num">
                  {pct(r.device_accuracy)}
                  {devicePartial(r) && (
                    <div
                      className="muted"
                      data-testid="device-windows"
                      title="profiled with a window limit: the device accuracy is of these windows only; the row is ranked by its host accuracy"
                    >
                      {int(r.device_windows)} of {int(r.device_windows_total)} {r.device_split} windows
                    </div>
                  )}
                </td>
                <td>
                  {r.bit_exact === null ? (
                    '—'
                  ) : r.bit_exact ? (
                    <span className="badge ok">yes</span>
                  ) : (
                    <span className="badge bad">no</span>
                  )}
                </td>
                <td className="num">{bytes(r.size_bytes)}</td>
                <td className="num">{int(r.bops)}</td>
                <td className="num">{bytes(r.peak_memory_bytes)}</td>
                <td className="num">
                  {r.latency
                    ? `${int(r.latency.mean)} ${unitShort(r.latency.unit)} (${int(r.latency.p50)} / ${int(r.latency.p99)})`
                    : '—'}
                  {r.latency_us !== null ? ` · ${r.latency_us.toFixed(1)} µs` : ''}
                </td>
                <td className="num" data-testid="counts-per-mac">
                  {r.counts_per_mac === null
                    ? '—'
                    : `${r.counts_per_mac.toFixed(2)} ${unitShort(r.latency?.unit ?? 'counts')}/MAC`}
                </td>
                <td className="mono small">
                  {r.board
                    ? `${r.board} · #${r.run_id}${r.run_state === 'partial' ? ' (partial)' : ''}`
                    : '—'}
                </td>
                <td>
                  {r.pareto_latency && <span className="badge ok">latency</span>}{' '}
                  {r.pareto_size && <span className="badge ok">size</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pair.length === 2 && <Diff a={pair[0]!} b={pair[1]!} />}
      {/* Not while loading: an empty chart would say there is nothing to plot. */}
      {!cmp.loading && (
        <div className="grid2">
          {latencyBoards.length > 1 ? (
            <div className="card" data-testid="chart-latency">
              <h2>Accuracy vs latency</h2>
              <p className="empty" data-testid="latency-boards">
                Latency from {latencyBoards.length} boards ({latencyBoards.join(', ')}): counts of two boards
                are not comparable, so each board has its own front (the Pareto column). Pick one board under
                “Device results from” to plot its variants on one axis.
              </p>
            </div>
          ) : (
            <ParetoChart
              rows={rows}
              x={(r) => r.latency?.mean ?? null}
              xLabel={`latency (${rows.find((r) => r.latency)?.latency?.unit ?? 'counts'})`}
              xKind={{ kind: 'count', unit: unitShort(rows.find((r) => r.latency)?.latency?.unit ?? '') }}
              front={(r) => r.pareto_latency}
              testId="chart-latency"
            />
          )}
          <ParetoChart
            rows={rows}
            x={(r) => r.size_bytes}
            xLabel="size (bytes)"
            xKind={{ kind: 'bytes' }}
            front={(r) => r.pareto_size}
            testId="chart-size"
          />
        </div>
      )}
    </div>
  );
}
