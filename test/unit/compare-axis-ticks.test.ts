import { describe, expect, it } from 'vitest';
import { accuracyAxis, linearTicks, logTicks, valueAxis } from '../../src/shared/axis-ticks';

const steps = (ts: number[]) => ts.slice(1).map((t, i) => Number((t - ts[i]!).toFixed(9)));

describe('Compare chart axes', () => {
  it('accuracy ticks are evenly spaced round percentages up to 100, each labelled with %', () => {
    // The HAR variants span 89.72–93.79 %: recharts' own ticks were 90 / 93 / 96 %.
    for (const lo of [89.72, 91.46, 50.3, 98.9, 0]) {
      const a = accuracyAxis(lo);
      expect(a.ticks[0]!).toBeLessThanOrEqual(lo);
      expect(a.ticks.at(-1)).toBe(100);
      expect(new Set(steps(a.ticks)).size, `${lo}: ${a.ticks.join(' ')}`).toBe(1);
      expect([1, 2, 5, 10, 20]).toContain(steps(a.ticks)[0]);
      expect(a.ticks.length).toBeGreaterThanOrEqual(3);
      expect(a.ticks.length).toBeLessThanOrEqual(8);
      for (const t of a.ticks) expect(a.format(t)).toMatch(/^\d+(\.\d+)? %$/);
    }
    expect(accuracyAxis(89.72).ticks).toEqual([85, 90, 95, 100]);
    expect(accuracyAxis(98.9).ticks).toEqual([95, 96, 97, 98, 99, 100]);
  });

  it('size ticks on a log axis are 1-2-5 per decade and carry B / KiB', () => {
    // Float vs 1-bit sizes: 731 B … 74,740 B.
    const x = valueAxis(731, 74_740, { log: true, kind: 'bytes' });
    expect(x.ticks[0]!).toBeLessThanOrEqual(731);
    expect(x.ticks.at(-1)!).toBeGreaterThanOrEqual(74_740);
    const labels = x.ticks.map(x.format);
    for (const l of labels) expect(l).toMatch(/^\d+(\.\d+)? (B|KiB|MiB)$/);
    expect(labels).toContain('1 KiB');
    expect(labels).toContain('10 KiB');
    // No "1,381"-style label without a unit, no odd values like 1.35 KiB.
    for (const l of labels) expect(l).toMatch(/^(1|2|5|10|20|50|100|200|500) (B|KiB|MiB)$/);
  });

  it('a linear size axis keeps one unit across 1 KiB', () => {
    const x = valueAxis(916, 1156, { log: false, kind: 'bytes' });
    const labels = x.ticks.map(x.format);
    for (const l of labels) expect(l).toMatch(/^[\d,]+ B$/);
    expect(new Set(steps(x.ticks)).size).toBe(1);
  });

  it('latency ticks are even steps with the counter unit', () => {
    const x = valueAxis(42_757, 159_723, { log: false, kind: 'count', unit: 'instr.' });
    expect(new Set(steps(x.ticks)).size).toBe(1);
    expect(x.ticks[0]!).toBeLessThanOrEqual(42_757);
    expect(x.ticks.at(-1)!).toBeGreaterThanOrEqual(159_723);
    for (const t of x.ticks) expect(x.format(t)).toMatch(/^\d+(\.\d+)? k instr\.$/);
    expect(x.format(731)).toBe('731 instr.');
    expect(x.format(2_500_000)).toBe('2.5 M instr.');
    const lg = valueAxis(731, 1_381_000, { log: true, kind: 'count', unit: 'cycles' });
    for (const t of lg.ticks) expect(lg.format(t)).toMatch(/ cycles$/);
  });

  it('linear and log tick helpers cover their range', () => {
    expect(linearTicks(0.1, 0.95)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(logTicks(3, 40)).toEqual([2, 5, 10, 20, 50]);
    expect(linearTicks(5, 5).length).toBeGreaterThan(1);
  });
});
