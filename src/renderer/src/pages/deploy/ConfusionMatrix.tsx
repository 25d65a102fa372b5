/** confusion[true][predicted] as a shaded table (rows: true class, columns: predicted). */
export function ConfusionMatrix({ classes, confusion }: { classes: string[]; confusion: number[][] }) {
  const max = Math.max(1, ...confusion.flat());
  return (
    <table className="confusion" data-testid="confusion">
      <thead>
        <tr>
          <th>true ↓ / predicted →</th>
          {classes.map((c) => (
            <th key={c} className="num">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {confusion.map((row, i) => (
          <tr key={classes[i]}>
            <th>{classes[i]}</th>
            {row.map((v, j) => (
              <td
                key={j}
                className="num"
                style={{
                  background: `rgba(${i === j ? '31,136,61' : '207,34,46'}, ${v === 0 ? 0 : 0.15 + (0.7 * v) / max})`,
                }}
              >
                {v}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
