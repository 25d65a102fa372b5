import { describe, expect, it } from 'vitest';
import { reportWarnings } from '../../src/shared/api/quant';

const classes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ class: `c${i}`, count: 10, float_accuracy: 0.9, accuracy: 0.9 }));
const report = (accuracy: number, float: number, match = 1, n = 6) => ({
  accuracy,
  float_accuracy: float,
  per_class: classes(n),
  integer_matches_fake_quant: match,
  test_count: 2996,
  method: 'minmax',
});

describe('report warnings', () => {
  it('says a model at chance level collapsed, with the chance level of its class count', () => {
    const w = reportWarnings(report(0.128, 0.9379));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/collapsed: 12\.8 % is about chance for 6 classes \(16\.7 %\), against 93\.8 %/);
  });
  it('flags a drop over 5 points, and nothing at a small one', () => {
    expect(reportWarnings(report(0.6134, 0.9379))[0]).toMatch(
      /loses 32\.5 points against the float model \(minmax\)/,
    );
    expect(reportWarnings(report(0.9305, 0.9379))).toEqual([]);
    // A gain is no warning either.
    expect(reportWarnings(report(0.95, 0.9379))).toEqual([]);
  });
  it('does not call an untrained model collapsed (its float model is at chance too)', () => {
    expect(reportWarnings(report(0.15, 0.17))).toEqual([]);
  });
  it('counts the windows where the integer model and the simulation differ', () => {
    const w = reportWarnings(report(0.93, 0.9379, 1 - 1 / 2996));
    expect(w).toEqual([expect.stringMatching(/predict differently on 1 of 2996 test windows/)]);
  });
});
