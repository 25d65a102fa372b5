export type Split = 'train' | 'val' | 'test';

/** The labelled train/val/test picker of the pages that run a model over a dataset split. */
export function SplitSelect({ value, onChange }: { value: Split; onChange: (s: Split) => void }) {
  return (
    <label>
      Split
      <select value={value} onChange={(e) => onChange(e.target.value as Split)}>
        <option value="test">test</option>
        <option value="val">val</option>
        <option value="train">train</option>
      </select>
    </label>
  );
}
