import { useEffect, useMemo, useState } from 'react';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from 'recharts';
import type { ModelDetail } from '../../../shared/api/models';
import type { VariantSummary } from '../../../shared/api/quant';
import type {
  Confusion,
  EpochMetrics,
  TrainOptionsInput,
  TrainProgress,
} from '../../../shared/model/training';
import { api } from '../api';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { ErrorBox } from '../components/ErrorBox';
import { JobProgress } from '../components/JobProgress';
import { isActive, useApi, useEvent, useJob, useRunningJob } from '../hooks';

/**
 * Train: pick a dataset and an architecture (zoo or a custom JSON spec), set the options, click
 * Train. The job's progress bar (with cancel), live loss/accuracy curves per epoch, then the
 * model card of the result: spec, layers, params, size, per-split accuracy, confusion matrix,
 * backend and time. Every chart is Recharts.
 */

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${(100 * v).toFixed(2)} %`;
const bytes = (v: number) => (v >= 1024 ? `${(v / 1024).toFixed(1)} KiB` : `${v} B`);

function Curves({ curves, title }: { curves: EpochMetrics[]; title: string }) {
  if (curves.length === 0) return null;
  const data = curves.map((c) => ({
    epoch: c.epoch,
    loss: c.loss,
    val_loss: c.val_loss,
    accuracy: 100 * c.accuracy,
    val_accuracy: c.val_accuracy === null ? null : 100 * c.val_accuracy,
  }));
  return (
    <div className="grid2" data-testid="train-curves">
      <div className="card" style={{ height: 260 }}>
        <h2>{title}: loss (cross-entropy)</h2>
        <ResponsiveContainer width="100%" height="85%">
          <LineChart data={data} margin={{ top: 5, right: 20, bottom: 15, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="epoch" label={{ value: 'epoch', position: 'insideBottom', offset: -8 }} />
            <YAxis domain={['auto', 'auto']} />
            <Tooltip />
            <Legend verticalAlign="top" />
            <Line
              type="linear"
              dataKey="loss"
              name="train loss"
              stroke="#0969da"
              dot={false}
              isAnimationActive={false}
            />
            <Line
              type="linear"
              dataKey="val_loss"
              name="val loss"
              stroke="#cf222e"
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <div className="card" style={{ height: 260 }}>
        <h2>{title}: accuracy (%)</h2>
        <ResponsiveContainer width="100%" height="85%">
          <LineChart data={data} margin={{ top: 5, right: 20, bottom: 15, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="epoch" label={{ value: 'epoch', position: 'insideBottom', offset: -8 }} />
            <YAxis domain={['auto', 100]} unit=" %" />
            <Tooltip />
            <Legend verticalAlign="top" />
            <Line
              type="linear"
              dataKey="accuracy"
              name="train acc."
              stroke="#0969da"
              dot={false}
              isAnimationActive={false}
            />
            <Line
              type="linear"
              dataKey="val_accuracy"
              name="val acc."
              stroke="#cf222e"
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}

/**
 * The confusion matrix as a Recharts scatter of square cells (one per true × predicted pair),
 * shaded by the share of the true class's windows, with the count written in each. The chart
 * has a fixed size so that the cells tile the plot exactly.
 */
function ConfusionMatrix({ confusion, title }: { confusion: Confusion; title: string }) {
  const k = confusion.classes.length;
  const cells = confusion.matrix.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return row.map((count, p) => ({ predicted: p, actual: k - 1 - t, count, share: count / total }));
  });
  const cell = k <= 4 ? 80 : k <= 8 ? 56 : 36;
  const margin = { top: 10, right: 20, bottom: 30, left: 20 };
  const yAxisWidth = 130;
  const xAxisHeight = 40;
  const width = margin.left + yAxisWidth + k * cell + margin.right;
  const height = margin.top + k * cell + xAxisHeight + margin.bottom;
  const tick = (i: number) => confusion.classes[i] ?? '';
  return (
    <div className="card" data-testid="confusion-matrix">
      <h2>{title}</h2>
      <ScatterChart width={width} height={height} margin={margin}>
        <XAxis
          type="number"
          dataKey="predicted"
          domain={[-0.5, k - 0.5]}
          ticks={confusion.classes.map((_, i) => i)}
          tickFormatter={tick}
          interval={0}
          height={xAxisHeight}
          label={{ value: 'predicted class', position: 'insideBottom', offset: -20 }}
        />
        <YAxis
          type="number"
          dataKey="actual"
          domain={[-0.5, k - 0.5]}
          ticks={confusion.classes.map((_, i) => i)}
          tickFormatter={(i: number) => tick(k - 1 - i)}
          interval={0}
          width={yAxisWidth}
          label={{ value: 'true class', angle: -90, position: 'insideLeft', offset: 0 }}
        />
        <ZAxis type="number" dataKey="count" name="windows" />
        <Tooltip formatter={(v: unknown, n: unknown) => [String(v), String(n)]} labelFormatter={() => ''} />
        <Scatter
          data={cells}
          isAnimationActive={false}
          shape={(props: unknown) => {
            const { cx, cy, payload } = props as {
              cx: number;
              cy: number;
              payload: { count: number; share: number; predicted: number; actual: number };
            };
            const w = cell - 2;
            const diagonal = payload.predicted === k - 1 - payload.actual;
            const alpha = payload.share > 0 ? 0.12 + 0.88 * payload.share : 0.03;
            const color = diagonal ? `rgba(26,127,55,${alpha})` : `rgba(207,34,46,${alpha})`;
            return (
              <g>
                <rect
                  x={cx - w / 2}
                  y={cy - w / 2}
                  width={w}
                  height={w}
                  fill={color}
                  stroke="var(--border)"
                />
                <text
                  x={cx}
                  y={cy + 4}
                  textAnchor="middle"
                  fontSize={12}
                  fill={payload.share > 0.6 ? '#fff' : 'var(--fg)'}
                >
                  {payload.count}
                </text>
              </g>
            );
          }}
        />
      </ScatterChart>
    </div>
  );
}

/**
 * A quantized variant (made on the Quantize page) for what it is: its parent, method, bit widths,
 * size as stored on the device and the integer-exact accuracy of its report. It has no training.
 */
function VariantCard({ variant }: { variant: VariantSummary }) {
  return (
    <div className="page-section" data-testid="variant-card">
      <div className="card">
        <h2>
          {variant.name} <span className="muted">(quantized variant of {variant.parent})</span>
        </h2>
        <p>
          {variant.method} · weights {variant.weights_bits} bit, activations {variant.acts_bits} bit
          {variant.mixed ? ' (mixed per layer)' : ''} · {bytes(variant.model_bytes)} as stored on the device ·
          peak memory {bytes(variant.peak_memory_bytes)}
        </p>
        <p>
          Accuracy {pct(variant.accuracy)} (integer engine) against {pct(variant.float_accuracy)} for the
          float model {variant.parent}.{' '}
          <span className="muted">Its full report, per layer and per class, is on the Quantize page.</span>
        </p>
      </div>
    </div>
  );
}

function DeleteModel({ name, onDeleted }: { name: string; onDeleted: () => void }) {
  const variants = useApi(() => api.quant.variants({ model: name }), [name]);
  const names = (variants.data ?? []).map((v) => v.name);
  return (
    <ConfirmDelete
      key={name}
      what={
        names.length > 0 ? (
          <>
            Delete <strong>{name}</strong> and its {names.length} quantized variant(s){' '}
            <strong data-testid="delete-model-variants">{names.join(', ')}</strong>, with their device runs?
          </>
        ) : (
          <>
            Delete <strong>{name}</strong> and its device runs?
          </>
        )
      }
      onConfirm={() => api.models.delete({ name, withVariants: names.length > 0 })}
      onDeleted={onDeleted}
      testId="delete-model"
      confirmTestId="confirm-delete-model"
    />
  );
}

function ModelCard({ model, onDeleted }: { model: ModelDetail; onDeleted: () => void }) {
  const splits = (['train', 'val', 'test'] as const).filter((s) => model.evaluations[s]);
  const test = model.evaluations.test ?? model.evaluations.val;
  return (
    <div className="page-section" data-testid="model-card">
      <div className="card">
        <h2>
          {model.name} <span className="muted">({model.arch})</span>
        </h2>
        <p>
          {model.params.toLocaleString()} parameters · {bytes(model.size_bytes)} float32 ·{' '}
          {model.macs.toLocaleString()} MACs per window · input [{model.input_shape.join(' × ')}] · classes{' '}
          {model.classes.join(', ')}
        </p>
        <p>
          Trained on {model.dataset}@{model.dataset_version}
          {model.evaluations.train ? (
            <span data-testid="model-train-windows">
              {' '}
              ({model.evaluations.train.count.toLocaleString('en-US')} training windows)
            </span>
          ) : null}{' '}
          for {model.epochs} epochs
          {model.stopped_early ? ` (early stop, best epoch ${model.best_epoch})` : ''} in{' '}
          {model.seconds?.toFixed(1)} s on the {model.backend} backend (seed {model.seed}).{' '}
          <span className="muted">{model.backend_note}</span>
        </p>
        <table>
          <thead>
            <tr>
              <th>split</th>
              <th className="num">windows</th>
              <th className="num">accuracy</th>
              <th className="num">loss</th>
            </tr>
          </thead>
          <tbody>
            {splits.map((s) => (
              <tr key={s}>
                <td>{s}</td>
                <td className="num">{model.evaluations[s]!.count}</td>
                <td className="num">{pct(model.evaluations[s]!.accuracy)}</td>
                <td className="num">{model.evaluations[s]!.loss.toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Layers</h2>
        <table data-testid="model-layers">
          <thead>
            <tr>
              <th>layer</th>
              <th>type</th>
              <th className="num">in</th>
              <th className="num">out</th>
              <th className="num">params</th>
              <th className="num">MACs</th>
            </tr>
          </thead>
          <tbody>
            {model.layers.map((l) => (
              <tr key={l.name}>
                <td className="mono">{l.name}</td>
                <td>{l.type}</td>
                <td className="num">[{l.in_shape.join(', ')}]</td>
                <td className="num">[{l.out_shape.join(', ')}]</td>
                <td className="num">{l.params.toLocaleString()}</td>
                <td className="num">{l.macs.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <details>
          <summary>Spec (JSON)</summary>
          <pre className="mono">{JSON.stringify(model.spec, null, 2)}</pre>
        </details>
        <DeleteModel name={model.name} onDeleted={onDeleted} />
      </div>
      <Curves curves={model.curves} title="Training curves" />
      {test && (
        <ConfusionMatrix
          confusion={test.confusion}
          title={`Confusion matrix, ${test.split} split (${test.count} windows)`}
        />
      )}
      {test && (
        <div className="card">
          <h2>Per class ({test.split})</h2>
          <table>
            <thead>
              <tr>
                <th>class</th>
                <th className="num">windows</th>
                <th className="num">precision</th>
                <th className="num">recall</th>
                <th className="num">F1</th>
              </tr>
            </thead>
            <tbody>
              {test.per_class.map((c) => (
                <tr key={c.class}>
                  <td>{c.class}</td>
                  <td className="num">{c.count}</td>
                  <td className="num">{pct(c.precision)}</td>
                  <td className="num">{pct(c.recall)}</td>
                  <td className="num">{c.f1.toFixed(3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** A custom spec for windows of `shape` and `classes` classes, as the spec box's example. */
function exampleSpec(shape: number[], classes: number): string {
  return JSON.stringify({
    arch: 'custom',
    inputShape: shape,
    numClasses: classes,
    layers: [
      { type: 'conv1d', name: 'c1', filters: 16, kernelSize: 3, activation: 'relu' },
      { type: 'flatten', name: 'f' },
      { type: 'dense', name: 'fc', units: classes },
    ],
  });
}

export function TrainPage() {
  const datasets = useApi(() => api.datasets.list(), []);
  const archs = useApi(() => api.training.archs(), []);
  const models = useApi(() => api.models.list(), []);
  const [dataset, setDataset] = useState<string>();
  const [arch, setArch] = useState<string>();
  const [customSpec, setCustomSpec] = useState('');
  const [name, setName] = useState('');
  const [epochs, setEpochs] = useState(30);
  const [batchSize, setBatchSize] = useState(32);
  const [optimizer, setOptimizer] = useState<'adam' | 'sgd'>('adam');
  const [lr, setLr] = useState(0.001);
  const [schedule, setSchedule] = useState<'constant' | 'cosine' | 'step'>('constant');
  const [patience, setPatience] = useState(0);
  const [classWeights, setClassWeights] = useState<'none' | 'balanced'>('none');
  const [seed, setSeed] = useState(1);
  // '' = every training window; a number = a seeded sample of that many (a quick first model).
  const [maxTrain, setMaxTrain] = useState('');
  const [augment, setAugment] = useState(false);
  const [backend, setBackend] = useState<'' | 'wasm' | 'cpu' | 'tensorflow'>('');
  const [jobId, setJobId] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [live, setLive] = useState<TrainProgress>();
  /** The model picked in the table, and the model just trained when it was picked. */
  const [selected, setSelected] = useState<{ name: string; over: string | undefined }>();
  // A training still running (the page was reloaded, or it was started from another window) shows
  // its progress and Cancel here, with Train disabled, until a new one is started.
  const runningJobId = useRunningJob('train', 'any');
  const followed = jobId ?? runningJobId;
  const job = useJob(followed);
  useEvent('trainProgress', (p) => {
    if (p.jobId === followed) setLive(p);
  });

  const ds = (datasets.data ?? []).find((d) => d.name === (dataset ?? datasets.data?.[0]?.name));
  // Until one is picked, the architecture is the first zoo model that takes the dataset's windows
  // (none does: a custom spec), not one that the page would then refuse.
  const fitting = ds
    ? archs.data?.find((a) => a.input_shape.join('×') === ds.shape.join('×'))?.arch
    : archs.data?.[0]?.arch;
  const currentArch = arch ?? fitting ?? (ds && archs.data ? 'custom' : undefined);
  const archInfo = archs.data?.find((a) => a.arch === currentArch);
  const shapeMismatch =
    ds && archInfo && currentArch !== 'custom' && ds.shape.join('×') !== archInfo.input_shape.join('×')
      ? `${currentArch} takes windows of [${archInfo.input_shape.join(' × ')}]; ${ds.name} has [${ds.shape.join(' × ')}].`
      : undefined;
  // Images ([28, 28, 1]) have no time axis for the IMU augmentation (the trainer refuses it).
  const imageWindows = ds !== undefined && ds.shape.length !== 2;
  const defaultName = ds && currentArch ? `${ds.name}-${currentArch}-s${seed}` : '';
  const example = exampleSpec(ds?.shape ?? [128, 9], ds ? Object.keys(ds.classes).length : 6);
  // An empty spec would only fail the job as invalid JSON: Train waits for one, saying so.
  const specMissing = currentArch === 'custom' && customSpec.trim() === '';

  const reloadModels = models.reload;
  useEffect(() => {
    if (job?.state === 'succeeded') reloadModels();
  }, [job?.state, reloadModels]);
  // After a run, the new model's card shows until another model is picked: a model picked before the
  // run ended (while another model, or none, was the latest trained) gives way to the new one.
  const trained = job?.state === 'succeeded' ? (job.result as { name?: string } | null)?.name : undefined;
  const shown = selected && selected.over === trained ? selected.name : (trained ?? selected?.name);
  const shownKind = models.data?.find((m) => m.name === shown)?.kind;
  const detail = useApi(
    () => (shown && shownKind === 'float' ? api.models.show({ name: shown }) : Promise.resolve(undefined)),
    [shown, shownKind],
  );
  const variant = useApi(
    () => (shown && shownKind === 'quantized' ? api.quant.get({ name: shown }) : Promise.resolve(undefined)),
    [shown, shownKind],
  );
  const onModelDeleted = () => {
    setSelected(undefined);
    reloadModels();
  };

  const start = async () => {
    if (!ds || !currentArch) return;
    setError(undefined);
    setLive(undefined);
    setSelected(undefined);
    const options: TrainOptionsInput = {
      epochs,
      batchSize,
      optimizer,
      learningRate: lr,
      schedule,
      earlyStopping: patience > 0 ? { patience } : null,
      classWeights,
      seed,
      augment: augment && !imageWindows ? { jitter: 0.03, scaling: 0.1, timeShift: 4 } : null,
      ...(maxTrain.trim() !== '' ? { maxTrainWindows: Number(maxTrain) } : {}),
    };
    try {
      const r = await api.training.start({
        dataset: `${ds.name}@${ds.version}`,
        arch: currentArch,
        ...(currentArch === 'custom' ? { spec: customSpec } : {}),
        name: name.trim() || defaultName,
        options,
        ...(backend ? { backend } : {}),
      });
      setJobId(r.jobId);
    } catch (err) {
      setError(err);
    }
  };
  const running = isActive(job);
  const liveCurves = useMemo(() => live?.curves ?? [], [live]);

  return (
    <div className="page" data-testid="train-page">
      <h1>Train</h1>
      <ErrorBox error={datasets.error ?? archs.error ?? models.error} />
      {datasets.data && datasets.data.length === 0 && (
        <div className="empty" data-testid="train-empty">
          No datasets yet — import one on the <a href="#/datasets">Datasets page</a> (UCI-HAPT, gesture CSVs,
          MNIST) or <a href="#/record">record sessions</a>.
        </div>
      )}
      <div className="card">
        <div className="row">
          <label>
            Dataset
            <select
              data-testid="train-dataset"
              value={ds?.name ?? ''}
              onChange={(e) => setDataset(e.target.value)}
            >
              {(datasets.data ?? []).map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name}@{d.version} — {d.windows} windows [{d.shape.join('×')}],{' '}
                  {Object.keys(d.classes).length} classes
                </option>
              ))}
            </select>
          </label>
          <label>
            Architecture
            <select
              data-testid="train-arch"
              value={currentArch ?? ''}
              onChange={(e) => setArch(e.target.value)}
            >
              {(archs.data ?? []).map((a) => (
                <option key={a.arch} value={a.arch}>
                  {a.arch} — {a.params.toLocaleString()} params, input [{a.input_shape.join('×')}]
                </option>
              ))}
              <option value="custom">custom (JSON spec)</option>
            </select>
          </label>
          <label>
            Name
            <input
              data-testid="train-name"
              value={name}
              placeholder={defaultName}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
        </div>
        {archInfo && <p className="muted">{archInfo.description}</p>}
        {shapeMismatch && (
          <p className="error-box">{shapeMismatch} Pick another architecture or a custom spec.</p>
        )}
        {currentArch === 'custom' && (
          <textarea
            data-testid="train-spec"
            rows={10}
            style={{ width: '100%' }}
            placeholder={example}
            value={customSpec}
            onChange={(e) => setCustomSpec(e.target.value)}
          />
        )}
        {specMissing && (
          <p className="muted" data-testid="train-spec-missing">
            A custom architecture needs its JSON spec: write it in the box, or start from the example there,
            made for {ds ? `${ds.name}'s [${ds.shape.join(' × ')}] windows` : 'this dataset'}.{' '}
            <button type="button" data-testid="train-spec-example" onClick={() => setCustomSpec(example)}>
              Use the example
            </button>
          </p>
        )}
        <div className="row">
          <label>
            Epochs
            <input
              data-testid="train-epochs"
              type="number"
              min={1}
              value={epochs}
              onChange={(e) => setEpochs(Number(e.target.value))}
              style={{ width: 70 }}
            />
          </label>
          <label>
            Batch
            <input
              type="number"
              min={1}
              value={batchSize}
              onChange={(e) => setBatchSize(Number(e.target.value))}
              style={{ width: 70 }}
            />
          </label>
          <label>
            Optimiser
            <select value={optimizer} onChange={(e) => setOptimizer(e.target.value as 'adam' | 'sgd')}>
              <option value="adam">Adam</option>
              <option value="sgd">SGD (momentum 0.9)</option>
            </select>
          </label>
          <label>
            Learning rate
            <input
              type="number"
              step="any"
              min={0}
              value={lr}
              onChange={(e) => setLr(Number(e.target.value))}
              style={{ width: 90 }}
            />
          </label>
          <label>
            Schedule
            <select
              value={schedule}
              onChange={(e) => setSchedule(e.target.value as 'constant' | 'cosine' | 'step')}
            >
              <option value="constant">constant</option>
              <option value="cosine">cosine</option>
              <option value="step">step (×0.1 / 10 epochs)</option>
            </select>
          </label>
          <label title="0 = off">
            Early stop patience
            <input
              type="number"
              min={0}
              value={patience}
              onChange={(e) => setPatience(Number(e.target.value))}
              style={{ width: 60 }}
            />
          </label>
          <label>
            Class weights
            <select
              value={classWeights}
              onChange={(e) => setClassWeights(e.target.value as 'none' | 'balanced')}
            >
              <option value="none">none</option>
              <option value="balanced">balanced</option>
            </select>
          </label>
          <label>
            Seed
            <input
              type="number"
              min={0}
              value={seed}
              onChange={(e) => setSeed(Number(e.target.value))}
              style={{ width: 70 }}
            />
          </label>
          <label title="train on a seeded sample of this many training windows: a quick first model on a big data set">
            Training windows
            <input
              type="number"
              min={1}
              value={maxTrain}
              placeholder={`all ${(ds?.splits.train ?? 0).toLocaleString('en-US')}`}
              onChange={(e) => setMaxTrain(e.target.value)}
              style={{ width: 100 }}
              data-testid="train-max-windows"
            />
          </label>
          <label
            title={
              imageWindows
                ? `IMU augmentation is for [time, channels] windows; ${ds?.name ?? 'this dataset'} has [${ds?.shape.join(' × ') ?? ''}] images`
                : 'jitter σ 0.03, scaling σ 0.1, time shift ±4 samples'
            }
          >
            <input
              type="checkbox"
              checked={augment && !imageWindows}
              disabled={imageWindows}
              onChange={(e) => setAugment(e.target.checked)}
              data-testid="train-augment"
            />{' '}
            IMU augmentation
          </label>
          <label>
            Backend
            <select
              value={backend}
              onChange={(e) => setBackend(e.target.value as '' | 'wasm' | 'cpu' | 'tensorflow')}
            >
              <option value="">auto (tfjs-node → wasm → cpu)</option>
              <option value="wasm">wasm</option>
              <option value="cpu">cpu</option>
              <option value="tensorflow">tfjs-node</option>
            </select>
          </label>
          <button
            type="button"
            className="primary"
            data-testid="train-start"
            disabled={!ds || !currentArch || running || !!shapeMismatch || specMissing}
            onClick={() => void start()}
          >
            Train
          </button>
        </div>
      </div>
      <ErrorBox error={error} />
      <JobProgress job={job} />
      {live && running && (
        <p className="mono" data-testid="train-live">
          {live.phase} · epoch {live.epoch}/{live.epochs} · batch {live.batch}/{live.batches} · loss{' '}
          {live.loss?.toFixed(4) ?? '—'} · acc {pct(live.accuracy)} · {live.backend ?? ''} ·{' '}
          {live.etaSeconds !== null ? `ETA ${Math.ceil(live.etaSeconds)} s` : ''}
        </p>
      )}
      {running && <Curves curves={liveCurves} title="Live" />}

      <h2>Models</h2>
      {models.data && models.data.length === 0 && (
        <div className="empty">No models yet — train one above.</div>
      )}
      {models.data && models.data.length > 0 && (
        <table data-testid="models-table">
          <thead>
            <tr>
              <th>name</th>
              <th>kind</th>
              <th>arch</th>
              <th className="num">params</th>
              <th className="num">size</th>
              <th>dataset</th>
              <th className="num">val acc.</th>
              <th className="num">test acc.</th>
              <th>backend</th>
              <th className="num">time</th>
            </tr>
          </thead>
          <tbody>
            {models.data.map((m) => (
              <tr
                key={m.name}
                onClick={() => setSelected({ name: m.name, over: trained })}
                style={{ cursor: 'pointer' }}
                className={m.name === shown ? 'selected' : ''}
              >
                <td className="mono">{m.name}</td>
                <td>{m.kind === 'quantized' ? <span className="badge">variant</span> : 'float'}</td>
                <td>{m.arch}</td>
                <td className="num">{m.params.toLocaleString()}</td>
                <td className="num">{bytes(m.size_bytes)}</td>
                <td>{m.dataset ? `${m.dataset}@${m.dataset_version}` : '—'}</td>
                <td className="num">{pct(m.val_accuracy)}</td>
                <td className="num">{pct(m.test_accuracy)}</td>
                <td>{m.backend ?? '—'}</td>
                <td className="num">{m.seconds !== null ? `${m.seconds.toFixed(1)} s` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorBox error={detail.error ?? variant.error} />
      {detail.data && <ModelCard model={detail.data} onDeleted={onModelDeleted} />}
      {variant.data && <VariantCard variant={variant.data.summary} />}
    </div>
  );
}
