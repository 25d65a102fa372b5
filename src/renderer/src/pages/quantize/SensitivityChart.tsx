import {
  Bar,
  BarChart,
  CartesianGrid,
  ErrorBar,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { sensitivityBasis, type SensitivityReport } from '../../../../shared/api/lowbit';

const COLORS = ['#c0392b', '#e67e22', '#27ae60', '#2980b9', '#8e44ad', '#7f8c8d', '#16a085', '#d35400'];

/**
 * Seed 000 Fig. 3: per layer, the accuracy drop (points vs float, after hard rounding) when only that
 * layer is quantized at each bit width; bars are the mean over seeds, whiskers ± one std.
 */
export function SensitivityChart({ report }: { report: SensitivityReport }) {
  const data = report.layers.map((l) => {
    const row: Record<string, number | string> = { layer: l.layer };
    for (const b of report.bits) {
      const c = report.cells.find((x) => x.layer === l.layer && x.bits === b);
      if (!c) continue;
      row[`${b} bit`] = +c.drop_after_mean.toFixed(3);
      row[`${b} bit std`] = +c.drop_after_std.toFixed(3);
    }
    return row;
  });
  const basis = sensitivityBasis(report);
  return (
    <div data-testid="sensitivity-chart">
      <p className="muted">
        Accuracy drop in points vs float ({(100 * report.float_accuracy).toFixed(2)} %), after rounding, mean
        ± std over {report.seeds} seeds ({report.mode}); one layer quantized at a time.
        {basis ? <span data-testid="sensitivity-basis"> Drops {basis}.</span> : null}
      </p>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={data}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="layer" />
          <YAxis label={{ value: 'drop (points)', angle: -90, position: 'insideLeft' }} />
          <Tooltip />
          <Legend />
          {report.bits.map((b, i) => (
            <Bar key={b} dataKey={`${b} bit`} fill={COLORS[i % COLORS.length]} isAnimationActive={false}>
              <ErrorBar dataKey={`${b} bit std`} width={4} stroke="#333" />
            </Bar>
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
