import { describe, expect, it } from 'vitest';
import { fitMessage, memoryFit } from '../../src/main/deploy/memory-fit';
import { argmax, classStats, latencyOf, percentile, wireBytesPerWindow } from '../../src/main/deploy/summary';
import { cobsEncode } from '../../src/main/device/cobs';
import { encodeFrame } from '../../src/main/device/framer';
import { encodeInfer } from '../../src/main/device/codec';
import { readBlob } from '../../src/main/engine/blob-reader';
import { compareCsv, paretoFront, type CompareRow } from '../../src/shared/api/deploy';
import { Command, Flag, type HelloInfo } from '../../src/shared/protocol';
import { denseModel } from '../integration/helpers/model-blobs';

const info = (over: Partial<HelloInfo> = {}): HelloInfo => ({
  protocolVersion: 1,
  maxPayload: 1024,
  clockHz: 84_000_000,
  ramBytes: 96 * 1024,
  ramFree: 20 * 1024,
  flashBytes: 512 * 1024,
  flashFree: 480 * 1024,
  modelSlotBytes: 64 * 1024,
  arenaBytes: 8192,
  counterKind: 'cycles',
  icountShift: 0,
  kernelMask: 0xff,
  kernels: [],
  weightBitsMask: 0x8b,
  weightBits: [1, 2, 4, 8],
  board: 'nucleo-f401re',
  cpu: 'cortex-m4',
  firmwareVersion: '0.1.0',
  buildId: 'abc',
  ...over,
});

describe('latency summary', () => {
  it('nearest-rank percentiles: p50 and p99 of 1..100 are 50 and 99', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it('cycles on a real board also come out in µs from its clock; instructions do not', () => {
    const l = latencyOf([84_000, 84_000, 168_000], info());
    expect(l).toMatchObject({ unit: 'cycles', p50: 84_000, p99: 168_000, min: 84_000, max: 168_000 });
    expect(l.mean).toBe(112_000);
    expect(l.us!.mean).toBeCloseTo(1333.33, 1);
    expect(l.label).toBe('cycles @ 84 MHz');
    const v = latencyOf([1000], info({ counterKind: 'instructions', icountShift: 5 }));
    expect(v.us).toBeNull();
    expect(v.label).toMatch(/instructions \(QEMU -icount shift=5, not cycles\)/);
  });
});

describe('class statistics', () => {
  it('accuracy, per class and the confusion matrix [true][predicted]', () => {
    const rows = [
      { label: 0, devicePred: 0, hostPred: 0 },
      { label: 0, devicePred: 1, hostPred: 1 },
      { label: 1, devicePred: 1, hostPred: 1 },
      { label: 2, devicePred: 1, hostPred: 2 },
    ];
    const s = classStats(['a', 'b', 'c'], rows);
    expect(s.deviceAccuracy).toBe(0.5);
    expect(s.hostAccuracy).toBe(0.75);
    expect(s.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [0, 1, 0],
    ]);
    expect(s.perClass[0]).toEqual({ class: 'a', count: 2, host_accuracy: 0.5, device_accuracy: 0.5 });
    expect(s.perClass[2]).toEqual({ class: 'c', count: 1, host_accuracy: 1, device_accuracy: 0 });
    expect(argmax([-3, 5, 5, 1])).toBe(1); // first of equal maxima, as the firmware's argmax
  });
});

describe('wire bytes per window', () => {
  it('bounds the encoded INFER request and result frames (COBS worst case) for an input that fits one frame', () => {
    const input = new Uint8Array(300).fill(1);
    const req = encodeFrame({ type: Command.INFER, flags: 0, seq: 1, payload: encodeInfer(300, 0, input) });
    const resultPayload = new Uint8Array(1 + 4 + 1 + 2 + 4 * 3 + 2 + 6).fill(1);
    const res = encodeFrame({ type: Command.INFER, flags: Flag.RESPONSE, seq: 1, payload: resultPayload });
    // The COBS worst case: at most one byte per frame above the real encoding (zeros cost nothing).
    const bound = wireBytesPerWindow(300, 6, 3, 1024);
    expect(bound).toBeGreaterThanOrEqual(req.length + res.length);
    expect(bound).toBeLessThanOrEqual(req.length + res.length + 2);
    expect(cobsEncode(new Uint8Array(10).fill(1)).length).toBe(11);
  });

  it('adds a request and an acknowledgement per extra piece when the input exceeds max_payload', () => {
    const one = wireBytesPerWindow(1000, 6, 3, 1024);
    const two = wireBytesPerWindow(1100, 6, 3, 1024);
    expect(two - one).toBeGreaterThan(100 + 8 + 4);
  });
});

