import { useEffect, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import {
  LOWBIT_METHODS,
  lowBitTrainingDefaults,
  type LowBitMethod,
  type LowBitReport,
  type Proposal,
  type SensitivityReport,
} from '../../../../shared/api/lowbit';
import { parseLayerBits } from '../../../../shared/api/quant';
import { BitbenchError } from '../../../../shared/errors';
import { api } from '../../api';
import { ErrorBox } from '../../components/ErrorBox';
import { JobProgress } from '../../components/JobProgress';
import { isActive, useApi, useJob, useRunningJob } from '../../hooks';
import { ReplaceButton, ReplaceConfirm, type ReplaceOffer } from './ReplaceVariant';
import { quantizableLayers } from './LayerBitsTable';
import { SensitivityChart } from './SensitivityChart';
import { WeightHistogram } from './WeightHistogram';

/**
 * "Train to N bits" beside PTQ on the Quantize page: QAT (STE, LSQ) or universal training (S1, S2)
 * with a per-layer bit table, then the training curves, the weight histogram per epoch and the
 * rounding/integer accuracies; and the layer sensitivity sweep with its chart and the proposed table,
 * accepted into the bit table in one click.
 */
const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(2)} %`);

interface LowBitPanelProps {
  model: string | undefined;
  /** Runs when a training stored a new variant, so the page's variant list can refresh. */
  onStored?: () => void;
}

/**
 * Everything the panel shows belongs to one model: another model starts from a fresh panel, so no
 * report, curves, histogram, sensitivity chart or proposal (whose Accept fills the bit table) of the
 * previous model stays on screen as if it were this one's.
 */
export function LowBitPanel(props: LowBitPanelProps) {
  return <ModelLowBitPanel key={props.model ?? ''} {...props} />;
}

function ModelLowBitPanel({ model, onStored }: LowBitPanelProps) {
  const [method, setMethod] = useState<LowBitMethod>('universal-s1');
  const [weights, setWeights] = useState(1);
  const [acts, setActs] = useState(8);
  const [table, setTable] = useState('');
  // The placeholder names this model's own layers (keep the first at 8 bits, seed 000's habit).
  const card = useApi(() => (model ? api.models.show({ name: model }) : Promise.resolve(undefined)), [model]);
  const layerNames = quantizableLayers(card.data?.layers ?? []).map((l) => l.name);
  const tableExample = layerNames.map((n, i) => `${n}=${i === 0 ? 8 : weights}`).join(',');
  const [epochs, setEpochs] = useState(20);
  const [batch, setBatch] = useState(64);
  const [lambda, setLambda] = useState(1);
  const [lrSchedule, setLrSchedule] = useState<'constant' | 'cosine'>(
    lowBitTrainingDefaults('universal-s1').lrSchedule,
  );
  const [learningRate, setLearningRate] = useState(lowBitTrainingDefaults('universal-s1').learningRate);
  // Until the user sets them, the learning rate and schedule follow the method's defaults (QAT: lower, decayed).
  const [lrTouched, setLrTouched] = useState(false);
  const pickMethod = (m: LowBitMethod) => {
    setMethod(m);
    if (lrTouched) return;
    const d = lowBitTrainingDefaults(m);
    setLearningRate(d.learningRate);
    setLrSchedule(d.lrSchedule);
  };
  const [distill, setDistill] = useState(false);
  const [distillAlpha, setDistillAlpha] = useState(0.5);
  const [distillT, setDistillT] = useState(4);
  const [roundedEpochs, setRoundedEpochs] = useState(0);
  const [fromScratch, setFromScratch] = useState(false);
  const [seed, setSeed] = useState(1);
  const [error, setError] = useState<Error>();
  const [trainJob, setTrainJob] = useState<string>();
  const [sensJob, setSensJob] = useState<string>();
  const [maxDrop, setMaxDrop] = useState(1);
  const [proposal, setProposal] = useState<Proposal>();
  // The variant's name: the service's default unless one is typed. A taken name is refused; replacing
  // the variant (and with it its device runs) is offered, and done only once confirmed.
  const [name, setName] = useState('');
  const defaultName = model ? `${model}-${method}-w${weights}`.slice(0, 80) : '';
  const variantName = name.trim() || defaultName;
  const [replace, setReplace] = useState<ReplaceOffer>();
  const replaceOffer = replace?.name === variantName ? replace : undefined;
  // Busy from the click on: while the request is answered, then while its job runs. A job of this
  // model still running after a reload is followed again, with its progress and Cancel.
  const [submitting, setSubmitting] = useState<'train' | 'sensitivity'>();
  const runningTrain = useRunningJob('lowbit-train', { model });
  const runningSens = useRunningJob('lowbit-sensitivity', { model });
  const train = useJob(trainJob ?? runningTrain);
  const trainState = train?.state;
  useEffect(() => {
    if (trainState === 'succeeded') onStored?.();
  }, [trainState, onStored]);
  const sens = useJob(sensJob ?? runningSens);
  const trainBusy = submitting === 'train' || isActive(train);
  const sensBusy = submitting === 'sensitivity' || isActive(sens);
  const report = train?.state === 'succeeded' ? (train.result as LowBitReport) : undefined;
  const sensitivity = sens?.state === 'succeeded' ? (sens.result as SensitivityReport) : undefined;

  const start = async (overwrite = false) => {
    if (!model || trainBusy) return;
    setError(undefined);
    setReplace(undefined);
    setSubmitting('train');
    const target = variantName;
    try {
      const layerBits = table.trim() ? parseLayerBits(table) : {};
      const { jobId } = await api.lowbit.train({
        model,
        name: target,
        config: {
          method,
          weightBits: weights,
          actBits: acts,
          layerBits,
          epochs,
          batchSize: batch,
          lambda,
          lrSchedule,
          learningRate,
          distill: distill ? { alpha: distillAlpha, temperature: distillT } : null,
          roundedEpochs: method.startsWith('universal') ? roundedEpochs : 0,
          fromScratch,
          seed,
        },
        overwrite,
      });
      setTrainJob(jobId);
    } catch (err) {
      setError(err as Error);
      // The name is a variant's (not a float model's, not one a job is making): offer to replace it.
      if (!overwrite && err instanceof BitbenchError && err.code === 'conflict') {
        const taken = (await api.quant.variants({}).catch(() => [])).find((v) => v.name === target);
        if (taken) setReplace({ name: target, parent: taken.parent, confirming: false });
      }
    } finally {
      setSubmitting(undefined);
    }
  };
  const runSensitivity = async () => {
    if (!model || sensBusy) return;
    setError(undefined);
    setProposal(undefined);
    setSubmitting('sensitivity');
    try {
      const { jobId } = await api.lowbit.sensitivity({ model, bits: [1, 2, 4, 8], seeds: 5 });
      setSensJob(jobId);
    } catch (err) {
      setError(err as Error);
    } finally {
      setSubmitting(undefined);
    }
  };
  const propose = async () => {
    if (!sensitivity) return;
    try {
      setProposal(await api.lowbit.propose({ report: sensitivity, maxDrop }));
    } catch (err) {
      setError(err as Error);
    }
  };

  return (
    <div className="card" data-testid="lowbit-panel">
      <h2>Train to N bits — QAT, universal 1-bit / N-bit (Lê &amp; de Foras, TDK)</h2>
      <p className="muted">
        Quantization-aware training (STE or LSQ step sizes, BatchNorm folded) or universal 1-bit/N-bit weights
        (Lê &amp; de Foras: regulariser S1 or S2, annealed, then hard rounding). Starts from the float model;
        the float model is never changed.
      </p>
      <div className="row">
        <label>
          method{' '}
          <select value={method} onChange={(e) => pickMethod(e.target.value as LowBitMethod)}>
            {LOWBIT_METHODS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label>
          weight bits{' '}
          <input
            type="number"
            min={1}
            max={8}
            value={weights}
            onChange={(e) => setWeights(Number(e.target.value))}
          />
        </label>
        <label>
          act bits{' '}
          <input
            type="number"
            min={1}
            max={8}
            value={acts}
            onChange={(e) => setActs(Number(e.target.value))}
          />
        </label>
        <label>
          per-layer bits{' '}
          <input
            placeholder={tableExample || 'conv1=8,fc=1'}
            value={table}
            onChange={(e) => setTable(e.target.value)}
          />
        </label>
        <label>
          epochs{' '}
          <input type="number" min={1} value={epochs} onChange={(e) => setEpochs(Number(e.target.value))} />
        </label>
        <label>
          batch{' '}
          <input type="number" min={1} value={batch} onChange={(e) => setBatch(Number(e.target.value))} />
        </label>
        <label>
          learning rate{' '}
          <input
            type="number"
            data-testid="lowbit-learning-rate"
            min={0}
            max={1}
            step={0.0005}
            value={learningRate}
            onChange={(e) => {
              setLrTouched(true);
              setLearningRate(Number(e.target.value));
            }}
          />{' '}
          <select
            data-testid="lowbit-lr-schedule"
            value={lrSchedule}
            onChange={(e) => {
              setLrTouched(true);
              setLrSchedule(e.target.value as 'constant' | 'cosine');
            }}
          >
            <option value="constant">constant</option>
            <option value="cosine">cosine decay</option>
          </select>
        </label>
        {method.startsWith('universal') && (
          <label>
            λ max{' '}
            <input
              type="number"
              min={0}
              step={0.1}
              value={lambda}
              onChange={(e) => setLambda(Number(e.target.value))}
            />
          </label>
        )}
        {method.startsWith('universal') && (
          <label title="epochs after the hard rounding: levels frozen, biases and scales α trained">
            rounded epochs{' '}
            <input
              type="number"
              data-testid="lowbit-rounded-epochs"
              min={0}
              value={roundedEpochs}
              onChange={(e) => setRoundedEpochs(Number(e.target.value))}
            />
          </label>
        )}
        <label title="loss = α·CE(labels) + (1 − α)·T²·KL(float teacher ‖ student) at temperature T">
          <input
            type="checkbox"
            data-testid="lowbit-distill"
            checked={distill}
            onChange={(e) => setDistill(e.target.checked)}
          />{' '}
          distil from the float model
        </label>
        {distill && (
          <>
            <label>
              α{' '}
              <input
                type="number"
                min={0}
                max={1}
                step={0.1}
                value={distillAlpha}
                onChange={(e) => setDistillAlpha(Number(e.target.value))}
              />
            </label>
            <label>
              T{' '}
              <input
                type="number"
                min={0.1}
                step={0.5}
                value={distillT}
                onChange={(e) => setDistillT(Number(e.target.value))}
              />
            </label>
          </>
        )}
        <label>
          <input type="checkbox" checked={fromScratch} onChange={(e) => setFromScratch(e.target.checked)} />{' '}
          from scratch
        </label>
        <label>
          seed <input type="number" min={0} value={seed} onChange={(e) => setSeed(Number(e.target.value))} />
        </label>
        <label>
          name{' '}
          <input
            data-testid="lowbit-name"
            value={name}
            placeholder={defaultName}
            onChange={(e) => {
              setName(e.target.value);
              setError(undefined);
            }}
          />
        </label>
        <button
          type="button"
          data-testid="lowbit-train"
          disabled={!model || trainBusy}
          onClick={() => void start()}
        >
          Train
        </button>
        <button
          type="button"
          data-testid="lowbit-sensitivity"
          disabled={!model || sensBusy}
          onClick={() => void runSensitivity()}
        >
          Layer sensitivity
        </button>
      </div>
      <ErrorBox error={error}>
        {replaceOffer && <ReplaceButton offer={replaceOffer} prefix="lowbit" onChange={setReplace} />}
      </ErrorBox>
      {replaceOffer && (
        <ReplaceConfirm
          offer={replaceOffer}
          prefix="lowbit"
          onChange={setReplace}
          what="training"
          busy={trainBusy}
          onConfirm={() => void start(true)}
        />
      )}
      <JobProgress job={train} />
      {report && (
        <div data-testid="lowbit-report">
          <p>
            {report.name ?? '(not stored: no integer model)'} — float {pct(report.float_accuracy)} → before
            rounding {pct(report.accuracy_before_rounding)} → after rounding{' '}
            {pct(report.accuracy_after_rounding)} → integer {pct(report.accuracy)} (test split) · stored{' '}
            {report.stored_bytes} B (float32 {report.float_bytes} B)
            {report.bops !== null &&
              ` · ${(report.bops / 1e6).toFixed(2)} MBOPs · peak memory ${report.peak_memory_bytes} B`}
          </p>
          <p className="muted" data-testid="lowbit-config">
            {report.config.method}, {report.config.epochs} epochs from{' '}
            {report.config.fromScratch ? 'scratch' : 'the float weights'}, lr {report.config.learningRate} (
            {report.config.lrSchedule}), seed {report.config.seed}
            {report.config.distill &&
              ` · distilled from the float model (α ${report.config.distill.alpha}, T ${report.config.distill.temperature})`}
            {report.config.roundedEpochs > 0 && ` · ${report.config.roundedEpochs} rounded epochs`}
            {typeof report.kept_epoch === 'number' && (
              <span data-testid="lowbit-kept-epoch">
                {' '}
                · kept epoch {report.kept_epoch} (best validation accuracy after rounding
                {report.kept_epoch === 0 ? ': no epoch beat the PTQ start' : ''})
              </span>
            )}
          </p>
          {report.integer_note && <p className="muted">{report.integer_note}</p>}
          {report.epochs.length > 1 && report.epochs[1]!.learning_rate !== undefined && (
            <p className="muted" data-testid="lowbit-lr">
              learning rate by epoch:{' '}
              {report.epochs
                .slice(1)
                .map((e) => e.learning_rate!.toExponential(1))
                .join(' → ')}
            </p>
          )}
          <ResponsiveContainer width="100%" height={220}>
            <LineChart data={report.epochs.slice(1)}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="epoch" />
              <YAxis yAxisId="l" label={{ value: 'loss', angle: -90, position: 'insideLeft' }} />
              <YAxis yAxisId="a" orientation="right" domain={[0, 1]} />
              <Tooltip />
              <Legend />
              <Line
                yAxisId="l"
                dataKey="task_loss"
                name="task loss"
                stroke="#2980b9"
                dot={false}
                isAnimationActive={false}
              />
              <Line
                yAxisId="l"
                dataKey="regulariser"
                name="regulariser Σ S(w/α)"
                stroke="#c0392b"
                dot={false}
                isAnimationActive={false}
              />
              <Line
                yAxisId="a"
                dataKey="val_accuracy_rounded"
                name="val accuracy (rounded)"
                stroke="#27ae60"
                dot={false}
                isAnimationActive={false}
              />
            </LineChart>
          </ResponsiveContainer>
          <WeightHistogram epochs={report.epochs} />
        </div>
      )}
      <JobProgress job={sens} />
      {sensitivity && (
        <div>
          <SensitivityChart report={sensitivity} />
          <div className="row">
            <label>
              max accuracy drop (points){' '}
              <input
                type="number"
                min={0}
                step={0.5}
                value={maxDrop}
                onChange={(e) => setMaxDrop(Number(e.target.value))}
              />
            </label>
            <button type="button" onClick={() => void propose()}>
              Propose a table
            </button>
          </div>
          {proposal && (
            <table data-testid="proposal">
              <thead>
                <tr>
                  <th>layer</th>
                  <th className="num">bits</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(proposal.layer_bits).map(([l, b]) => (
                  <tr key={l}>
                    <td className="mono">{l}</td>
                    <td className="num">{b}</td>
                  </tr>
                ))}
                <tr>
                  <td colSpan={2}>
                    {proposal.stored_bytes} B, predicted drop {proposal.predicted_drop.toFixed(2)} points —{' '}
                    {proposal.note}{' '}
                    <button
                      type="button"
                      onClick={() =>
                        setTable(
                          Object.entries(proposal.layer_bits)
                            .map(([l, b]) => `${l}=${b}`)
                            .join(','),
                        )
                      }
                    >
                      Accept
                    </button>
                  </td>
                </tr>
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}
