import { describe, expect, it } from 'vitest';
import type { CompareResult, CompareRow, ProfileResult, RunSummary } from '../../src/shared/api/deploy';
import { renderCompare, renderProfile, renderRuns } from '../../src/main/cli/commands/deploy';

/** `bitbench compare` and `bitbench runs list` keep their columns aligned whatever the names' lengths. */
const row = (name: string, latency: number | null): CompareRow => ({
  name,
  kind: latency === null ? 'float' : 'quantized',
  family: latency === null ? 'float' : 'ptq',
  method: latency === null ? 'float32' : 'minmax',
  weights_bits: latency === null ? 32 : 8,
  acts_bits: latency === null ? 32 : 8,
  layer_bits: [],
  host_accuracy: 1,
  device_accuracy: latency === null ? null : 1,
  device_windows: latency === null ? null : 20,
  device_windows_total: latency === null ? null : 20,
  device_split: latency === null ? null : 'test',
  bit_exact: latency === null ? null : true,
  size_bytes: 1424,
  model_bytes: 1424,
  bops: 1936384,
  peak_memory_bytes: 1728,
  mismatches: latency === null ? null : 0,
  latency: latency === null ? null : { unit: 'instructions', mean: latency, p50: latency, p99: latency },
  latency_us: null,
  counts_per_mac: latency === null ? null : 4.7,
  ram_bytes: latency === null ? null : 2988,
  flash_bytes: latency === null ? null : 30432,
  board: latency === null ? null : 'virtual:m4',
  firmware_version: latency === null ? null : '0.1.0',
  run_id: latency === null ? null : 2,
  run_state: latency === null ? null : 'complete',
  pareto_latency: false,
  pareto_size: false,
});

const run = (id: number, model: string): RunSummary => ({
  id,
  kind: 'profile',
  state: 'complete',
  model,
  board: 'virtual:m4',
  board_name: 'qemu-mps2-an386',
  firmware_version: '0.1.0',
  dataset: 'walk-or-stand',
  dataset_version: 1,
  split: 'test',
  windows: 20,
  windows_total: 20,
  device_accuracy: 1,
  host_accuracy: 1,
  bit_exact: true,
  latency_mean: 78477,
  unit: 'instructions',
  latency: { unit: 'instructions', mean: 78477, p50: 78477, p99: 78477 },
  note: null,
  created_at: '2026-12-07T02:19:04.202Z',
  updated_at: null,
});

describe('compare and runs tables', () => {
  it('compare: the bits column starts at the same place on every line, header included', () => {
    const c = {
      model: 'walk-fp',
      board: null,
      boards: ['virtual:m4'],
      rows: [row('walk-fp', null), row('walk-fp-universal-s1-w1', 78477), row('walk-w8a8', 142332)],
    } as unknown as CompareResult;
    const lines = renderCompare(c).split('\n').slice(1);
    const at = lines.map((l) => l.search(/bits|\d+\/\d+/));
    expect(new Set(at).size).toBe(1);
    expect(lines[2]).toMatch(/walk-fp-universal-s1-w1 +1?8\/8/);
  });

  it('runs list: the board column starts at the same place on every line', () => {
    const lines = renderRuns([run(3, 'walk-fp-universal-s1-w1'), run(2, 'walk-w8a8')]).split('\n');
    const at = lines.map((l) => l.indexOf('virtual:m4'));
    expect(at[0]).toBeGreaterThan(0);
    expect(new Set(at).size).toBe(1);
  });
});

describe('profile text', () => {
  /** The shape of `bitbench profile` on virtual:m4 for a 4-filter MNIST conv (run 8 of the walk). */
  const profile = (unit: 'instructions' | 'cycles'): ProfileResult =>
    ({
      run_id: 8,
      state: 'complete',
      note: null,
      model: 'm-w4a4',
      board: 'virtual:m4',
      board_name: 'qemu-mps2-an386',
      cpu: 'cortex-m4',
      firmware_version: '0.1.0',
      build_id: 'ebc3be23',
      dataset: 'mnist',
      dataset_version: 1,
      split: 'test',
      windows: 200,
      windows_total: 200,
      split_windows: 10000,
      host_accuracy: 0.96,
      device_accuracy: 0.96,
      bit_exact: true,
      mismatches: 0,
      mismatch_details: [],
      latency: {
        unit,
        label: unit,
        mean: 137500,
        p50: 137498,
        p99: 137511,
        min: 137400,
        max: 137600,
        us: null,
      },
      counts_per_mac: 18.27,
      macs: 7524,
      calibration: 'calibrated from 3 earlier profiles on qemu-mps2-an386',
      per_layer: [
        {
          index: 0,
          name: 'conv1',
          kernel: 'conv2d',
          weight_bits: 4,
          macs: 6084,
          counts: 112414,
          estimate: 58375,
          deviation: 0.93,
          flagged: true,
          counts_per_mac: 18.48,
        },
      ],
      layers_flagged: 1,
      ram_bytes: 2572,
      memory: {
        arena_used_bytes: 1628,
        stack_hwm_bytes: 944,
        source: 'board-stats',
        firmware_flash_bytes: 29008,
      },
      flash_bytes: 30496,
      model_bytes: 1488,
      serial: { ms_per_window: 48, wire_bytes_per_window: 849 },
    }) as unknown as ProfileResult;

  it('a layer off its estimate on a virtual board is not blamed on a misconfigured clock (instructions have none)', () => {
    const text = renderProfile(profile('instructions'));
    expect(text).toContain("mnist@1 test: 200 / 200 windows (the first 200 of the split's 10,000: --limit)");
    const flagged = text.split('\n').find((l) => l.includes('more than 25 % off the estimate'))!;
    expect(flagged).not.toContain('clock,');
    expect(flagged).toContain('a layer shape the cost model fits poorly');
    // on a real board's cycle counts the clock stays the first suspect
    expect(renderProfile(profile('cycles'))).toContain('a misconfigured clock, a missing optimised kernel');
  });
});