describe('memory fit', () => {
  it('says what does not fit with needed and available bytes', () => {
    const m = denseModel(20_000, 3, 16);
    const parsed = readBlob(m.blob);
    const small = info({ modelSlotBytes: 10_000, arenaBytes: 1024 });
    const fit = memoryFit('big', m.blob, parsed, 'COM3', small);
    expect(fit.fits).toBe(false);
    expect(fit.problems[0]).toBe('big does not fit COM3 (nucleo-f401re, cortex-m4):');
    expect(fit.problems.join('\n')).toContain(
      `the model blob is ${m.blob.length.toLocaleString('en-US')} B but a model slot on nucleo-f401re holds 10,000 B`,
    );
    expect(fit.problems.join('\n')).toMatch(/inference needs an arena of [\d,]+ B .* has 1,024 B/);
    // one sentence: the problems are separated, not run together
    expect(fitMessage(fit)).toMatch(
      /^big does not fit COM3 \(nucleo-f401re, cortex-m4\): the model blob is [\d,]+ B but a model slot on nucleo-f401re holds 10,000 B \([\d,]+ B over\); inference needs an arena/,
    );
    expect(fit.firmware_flash_bytes).toBe(32 * 1024);
    const ok = memoryFit('big', m.blob, parsed, 'COM3', info({ arenaBytes: 65536 }));
    expect(ok).toMatchObject({ fits: true, problems: [], arena_used_bytes: parsed.arenaAll });
  });
});

describe('Pareto front and CSV', () => {
  const row = (name: string, acc: number | null, latency: number | null, size: number): CompareRow => ({
    name,
    kind: 'quantized',
    family: 'ptq',
    method: 'mse',
    weights_bits: 8,
    acts_bits: 8,
    layer_bits: [{ name: 'fc', weights: 8, acts: 8 }],
    host_accuracy: acc,
    device_accuracy: null,
    device_windows: null,
    device_windows_total: null,
    device_split: null,
    bit_exact: true,
    size_bytes: size,
    model_bytes: size,
    bops: 1,
    peak_memory_bytes: 10,
    mismatches: null,
    latency: latency === null ? null : { unit: 'instructions', mean: latency, p50: latency, p99: latency },
    latency_us: null,
    counts_per_mac: null,
    ram_bytes: null,
    flash_bytes: null,
    board: null,
    firmware_version: null,
    run_id: null,
    run_state: null,
    pareto_latency: false,
    pareto_size: false,
  });

  it('keeps only rows no other row beats on both accuracy and cost', () => {
    const a = row('a', 0.9, 100, 1000);
    const b = row('b', 0.8, 50, 500);
    const c = row('c', 0.7, 80, 800); // worse than b on both
    const d = row('d', 0.9, 120, 1000); // as accurate as a, slower
    const e = row('e', null, 10, 10); // no accuracy: not plotted
    const front = paretoFront(
      [a, b, c, d, e],
      (r) => r.host_accuracy,
      (r) => r.latency?.mean ?? null,
    );
    expect([...front].map((r) => r.name).sort()).toEqual(['a', 'b']);
  });

  it('writes the table as CSV with a header and quoted cells where needed', () => {
    const r = row('with,comma', 0.5, null, 10);
    const csv = compareCsv([r]);
    const [head, line] = csv.trim().split('\n');
    expect(head!.split(',')[0]).toBe('name');
    expect(line!.startsWith('"with,comma",quantized,mse,8,8,fc=8/8,0.5,,true,10,')).toBe(true);
  });
});
