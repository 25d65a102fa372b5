import { useEffect, useState } from 'react';
import { LowBitPanel } from './quantize/LowBitPanel';
import { ReplaceButton, ReplaceConfirm, type ReplaceOffer } from './quantize/ReplaceVariant';
import { LayerBitsTable, layerBitsOf, type LayerBitsChoice } from './quantize/LayerBitsTable';
import {
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from 'recharts';
import type { ModelSummary } from '../../../shared/api/models';
import {
  hasLayerTable,
  methodOf,
  reportWarnings,
  tuningSummary,
  type PtqConfigInput,
  type PtqReport,
  type VariantSummary,
} from '../../../shared/api/quant';
import { BitbenchError } from '../../../shared/errors';
import { api } from '../api';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { ErrorBox } from '../components/ErrorBox';
import { JobProgress } from '../components/JobProgress';
import { isActive, storeChoice, storedChoiceIn, useApi, useJob, useRunningJob } from '../hooks';

/**
 * Quantize: pick a float model, a preset (or a per-layer table) and the PTQ steps, click once; a
 * per-layer progress bar, then every variant of the model in a table and on an accuracy-vs-size
 * chart, and the selected variant's per-layer report with seed 004's weight-only / activation-only
 * debugging columns.
 */
const PRESETS = {
  W8A8: { w: 8, a: 8 },
  W4A8: { w: 4, a: 8 },
  W4A4: { w: 4, a: 4 },
  W2A2: { w: 2, a: 2 },
} as const;
type Preset = keyof typeof PRESETS | 'custom';
const BIT_CHOICES = [1, 2, 3, 4, 5, 6, 7, 8];
/** Seed 003's calibration set size; the server takes the whole train split when it is smaller. */
const DEFAULT_CALIB = 1024;
const DEFAULT_ITERATIONS = 1000;

const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
const bytes = (v: number) => (v >= 1024 ? `${(v / 1024).toFixed(1)} KiB` : `${v} B`);
/** Exact bytes after the rounded size, for the report (what the device stores). */
const bytesExact = (v: number) => (v >= 1024 ? `${bytes(v)} (${v.toLocaleString()} B)` : `${v} B`);
const db = (v: number | null) => (v === null ? 'exact' : `${v.toFixed(1)} dB`);

/** Seed 003's layerwise optimisation step: opt_round (AdaRound), opt_weights (AdaQuant), opt_qparam (LSQ). */
type Layerwise = 'none' | 'adaround' | 'adaquant' | 'lsq';
/**
 * Seed 003 step 4, end to end on the logits: the biases; with them the activation step sizes; or the
 * weights on their grids.
 */
type Tuning = 'none' | 'biases' | 'ranges' | 'weights';

/** The page's choices as a method string, through the contract's own `methodOf`. */
function methodString(
  range: 'minmax' | 'mse',
  cle: boolean,
  layerwise: Layerwise,
  bc: boolean,
  tuning: Tuning = 'none',
  qdrop = false,
): string {
  return methodOf({
    cle,
    biasAbsorption: false,
    weightRange: range,
    optimizer: layerwise,
    biasCorrection: bc,
    biasTuning: tuning !== 'none',
    weightTuning: tuning === 'weights',
    rangeTuning: tuning === 'ranges',
    // QDrop only changes the learning steps: without one it would do nothing.
    qdrop: qdrop && (layerwise !== 'none' || tuning !== 'none'),
  });
}

/** "W4A4", or "mixed per layer: W2–8, A4–8" when a per-layer table was given. */
function bitsLabel(report: PtqReport): string {
  const ws = report.per_layer.map((l) => l.bits.weights);
  const as = report.per_layer.map((l) => l.bits.acts);
  const span = (v: number[]) =>
    Math.min(...v) === Math.max(...v) ? `${v[0]}` : `${Math.min(...v)}–${Math.max(...v)}`;
  return hasLayerTable(report.config) && ws.length > 0
    ? `mixed per layer: W${span(ws)}, A${span(as)}`
    : `W${report.weights_bits}A${report.acts_bits}`;
}

function LayerReport({ report, onDeleted }: { report: PtqReport; onDeleted: () => void }) {
  const logits = report.per_layer[report.per_layer.length - 1];
  return (
    <div className="card" data-testid="variant-report">
      <h2>
        {report.name}{' '}
        <span className="muted">
          ({report.method}, {bitsLabel(report)})
        </span>
      </h2>
      <p>
        Accuracy {pct(report.accuracy)} on {report.test_count} test windows (
        {report.integer_reference.startsWith('integer engine')
          ? "the integer engine's host reference on the device blob"
          : 'integer-exact simulation: the engine could not export this model'}
        ; float {pct(report.float_accuracy)}, simulated {pct(report.fake_quant_accuracy)}; agrees with the
        float model on {pct(report.agreement_with_float)}; integer = simulated on{' '}
        {pct(report.integer_matches_fake_quant)}
        ).
      </p>
      {reportWarnings(report).map((w) => (
        <p key={w} className="warn-box" data-testid="report-warning">
          {w}
        </p>
      ))}
      <p>
        Size {bytesExact(report.model_bytes)} (weights {bytes(report.weight_bytes)} packed, biases{' '}
        {bytes(report.bias_bytes)}, metadata {bytes(report.metadata_bytes)}; float32{' '}
        {bytes(report.float_model_bytes)}) · {(report.bops / 1e6).toFixed(1)} MBOPs (float{' '}
        {(report.float_bops / 1e6).toFixed(0)}) · peak memory {bytes(report.peak_memory_bytes)} (weights at
        their bit width + the largest activation, Zhuo et al. 2022) · firmware activation arena at least{' '}
        {bytes(report.arena_bytes)} (one layer's int8 input + output + scratch; a board with room uses more,
        as Deploy &amp; Profile's estimate shows)
      </p>
      {report.bias_tuning ? (
        <p data-testid="tuning-report">End-to-end tuning: {tuningSummary(report.bias_tuning)}</p>
      ) : null}
      <table data-testid="per-layer">
        <thead>
          <tr>
            <th>layer</th>
            <th className="num">W/A/in bits</th>
            <th className="num">MACs</th>
            <th className="num">BOPs</th>
            <th className="num">weights</th>
            <th className="num">SQNR out</th>
            <th className="num">weight SQNR</th>
            <th className="num">only weights quantized</th>
            <th className="num">only output act. quantized</th>
            <th>optimisation</th>
          </tr>
        </thead>
        <tbody>
          {report.per_layer.map((l) => (
            <tr key={l.name}>
              <td className="mono">{l.name}</td>
              <td className="num">
                {l.bits.weights}/{l.bits.acts}/{l.bits.input}
              </td>
              <td className="num">{l.macs.toLocaleString()}</td>
              <td className="num">{l.bops.toLocaleString()}</td>
              <td className="num">{bytes(l.weight_bytes)}</td>
              <td className="num">{db(l.sqnr)}</td>
              <td className="num">{db(l.weight_sqnr)}</td>
              <td className="num">
                {pct(l.weight_only.accuracy)} · {db(l.weight_only.logits_sqnr)}
              </td>
              <td className="num">
                {pct(l.act_only.accuracy)} ·{' '}
                {l === logits && l.act_only.logits_sqnr === null ? (
                  // The logits SQNR is read before their grid (docs/quantization.md), so this row's
                  // SQNR cannot see the grid it is about: "exact" would contradict its accuracy.
                  <span title="the logits SQNR is measured before the logits' own grid, which this row quantizes; its accuracy shows the grid's effect">
                    n/a
                  </span>
                ) : (
                  db(l.act_only.logits_sqnr)
                )}
              </td>
              <td>
                {l.optimisation
                  ? `${l.optimisation.method}: loss ${l.optimisation.loss_nearest.toPrecision(3)} → ${l.optimisation.loss_after.toPrecision(3)}${l.optimisation.kept ? '' : ' (nearest kept)'}`
                  : '—'}
                {l.bias_correction_max_abs !== null
                  ? ` · bias corr. ≤ ${l.bias_correction_max_abs.toPrecision(2)}`
                  : ''}
              </td>
            </tr>
          ))}
          <tr>
            <td className="mono">input</td>
            <td className="num">—/{report.config.inputBits}</td>
            <td colSpan={6} />
            <td className="num">
              {pct(report.input_act_only.accuracy)} · {db(report.input_act_only.logits_sqnr)}
            </td>
            <td />
          </tr>
        </tbody>
      </table>
      <p className="muted">
        Debugging: the last two columns quantize one layer at a time, everything else float (accuracy · logits
        SQNR vs float
        {report.debug
          ? `, on the first ${report.debug.count} test windows, where the float model scores ${pct(report.debug.float_accuracy)}`
          : ', on the first test windows'}
        ; the input row quantizes only the model's input) — a low value shows which layer hurts and whether
        its weights or its activations are to blame.
      </p>
      <table data-testid="per-class">
        <thead>
          <tr>
            <th>class</th>
            <th className="num">test windows</th>
            <th className="num">float</th>
            <th className="num">quantized (integer)</th>
            <th className="num">change</th>
          </tr>
        </thead>
        <tbody>
          {report.per_class.map((c) => {
            const change = 100 * (c.accuracy - c.float_accuracy);
            return (
              <tr key={c.class}>
                <td className="mono">{c.class}</td>
                <td className="num">{c.count}</td>
                <td className="num">{pct(c.float_accuracy)}</td>
                <td className="num">{pct(c.accuracy)}</td>
                <td className={`num${change <= -5 ? ' bad' : ''}`}>
                  {change > 0 ? '+' : ''}
                  {change.toFixed(2)} points
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ConfirmDelete
        key={report.name}
        what={
          <>
            Delete <strong>{report.name}</strong> and its device runs (flash, profile)? The float model stays.
          </>
        }
        onConfirm={() => api.quant.remove({ name: report.name })}
        onDeleted={onDeleted}
        testId="delete-variant"
        confirmTestId="confirm-delete-variant"
      />
    </div>
  );
}

interface ChartPoint {
  name: string;
  size: number;
  /** Where the point is drawn (a collapsed variant: a band at the bottom of the scale). */
  accuracy: number;
  /** Its accuracy, for the tooltip. */
  real: number;
}

function SizeChart({ parent, variants }: { parent: ModelSummary | undefined; variants: VariantSummary[] }) {
  const pointOf = (v: VariantSummary): ChartPoint => ({
    name: v.name,
    size: v.model_bytes,
    accuracy: 100 * v.accuracy,
    real: 100 * v.accuracy,
  });
  const all = variants.map(pointOf);
  // Variants of one size and accuracy (re-runs of one preset) share a point: its tooltip names them all.
  const names = new Map<string, string[]>();
  for (const p of all) {
    const key = `${p.size}|${p.real.toFixed(2)}`;
    names.set(key, [...(names.get(key) ?? []), p.name]);
  }
  const label = (p: ChartPoint) => (names.get(`${p.size}|${p.real.toFixed(2)}`) ?? [p.name]).join(', ');
  const floatPoint: ChartPoint[] =
    parent && variants[0]
      ? [
          {
            name: `${parent.name} (float32)`,
            size: parent.size_bytes || 4 * parent.params,
            accuracy: 100 * variants[0].float_accuracy,
            real: 100 * variants[0].float_accuracy,
          },
        ]
      : [];
  if (all.length === 0) return null;
  // A collapsed variant (about chance) would stretch the scale down to it and squeeze every useful
  // variant into one line at the top: the scale spans the others and the float model, and collapsed
  // ones sit in a band under them as crosses (their accuracy in the tooltip and the table).
  const ok = variants.filter((v) => !v.collapsed).map(pointOf);
  const shown = [...ok, ...floatPoint].map((p) => p.accuracy);
  const collapsedOnFloor = ok.length > 0 && ok.length < variants.length;
  let domain: [number, number] | ['auto', 'auto'] = ['auto', 'auto'];
  let collapsed: ChartPoint[] = [];
  if (collapsedOnFloor) {
    const lo = Math.min(...shown);
    const hi = Math.max(...shown);
    const pad = Math.max(0.5, 0.1 * (hi - lo));
    domain = [Math.max(0, Math.floor(lo - 2 * pad)), Math.min(100, Math.ceil(hi + pad))];
    // In the band under the others, clear of the axis line.
    const band = (domain[0] + lo - pad) / 2;
    collapsed = variants.filter((v) => v.collapsed).map((v) => ({ ...pointOf(v), accuracy: band }));
  }
  return (
    <div className="card" data-testid="size-chart" style={{ height: 320 }}>
      <h2>Accuracy vs size</h2>
      <ResponsiveContainer width="100%" height="85%">
        <ScatterChart margin={{ top: 10, right: 20, bottom: 20, left: 10 }}>
          <CartesianGrid />
          <XAxis
            type="number"
            dataKey="size"
            name="size"
            scale="log"
            // Room either side, so the smallest and the largest model are not drawn on the axes.
            domain={[(min: number) => min / 1.5, (max: number) => max * 1.5]}
            tickFormatter={(v: number) => bytes(Math.round(v))}
          />
          <YAxis
            type="number"
            dataKey="accuracy"
            name="accuracy"
            unit=" %"
            domain={domain}
            allowDataOverflow={collapsedOnFloor}
            tickFormatter={(v: number) => v.toFixed(1)}
          />
          <ZAxis type="category" dataKey="name" name="variant" />
          <Tooltip
            formatter={(_value, key, item) => {
              const p = item.payload as ChartPoint;
              if (key === 'size') return [bytes(p.size), 'size'];
              if (key === 'accuracy') return [`${p.real.toFixed(2)} %`, 'accuracy'];
              return [label(p), 'variant'];
            }}
          />
          <Legend />
          <Scatter
            name="quantized (integer accuracy, test split)"
            data={collapsedOnFloor ? ok : all}
            fill="#0969da"
            isAnimationActive={false}
          />
          {collapsed.length > 0 && (
            <Scatter
              name="collapsed, about chance (drawn under the others; accuracy in the tooltip)"
              data={collapsed}
              fill="#9a6700"
              shape="cross"
              isAnimationActive={false}
            />
          )}
          <Scatter name="float parent" data={floatPoint} fill="#cf222e" isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}

export function QuantizePage() {
  const models = useApi(() => api.models.list(), []);
  const floats = (models.data ?? []).filter((m) => m.kind === 'float');
  const [model, setModel] = useState<string>();
  // The model of this tab's last pick, kept over a reload.
  const current =
    model ??
    storedChoiceIn(
      'quantize.model',
      floats.map((m) => m.name),
    ) ??
    floats[0]?.name;
  const variants = useApi(
    () => (current ? api.quant.variants({ model: current }) : Promise.resolve([])),
    [current],
  );
  // Calibration draws from the parent's train split. Left empty, the server's default applies (1024,
  // or the whole split when it is smaller, so a small recorded dataset quantizes without the user
  // knowing its size); a number typed in is checked here and refused by the server when too big.
  const datasets = useApi(() => api.datasets.list(), []);
  const parentDataset = floats.find((m) => m.name === current)?.dataset;
  const trainWindows = (datasets.data ?? []).find((d) => d.name === parentDataset)?.splits.train;
  const [calib, setCalib] = useState('');
  const [preset, setPreset] = useState<Preset>('W8A8');
  const [custom, setCustom] = useState({ w: 8, a: 8 });
  const [layerChoice, setLayerChoice] = useState<LayerBitsChoice>({});
  // The model input at 8 bits (the default) or at the activation bits, as seed 003's W/A counts it.
  const [inputAtActs, setInputAtActs] = useState(false);
  const [iterations, setIterations] = useState('');
  const [range, setRange] = useState<'minmax' | 'mse'>('mse');
  const [cle, setCle] = useState(false);
  const [layerwise, setLayerwise] = useState<Layerwise>('none');
  const [bc, setBc] = useState(true);
  const [tuning, setTuning] = useState<Tuning>('none');
  const [qdrop, setQdrop] = useState(false);
  const [name, setName] = useState('');
  const [jobId, setJobId] = useState<string>();
  const [submitting, setSubmitting] = useState(false);
  const [selected, setSelected] = useState<string>();
  const chooseModel = (m: string) => {
    // What was shown belongs to the previous model: its report, its job, its per-layer table.
    setModel(m);
    storeChoice('quantize.model', m);
    setSelected(undefined);
    setJobId(undefined);
    setLayerChoice({});
  };
  // A quantize job of this model still running (the page was reloaded, or it was started from another
  // window) shows its progress and Cancel here until a new one is started.
  const runningJobId = useRunningJob('quantize', { model: current });
  const job = useJob(jobId ?? runningJobId);
  // The variant shown below: the one clicked, else the one just made.
  const justMade = job?.state === 'succeeded' ? (job.result as { name?: string } | null)?.name : undefined;
  const shown = selected ?? justMade;
  const detail = useApi(() => (shown ? api.quant.get({ name: shown }) : Promise.resolve(undefined)), [shown]);

  const bits = preset === 'custom' ? custom : PRESETS[preset];
  const layerBits = preset === 'custom' ? layerBitsOf(layerChoice, custom) : {};
  const mixed = hasLayerTable({ layerBits });
  const inputBits = inputAtActs ? bits.a : 8;
  const defaultName = current
    ? `${current.replace(/-fp$/, '')}-${mixed ? 'mixed' : `w${bits.w}a${bits.a}`}${inputBits !== 8 ? `-i${inputBits}` : ''}${{ none: '', adaround: '-ar', adaquant: '-aq', lsq: '-lsq' }[layerwise]}`
    : '';
  const whole = (v: string, what: string, max?: number): string | undefined => {
    if (v.trim() === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) return `${what} must be a whole number ≥ 1, not "${v}".`;
    if (max !== undefined && n > max)
      return `${what}: the train split of ${parentDataset} has ${max} windows, ${n} were asked.`;
    return undefined;
  };
  const formError =
    whole(calib, 'Calibration windows', trainWindows) ??
    (layerwise !== 'none' ? whole(iterations, 'Iterations per layer') : undefined);
  const reloadVariants = variants.reload;
  useEffect(() => {
    if (job?.state === 'succeeded') reloadVariants();
  }, [job?.state, reloadVariants]);
  // A refusal is about the inputs it was given: it shows while they stay as they were.
  const inputsKey = JSON.stringify([
    current,
    preset,
    custom,
    layerChoice,
    inputAtActs,
    calib,
    iterations,
    name,
    range,
    cle,
    layerwise,
    bc,
    tuning,
    qdrop,
  ]);
  const [refusal, setRefusal] = useState<{ error: unknown; key: string }>();
  const error = refusal?.key === inputsKey ? refusal.error : undefined;
  const setError = (e: unknown) => setRefusal(e === undefined ? undefined : { error: e, key: inputsKey });

  // A name taken by a variant: the refusal offers to replace it (as the error message says).
  const [replace, setReplace] = useState<ReplaceOffer>();
  const target = name.trim() || defaultName;
  const replaceOffer = replace?.name === target ? replace : undefined;

  const start = async (overwrite = false) => {
    if (!current || formError) return;
    setError(undefined);
    setReplace(undefined);
    const config: Partial<PtqConfigInput> = { weightBits: bits.w, actBits: bits.a };
    if (calib.trim()) config.calibSize = Number(calib);
    if (layerwise !== 'none' && iterations.trim()) config.iterations = Number(iterations);
    if (mixed) config.layerBits = layerBits;
    if (inputBits !== 8) config.inputBits = inputBits;
    setSubmitting(true);
    try {
      const r = await api.quant.quantize({
        model: current,
        name: target,
        method: methodString(range, cle, layerwise, bc, tuning, qdrop),
        config,
        overwrite,
      });
      setJobId(r.jobId);
    } catch (err) {
      setError(err);
      // The name is a variant's (not a float model's, not one a job is making): offer to replace it.
      if (!overwrite && err instanceof BitbenchError && err.code === 'conflict') {
        const taken = (await api.quant.variants({}).catch(() => [])).find((v) => v.name === target);
        if (taken) setReplace({ name: target, parent: taken.parent, confirming: false });
      }
    } finally {
      setSubmitting(false);
    }
  };
  // Busy from the click on: while the request is answered, then while its job runs.
  const running = submitting || isActive(job);

  return (
    <section className="page" data-testid="quantize-page">
      <h1>Quantize</h1>
      <ErrorBox error={models.error} />
      {!models.loading && floats.length === 0 ? (
        <p className="empty" data-testid="quantize-empty">
          No trained float model yet — train one on the <a href="#/train">Train page</a> (e.g. har-cnn on the
          HAR dataset), then quantize it here.
        </p>
      ) : (
        <div className="card" data-testid="quantize-form">
          <div className="row">
            <label>
              Model{' '}
              <select
                value={current ?? ''}
                onChange={(e) => chooseModel(e.target.value)}
                data-testid="quant-model"
              >
                {floats.map((m) => (
                  <option key={m.name} value={m.name}>
                    {m.name} ({m.arch}, {m.test_accuracy !== null ? pct(m.test_accuracy) : 'not evaluated'})
                  </option>
                ))}
              </select>
            </label>
            <label>
              Preset{' '}
              <select
                value={preset}
                onChange={(e) => setPreset(e.target.value as Preset)}
                data-testid="quant-preset"
              >
                {[...Object.keys(PRESETS), 'custom'].map((p) => (
                  <option key={p} value={p}>
                    {p === 'custom' ? 'custom per-layer table' : p}
                  </option>
                ))}
              </select>
            </label>
            {preset === 'custom' &&
              (['w', 'a'] as const).map((k) => (
                <label key={k} title="bits of every layer the table below leaves on default">
                  default {k === 'w' ? 'weights' : 'activations'}{' '}
                  <select
                    value={custom[k]}
                    onChange={(e) => setCustom({ ...custom, [k]: Number(e.target.value) })}
                    data-testid={`quant-default-${k}`}
                  >
                    {BIT_CHOICES.map((b) => (
                      <option key={b} value={b}>
                        {b} bits
                      </option>
                    ))}
                  </select>
                </label>
              ))}
            <label title="8 bits: the sensor input as the host quantizes it (default). Activation bits: seed 003's W/A, which quantizes the model's input like every other layer input">
              Model input{' '}
              <select
                value={inputAtActs ? 'acts' : '8'}
                onChange={(e) => setInputAtActs(e.target.value === 'acts')}
                data-testid="quant-input-bits"
              >
                <option value="8">8 bits</option>
                <option value="acts">activation bits ({bits.a})</option>
              </select>
            </label>
            <label title="Windows drawn from the train split to calibrate ranges and optimise">
              Calibration windows{' '}
              <input
                type="number"
                min={1}
                value={calib}
                onChange={(e) => setCalib(e.target.value)}
                placeholder={
                  trainWindows !== undefined && trainWindows < DEFAULT_CALIB
                    ? `all ${trainWindows}`
                    : `${DEFAULT_CALIB}`
                }
                style={{ width: 90 }}
                data-testid="quant-calib"
              />
              {trainWindows !== undefined && <span className="muted"> of {trainWindows}</span>}
            </label>
            <label>
              Name{' '}
              <input
                value={name}
                onChange={(e) => setName(e.target.value)}
                placeholder={defaultName}
                data-testid="quant-name"
              />
            </label>
          </div>
          <div className="row">
            <label>
              <input type="radio" checked={range === 'minmax'} onChange={() => setRange('minmax')} /> MinMax
            </label>
            <label>
              <input type="radio" checked={range === 'mse'} onChange={() => setRange('mse')} /> MSE
            </label>
            <label>
              <input type="checkbox" checked={cle} onChange={(e) => setCle(e.target.checked)} /> + CLE
            </label>
            <label title="layerwise optimisation on the calibration data (step 3 of the PTQ pipeline of Zhuo et al., tinyML 2022)">
              +{' '}
              <select
                value={layerwise}
                onChange={(e) => setLayerwise(e.target.value as Layerwise)}
                data-testid="quant-layerwise"
              >
                <option value="none">nearest rounding</option>
                <option value="adaround">AdaRound (learned rounding)</option>
                <option value="adaquant">AdaQuant (learned weights)</option>
                <option value="lsq">LSQ (learned step sizes)</option>
              </select>
            </label>
            {layerwise !== 'none' && (
              <label title="optimisation steps per layer (LSQ uses half); fewer is faster and coarser">
                iterations{' '}
                <input
                  type="number"
                  min={1}
                  value={iterations}
                  onChange={(e) => setIterations(e.target.value)}
                  placeholder={`${DEFAULT_ITERATIONS}`}
                  style={{ width: 80 }}
                  data-testid="quant-iterations"
                />
              </label>
            )}
            <label>
              <input type="checkbox" checked={bc} onChange={(e) => setBc(e.target.checked)} /> + bias
              correction
            </label>
            <label title="step 4 of the PTQ pipeline of Zhuo et al.: tuned end to end so the logits match the float model's on the calibration data">
              +{' '}
              <select
                value={tuning}
                onChange={(e) => setTuning(e.target.value as Tuning)}
                data-testid="quant-tuning"
              >
                <option value="none">no end-to-end tuning</option>
                <option value="biases">bias tuning</option>
                <option value="ranges">bias and activation-range tuning</option>
                <option value="weights">weight and bias tuning</option>
              </select>
            </label>
            {(layerwise !== 'none' || tuning !== 'none') && (
              <label title="QDrop (Wei et al. 2022): while the learning steps run, each activation value skips its quantizer with probability 0.5">
                <input
                  type="checkbox"
                  checked={qdrop}
                  onChange={(e) => setQdrop(e.target.checked)}
                  data-testid="quant-qdrop"
                />{' '}
                + QDrop
              </label>
            )}
            <span className="muted mono" data-testid="quant-method">
              {methodString(range, cle, layerwise, bc, tuning, qdrop)}
            </span>
            <span className="spacer" />
            <button
              type="button"
              className="primary"
              disabled={!current || running || !!formError}
              onClick={() => void start()}
              data-testid="quant-start"
            >
              Quantize
            </button>
          </div>
          {current && preset === 'custom' && (
            <LayerBitsTable
              model={current}
              defaults={custom}
              choice={layerChoice}
              onChange={setLayerChoice}
            />
          )}
          {formError && (
            <p className="error-box" data-testid="quant-form-error">
              {formError}
            </p>
          )}
          <ErrorBox error={error}>
            {replaceOffer && <ReplaceButton offer={replaceOffer} prefix="quant" onChange={setReplace} />}
          </ErrorBox>
          {error !== undefined && replaceOffer && (
            <ReplaceConfirm
              offer={replaceOffer}
              prefix="quant"
              onChange={setReplace}
              what="quantization"
              busy={running}
              onConfirm={() => void start(true)}
            />
          )}
          <JobProgress job={job} />
        </div>
      )}
      {current && <LowBitPanel model={current} onStored={reloadVariants} />}
      {current && (
        <>
          <h2>Variants of {current}</h2>
          <ErrorBox error={variants.error} />
          {(variants.data ?? []).length === 0 ? (
            <p className="empty">
              No quantized variant of {current} yet: choose a preset and click Quantize.
            </p>
          ) : (
            <table data-testid="variants">
              <thead>
                <tr>
                  <th>variant</th>
                  <th>method</th>
                  <th className="num">W/A</th>
                  <th className="num">accuracy (integer, test)</th>
                  <th className="num">float</th>
                  <th className="num">size</th>
                  <th className="num">BOPs</th>
                  <th className="num">peak memory</th>
                </tr>
              </thead>
              <tbody>
                {(variants.data ?? []).map((v) => (
                  <tr
                    key={v.name}
                    onClick={() => setSelected(v.name)}
                    className={v.name === shown ? 'active' : ''}
                    style={{ cursor: 'pointer' }}
                  >
                    <td className="mono">{v.name}</td>
                    <td className="mono">{v.method}</td>
                    <td className="num">
                      W{v.weights_bits}A{v.acts_bits}
                      {v.mixed ? ' mixed' : ''}
                    </td>
                    <td className="num">
                      {pct(v.accuracy)}
                      {v.collapsed && ' '}
                      {v.collapsed && (
                        <span
                          className="badge bad"
                          title="about chance level: stored, but not worth deploying (see its report)"
                        >
                          collapsed
                        </span>
                      )}
                    </td>
                    <td className="num">{pct(v.float_accuracy)}</td>
                    <td className="num">{bytes(v.model_bytes)}</td>
                    <td className="num">{(v.bops / 1e6).toFixed(1)} M</td>
                    <td className="num">{bytes(v.peak_memory_bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <SizeChart parent={floats.find((m) => m.name === current)} variants={variants.data ?? []} />
          <ErrorBox error={detail.error} />
          {detail.data && (
            <LayerReport
              report={detail.data.report}
              onDeleted={() => {
                setSelected(undefined);
                setJobId(undefined);
                reloadVariants();
              }}
            />
          )}
        </>
      )}
    </section>
  );
}
