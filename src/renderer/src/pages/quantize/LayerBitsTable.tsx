import type { LayerBitsEntry } from '../../../../shared/api/quant';
import { api } from '../../api';
import { ErrorBox } from '../../components/ErrorBox';
import { useApi } from '../../hooks';

/**
 * The custom preset's per-layer table: one row per layer the quantizer gives bits to (the model's
 * layers with weights; BatchNorm folds into the layer before it), a weight and an output-activation
 * bit width each. A row left on "default" takes the default bits above the table; only the rows
 * that differ go into the request's `layerBits`.
 */
export type LayerBitsChoice = Record<string, { weights?: number; acts?: number }>;

const BITS = [1, 2, 3, 4, 5, 6, 7, 8];

/** The layers a per-layer table can name, from the model card. */
export function quantizableLayers(layers: ReadonlyArray<{ name: string; type: string; params: number }>) {
  return layers.filter((l) => l.params > 0 && l.type !== 'batchNorm');
}

/**
 * The request's table: only what was chosen. A width left on "default" is left out, so the server
 * applies its own default to it — for the last layer's activations (the logits) that is 8 bits, not
 * the default activation width (docs/quantization.md); a weight width equal to the default is left out
 * too.
 */
export function layerBitsOf(
  choice: LayerBitsChoice,
  defaults: { w: number; a: number },
): Record<string, LayerBitsEntry> {
  const out: Record<string, LayerBitsEntry> = {};
  for (const [name, c] of Object.entries(choice)) {
    const entry: LayerBitsEntry = {};
    if (c.weights !== undefined && c.weights !== defaults.w) entry.weights = c.weights;
    if (c.acts !== undefined) entry.acts = c.acts;
    if (Object.keys(entry).length > 0) out[name] = entry;
  }
  return out;
}

function BitsSelect({
  value,
  fallback,
  onChange,
  testId,
}: {
  value: number | undefined;
  fallback: number | string;
  onChange: (v: number | undefined) => void;
  testId: string;
}) {
  return (
    <select
      value={value ?? ''}
      onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
      data-testid={testId}
    >
      <option value="">default ({fallback})</option>
      {BITS.map((b) => (
        <option key={b} value={b}>
          {b}
        </option>
      ))}
    </select>
  );
}

export function LayerBitsTable({
  model,
  defaults,
  choice,
  onChange,
}: {
  model: string;
  defaults: { w: number; a: number };
  choice: LayerBitsChoice;
  onChange: (c: LayerBitsChoice) => void;
}) {
  const card = useApi(() => api.models.show({ name: model }), [model]);
  const layers = quantizableLayers(card.data?.layers ?? []);
  const set = (name: string, patch: { weights?: number; acts?: number }) =>
    onChange({ ...choice, [name]: { ...choice[name], ...patch } });
  return (
    <div data-testid="quant-layer-table">
      <ErrorBox error={card.error} />
      <table>
        <thead>
          <tr>
            <th>layer</th>
            <th>type</th>
            <th className="num">params</th>
            <th>weight bits</th>
            <th>output activation bits</th>
          </tr>
        </thead>
        <tbody>
          {layers.map((l, i) => (
            <tr key={l.name}>
              <td className="mono">{l.name}</td>
              <td>{l.type}</td>
              <td className="num">{l.params.toLocaleString()}</td>
              <td>
                <BitsSelect
                  value={choice[l.name]?.weights}
                  fallback={defaults.w}
                  onChange={(v) => set(l.name, { weights: v })}
                  testId={`quant-layer-w-${l.name}`}
                />
              </td>
              <td>
                <BitsSelect
                  value={choice[l.name]?.acts}
                  // The logits keep 8 bits unless asked (an argmax over few levels ties); a GRU's
                  // output is the engine's 8-bit Q7 state.
                  fallback={
                    l.type === 'gru' ? '8, GRU state' : i === layers.length - 1 ? '8, logits' : defaults.a
                  }
                  onChange={(v) => set(l.name, { acts: v })}
                  testId={`quant-layer-a-${l.name}`}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
