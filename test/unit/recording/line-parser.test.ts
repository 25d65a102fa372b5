import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ForwarderLineParser,
  LineSplitter,
  MAX_LINE_CHARS,
  defaultChannelNames,
  parseField,
  splitFields,
} from '../../../src/main/recording/line-parser';
import { RateEstimator, roundRate } from '../../../src/main/recording/rate-estimator';

describe('forwarder line parsing', () => {
  it('splits on commas, spaces and tabs, with padding', () => {
    expect(splitFields('1,2,3')).toEqual(['1', '2', '3']);
    expect(splitFields(' 1  2\t3 ')).toEqual(['1', '2', '3']);
    expect(splitFields('1, -2.5 ,3e-3')).toEqual(['1', '-2.5', '3e-3']);
    expect(splitFields('   ')).toEqual([]);
  });

  it('accepts decimal and scientific numbers only', () => {
    expect(parseField('-12.5')).toBe(-12.5);
    expect(parseField('.5')).toBe(0.5);
    expect(parseField('1e3')).toBe(1000);
    expect(parseField('+7')).toBe(7);
    expect(parseField('NaN')).toMatch(/not a finite number/);
    expect(parseField('-inf')).toMatch(/not a finite number/);
    expect(parseField('Infinity')).toMatch(/not a finite number/);
    expect(parseField('0x10')).toMatch(/not a number/);
    expect(parseField('1.2.3')).toMatch(/not a number/);
    expect(parseField('1e999')).toMatch(/out of range/);
    // Finite as a double, infinite as the float32 a sample is stored in.
    expect(parseField('1e39')).toMatch(/out of range for a 32-bit float sample/);
    expect(parseField('-3.5e38')).toMatch(/out of range/);
    expect(parseField('3.4e38')).toBe(3.4e38);
  });

  it('takes a header line for column names and then parses data lines', () => {
    const p = new ForwarderLineParser();
    expect(p.parse('ax,ay,az')).toEqual({ kind: 'header', lineNo: 1, names: ['ax', 'ay', 'az'] });
    expect(p.parse('1,2,3')).toEqual({ kind: 'sample', lineNo: 2, values: [1, 2, 3] });
    expect(p.channelNames).toEqual(['ax', 'ay', 'az']);
  });

  it('names columns itself without a header: 3 or 6 as an IMU, else ch0…', () => {
    const p = new ForwarderLineParser();
    expect(p.parse('0.1 0.2 9.8 0 0 0').kind).toBe('sample');
    expect(p.channelNames).toEqual(['acc_x', 'acc_y', 'acc_z', 'gyro_x', 'gyro_y', 'gyro_z']);
    expect(defaultChannelNames(2)).toEqual(['ch0', 'ch1']);
  });

  it('reports bad lines with their line number and keeps going', () => {
    const p = new ForwarderLineParser();
    const out = ['1,2,3', '4,5', '6,abc,8', '7,NaN,9', '', 'ax,ay,az', '10,11,12'].map((l) => p.parse(l));
    expect(out.map((o) => o.kind)).toEqual(['sample', 'bad', 'bad', 'bad', 'empty', 'bad', 'sample']);
    expect(out[1]).toMatchObject({ lineNo: 2, message: '2 fields, expected 3' });
    expect(out[2]).toMatchObject({ lineNo: 3, message: 'field 2: "abc" is not a number' });
    expect(out[3]).toMatchObject({ lineNo: 4, message: 'field 2: "NaN" is not a finite number' });
    // A header after data is not a header any more.
    expect(out[5]).toMatchObject({ lineNo: 6, message: 'field 1: "ax" is not a number' });
    expect(out[6]).toEqual({ kind: 'sample', lineNo: 7, values: [10, 11, 12] });
  });

  it('refuses a header that repeats a name and an overlong line', () => {
    expect(new ForwarderLineParser().parse('a,b,a')).toMatchObject({ kind: 'bad', message: /repeats/ });
    expect(new ForwarderLineParser().parse('1,'.repeat(MAX_LINE_CHARS))).toMatchObject({
      kind: 'bad',
      message: /binary stream/,
    });
  });

  it('parses whatever numbers it printed (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.constantFrom(',', ' ', '\t', ', '),
        (values, sep) => {
          const p = new ForwarderLineParser();
          const r = p.parse(values.map((v) => String(v)).join(sep));
          expect(r.kind).toBe('sample');
          // String(-0) is "0".
          if (r.kind === 'sample') expect(r.values).toEqual(values.map((v) => (Object.is(v, -0) ? 0 : v)));
        },
      ),
    );
  });
});

describe('line splitting', () => {
  it('handles \\n, \\r\\n and \\r, across chunk boundaries', () => {
    const s = new LineSplitter();
    expect(s.push('1,2\r')).toEqual(['1,2']);
    expect(s.push('\n3,4\n5,')).toEqual(['3,4']);
    expect(s.push('6\r7,8\r\n')).toEqual(['5,6', '7,8']);
    expect(s.flush()).toEqual([]);
    expect(s.push('9,10')).toEqual([]);
    expect(s.flush()).toEqual(['9,10']);
  });

  it('any split of the bytes gives the same lines (property)', () => {
    const text = '1,2,3\r\n4,5,6\n7,8,9\r10,11,12\n';
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 6 }), (cuts) => {
        const pts = [...new Set([0, ...cuts.sort((a, b) => a - b), text.length])];
        const s = new LineSplitter();
        const lines: string[] = [];
        for (let i = 0; i + 1 < pts.length; i++) lines.push(...s.push(text.slice(pts[i], pts[i + 1])));
        expect(lines).toEqual(['1,2,3', '4,5,6', '7,8,9', '10,11,12']);
      }),
    );
  });

  it('does not buffer an endless line', () => {
    const s = new LineSplitter();
    const out = s.push('x'.repeat(MAX_LINE_CHARS + 10));
    expect(out).toHaveLength(1);
    expect(out[0]!.length).toBe(MAX_LINE_CHARS + 10);
  });
});

describe('rate detection', () => {
  it('finds the rate of bursty arrivals', () => {
    const r = new RateEstimator();
    // 100 Hz delivered in bursts of 8 lines every 80 ms, as a USB adapter does.
    for (let burst = 0; burst < 40; burst++) r.add(burst * 80, 8);
    // The first burst marks the start; the 39 after it fill the 3.12 s span: exactly 100 Hz
    // (counting the first burst's lines too would say 102).
    expect(r.overallHz()).toBeCloseTo((39 * 8) / (39 * 0.08), 6);
    expect(roundRate(r.overallHz()!)).toBe(100);
    expect(r.recentHz()).toBeGreaterThan(95);
  });

  it('says nothing before it has seen enough', () => {
    const r = new RateEstimator();
    r.add(0, 3);
    expect(r.overallHz()).toBeUndefined();
    expect(roundRate(49.87)).toBe(49.9);
    expect(roundRate(1000.4)).toBe(1000);
  });
});
