import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DatasetSummary } from '../../../../shared/api/datasets';

const SPLIT_COLORS: Record<string, string> = { train: '#4e79a7', val: '#f28e2b', test: '#59a14f' };

/** Windows per class, stacked by split: shows class balance and that every split has every class. */
export function ClassBalanceChart({ dataset }: { dataset: DatasetSummary }) {
  const data = Object.keys(dataset.classes).map((cls) => ({
    cls,
    train: dataset.split_classes.train?.[cls] ?? 0,
    val: dataset.split_classes.val?.[cls] ?? 0,
    test: dataset.split_classes.test?.[cls] ?? 0,
  }));
  const height = Math.max(180, Math.min(360, 40 + data.length * 26));
  return (
    <div className="chart" data-testid="class-balance">
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={data} layout="vertical" margin={{ left: 24, right: 16, top: 8, bottom: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis
            type="number"
            allowDecimals={false}
            label={{ value: 'windows', position: 'insideBottomRight', offset: -4 }}
          />
          <YAxis type="category" dataKey="cls" width={150} interval={0} />
          <Tooltip />
          <Legend itemSorter={null} />
          {(['train', 'val', 'test'] as const).map((s) => (
            <Bar key={s} dataKey={s} stackId="split" fill={SPLIT_COLORS[s]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
