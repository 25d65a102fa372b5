import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/main/context';
import { startQuantize } from '../../src/main/quant/quant-service';
import { VariantsRepo } from '../../src/main/store/variants-repo';
import type { Job } from '../../src/shared/api/jobs';
import { seedFloatModel } from './helpers/deploy-fixture';

/**
 * The PTQ job runs in the quantization worker: while AdaRound computes, the main process keeps
 * serving — its timers fire, the job's per-layer progress can be read (what the Quantize page's
 * progress bar shows), and Cancel stops the work and stores nothing. (Before, the pipeline ran on
 * the main thread: the first progress anyone saw was the finished job.)
 */
describe('the quantize job', () => {
  let ctx: AppContext;
  beforeAll(() => {
    ctx = createAppContext({
      dbPath: path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-qjob-')), 'a.db'),
      shell: 'cli',
    });
    seedFloatModel(ctx, { wide: true });
  });
  afterAll(async () => {
    await ctx.close();
  });

  /** Samples the job every 20 ms from a main-thread timer until it settles. */
  async function watch(id: string, done: Promise<unknown>) {
    const seen: Job[] = [];
    let longestGapMs = 0;
    let last = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
      seen.push(ctx.jobs.get(id));
    }, 20);
    const started = Date.now();
    try {
      await done;
    } finally {
      clearInterval(timer);
    }
    return { seen, longestGapMs, seconds: (Date.now() - started) / 1000 };
  }

  it('reports per-layer progress while the worker computes, and stores the variant', async () => {
    const handle = startQuantize(ctx, {
      model: 'wide-fp',
      name: 'wide-w4a4',
      method: 'mse+adaround+bias-correction',
      config: { weightBits: 4, actBits: 4, calibSize: 64, iterations: 300 },
    });
    const { seen, longestGapMs, seconds } = await watch(handle.id, handle.done);
    const running = seen.filter((j) => j.state === 'running' && j.progress > 0 && j.progress < 0.99);
    console.log(
      `[quantize job] ${seconds.toFixed(1)} s; main-thread timer: longest gap ${longestGapMs} ms; ${running.length} mid-job progress samples`,
    );
    // The layers' progress was visible mid-job, in order, and the main thread never stalled for
    // anywhere near the job's length.
    const layerMessages = running.map((j) => j.message).filter((m) => /conv1|fc/.test(m));
    expect(layerMessages.length).toBeGreaterThan(0);
    expect(running.length).toBeGreaterThan(3);
    expect(longestGapMs / 1000).toBeLessThan(seconds / 2);
    // A bar per layer: the stages name the weighted layers in order; mid-job one layer was part
    // done while a later one had not started; at the end every layer is done.
    const names = ctx.jobs.get(handle.id).stages?.map((st) => st.name);
    expect(names).toEqual(new VariantsRepo(ctx.db).get('wide-w4a4').report.per_layer.map((l) => l.name));
    const partway = running.find((j) => {
      const p = (j.stages ?? []).map((st) => st.progress);
      return p.some((v) => v > 0 && v < 1) && p[p.length - 1] === 0;
    });
    expect(partway).toBeDefined();
    expect(ctx.jobs.get(handle.id).stages!.every((st) => st.progress === 1)).toBe(true);
    const v = new VariantsRepo(ctx.db).get('wide-w4a4');
    expect(v.summary.method).toBe('mse+adaround+bias-correction');
    expect(v.report.accuracy).toBeGreaterThan(0.5);
  }, 120_000);

  it('the bar moves through end-to-end tuning, step by step, not only between layers', async () => {
    const handle = startQuantize(ctx, {
      model: 'wide-fp',
      name: 'wide-tuned',
      method: 'mse+bias-tuning',
      config: { weightBits: 4, actBits: 4, calibSize: 64, biasTuningIterations: 200 },
    });
    const { seen } = await watch(handle.id, handle.done);
    const tuning = seen.filter((j) => j.state === 'running' && /^bias tuning \d+\/200$/.test(j.message));
    const fractions = [...new Set(tuning.map((j) => j.progress))];
    // Several distinct points inside the tuning step, in order, and all before the integer model.
    expect(fractions.length).toBeGreaterThan(2);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    const building = seen.find((j) => j.message === 'building the integer model');
    if (building) expect(Math.max(...fractions)).toBeLessThanOrEqual(building.progress);
    expect(new VariantsRepo(ctx.db).get('wide-tuned').report.bias_tuning).not.toBeNull();
  }, 120_000);

  it('the bar moves through LSQ step by step, as through AdaRound', async () => {
    const handle = startQuantize(ctx, {
      model: 'wide-fp',
      name: 'wide-lsq',
      method: 'mse+lsq',
      config: { weightBits: 4, actBits: 4, calibSize: 64, iterations: 600 },
    });
    const { seen } = await watch(handle.id, handle.done);
    const lsq = seen.filter((j) => j.state === 'running' && /^layer conv1: LSQ \d+\/300$/.test(j.message));
    const fractions = [...new Set(lsq.map((j) => j.progress))];
    expect(fractions.length).toBeGreaterThan(2);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(new VariantsRepo(ctx.db).get('wide-lsq').report.per_layer[0]!.optimisation?.method).toBe('lsq');
  }, 120_000);

  it('holds its name while it runs; Cancel terminates the worker mid-pipeline and stores nothing', async () => {
    const handle = startQuantize(ctx, {
      model: 'wide-fp',
      name: 'wide-cancelled',
      method: 'mse+adaround',
      config: { weightBits: 4, actBits: 4, calibSize: 64, iterations: 5000 },
    });
    const outcome = handle.done.then(
      () => 'finished',
      (err: Error) => err.message,
    );
    // Cancel once the pipeline reports its first layer.
    for (let i = 0; i < 3000 && !/conv1|fc/.test(ctx.jobs.get(handle.id).message); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(ctx.jobs.get(handle.id).state).toBe('running');
    // The name is taken while the job runs: a second job would only fail when it stores its variant.
    expect(() =>
      startQuantize(ctx, { model: 'wide-fp', name: 'wide-cancelled', config: { calibSize: 64 } }),
    ).toThrow(/already making a variant named "wide-cancelled"/);
    expect(ctx.jobs.cancel(handle.id)).toBe(true);
    expect(await outcome).toMatch(/cancelled/i);
    expect(ctx.jobs.get(handle.id).state).toBe('cancelled');
    expect(new VariantsRepo(ctx.db).exists('wide-cancelled')).toBe(false);
  }, 120_000);
});
