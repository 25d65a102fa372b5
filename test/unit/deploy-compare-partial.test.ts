import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/main/context';
import { compareModel } from '../../src/main/deploy/compare';
import { profileWindowsLine, renderCompare } from '../../src/main/cli/commands/deploy';
import type { ProfileResult } from '../../src/shared/api/deploy';
import { ModelsRepo } from '../../src/main/store/models-repo';
import { RunsRepo } from '../../src/main/store/runs-repo';
import { quantizeVariant, seedFloatModel } from '../integration/helpers/deploy-fixture';
import { profileRun } from '../support/profile-run';

/**
 * Compare with a profile that ran only part of its split (`bitbench profile --limit 200` on MNIST's
 * 10,000 test windows): its device accuracy is of a sample, so the table says so and the row is
 * ranked by its host accuracy (whole split), not by the sample's. Profile runs are stored directly:
 * no board needed.
 */
let ctx: AppContext;
beforeAll(async () => {
  ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
  seedFloatModel(ctx);
  await quantizeVariant(ctx, 'tiny-fp', 'tiny-w8a8', { weightBits: 8, actBits: 8 });
  await quantizeVariant(ctx, 'tiny-fp', 'tiny-w4a8', { weightBits: 4, actBits: 8 });
}, 120_000);
afterAll(async () => {
  await ctx?.close();
});

/** A profile of the first `windows` test windows (`--limit`), as the profiler stores it. */
function storeProfile(model: string, windows: number, accuracy: number, splitWindows?: number): void {
  const runs = new RunsRepo(ctx.db);
  const m = new ModelsRepo(ctx.db).byName(model)!;
  const id = runs.create(
    profileRun(m.id, { datasetName: 'synth', datasetVersion: 1, windowsTotal: windows }),
  );
  runs.finish(id, 'complete', null, {
    board: 'virtual:m4',
    firmware_version: '0.1.0',
    split: 'test',
    dataset: 'synth',
    dataset_version: 1,
    windows,
    windows_total: windows,
    ...(splitWindows !== undefined ? { split_windows: splitWindows } : {}),
    device_accuracy: accuracy,
    host_accuracy: accuracy,
    bit_exact: true,
    mismatches: 0,
    latency: {
      unit: 'instructions',
      label: 'instructions',
      mean: 1000,
      p50: 1000,
      p99: 1000,
      min: 1000,
      max: 1000,
      us: null,
    },
    counts_per_mac: 10,
    ram_bytes: 100,
    flash_bytes: 1000,
  });
}

describe('compare: a profile of part of the split', () => {
  it('says how many windows the device accuracy covers and ranks the row by its host accuracy', () => {
    const before = compareModel(ctx.db, 'tiny-fp', null);
    const w8 = before.rows.find((r) => r.name === 'tiny-w8a8')!;
    const w4 = before.rows.find((r) => r.name === 'tiny-w4a8')!;
    expect(w8.host_accuracy).toBe(1);
    expect(w4.host_accuracy).toBeLessThan(1); // 0.9125 over the 80 test windows
    // w8 ran its whole split on the board: 100 %
    storeProfile('tiny-w8a8', 80, 1, 80);
    // w4's first 5 of 80 test windows happen to all be right: 100 % on the sample. Stored without
    // split_windows (a run from before it was recorded): the split is counted in the dataset.
    storeProfile('tiny-w4a8', 5, 1);
    const c = compareModel(ctx.db, 'tiny-fp', null);
    const r8 = c.rows.find((r) => r.name === 'tiny-w8a8')!;
    const r4 = c.rows.find((r) => r.name === 'tiny-w4a8')!;
    expect(r4).toMatchObject({
      device_accuracy: 1,
      device_windows: 5,
      device_windows_total: 80,
      device_split: 'test',
    });
    expect(r8).toMatchObject({ device_windows: 80, device_windows_total: 80 });
    // Same board and latency, so accuracy decides: the 5-window sample must not tie w4 with w8's
    // whole-split 100 % (before, both were on the front); w4 is ranked by its host 91.25 %.
    expect(r8.pareto_latency).toBe(true);
    expect(r4.pareto_latency).toBe(false);
    const text = renderCompare(c);
    expect(text).toMatch(/tiny-w4a8 .* ~100\.00 %/);
    expect(text).toContain(
      '~ tiny-w4a8: device accuracy of its newest profile covers only 5 of 80 test windows; ranked by its host accuracy (whole test split)',
    );
    expect(text).not.toMatch(/~ tiny-w8a8/);
    // a newer run of w4 recording split_windows itself
    storeProfile('tiny-w4a8', 10, 0.9, 80);
    expect(compareModel(ctx.db, 'tiny-fp', null).rows.find((r) => r.name === 'tiny-w4a8')).toMatchObject({
      device_windows: 10,
      device_windows_total: 80,
    });
  });

  it('profile output says a --limit run is the first windows of a larger split', () => {
    const r = new RunsRepo(ctx.db).latestProfile(new ModelsRepo(ctx.db).byName('tiny-w4a8')!.id)!;
    const line = profileWindowsLine(r.results as ProfileResult);
    expect(line).toBe("synth@1 test: 10 / 10 windows (the first 10 of the split's 80: --limit)");
  });
});
