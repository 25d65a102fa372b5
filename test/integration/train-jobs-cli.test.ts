import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/main/context';
import { startTraining } from '../../src/main/ml/training-service';
import { ZOO_ARCHS } from '../../src/main/ml/zoo';
import { startLowBitTraining } from '../../src/main/quant/lowbit-service';
import { runCliCaptured } from './helpers/cli';

/**
 * Training, model deletion and the jobs CLI against the work of a job running on the same
 * database (started here through the services, as the app does; the CLI opens its own context, as
 * another process would): what a running job uses cannot be deleted from under it, a name being
 * trained is refused up front, a float model's variants go only with it and only when asked.
 * Data: the small gesture-to-emoji CSVs from ../shared/datasets.
 */
const GESTURES = path.resolve('../shared/datasets/gesture-to-emoji');
const have = existsSync(GESTURES);
if (!have) console.warn(`skipping train/jobs CLI tests: ${GESTURES} not found`);

const cli = runCliCaptured;
const json = (r: { out: string }) => JSON.parse(r.out) as unknown;

describe.skipIf(!have)('running jobs hold what they use; deleting models; jobs CLI', () => {
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-trainjobs-')), 'a.db');
  let ctx: AppContext;

  beforeAll(async () => {
    expect((await cli(['datasets', 'import', 'csv', GESTURES, '--name', 'gest', '--json'], db)).code).toBe(0);
    const noVal = ['datasets', 'import', 'csv', GESTURES, '--name', 'gnoval', '--val-fraction', '0'];
    expect((await cli([...noVal, '--json'], db)).code).toBe(0);
    const t = await cli(['train', '--dataset', 'gest', '--arch', 'gesture-cnn-gru', '--name', 'g1'], db);
    expect(t.code, t.err).toBe(0);
    const q = await cli(['quantize', '--model', 'g1', '--name', 'g1-w8'], db);
    expect(q.code, q.err).toBe(0);
    ctx = createAppContext({ dbPath: db, shell: 'cli' });
  }, 120_000);
  afterAll(async () => ctx?.close());

  it('a running training holds its dataset and its name; jobs cancel stops it from another process', async () => {
    // gnoval has no model yet (not locked): only the running job holds it.
    const h = startTraining(ctx, {
      dataset: 'gnoval',
      arch: 'gesture-cnn-gru',
      name: 'long',
      options: { epochs: 500, batchSize: 4 },
    });
    try {
      const del = await cli(['datasets', 'delete', 'gnoval', '--yes', '--json'], db);
      expect(del.code).toBe(1);
      expect(del.err).toContain(`Dataset gnoval is in use by the train job ${h.id}`);
      expect((json(del) as { error: { code: string } }).error.code).toBe('conflict');
      const again = await cli(
        ['train', '--dataset', 'gest', '--arch', 'gesture-cnn-gru', '--name', 'long', '--epochs', '1'],
        db,
      );
      expect(again.code).toBe(1);
      expect(again.err).toContain(`Job ${h.id} is already training a model named "long"`);
      // The refused second training never became a job.
      const jobs = json(await cli(['jobs', 'list', '--kind', 'train', '--json'], db)) as Array<{
        params: { name: string };
      }>;
      expect(jobs.filter((j) => j.params.name === 'long')).toHaveLength(1);

      // The CLI's own context (another process, as far as jobs go) asks through the database; the
      // context running the job stops it and the command reports how it ended.
      const cancel = await cli(['jobs', 'cancel', h.id.slice(0, 8)], db);
      expect(cancel.code, cancel.err).toBe(0);
      expect(cancel.out).toContain(`cancelled ${h.id} (train)`);
      await expect(h.done).rejects.toThrow(/Cancelled/);
    } finally {
      ctx.jobs.cancel(h.id);
      await expect(h.done).rejects.toThrow(/Cancelled/);
    }
    const done = await cli(['jobs', 'cancel', h.id], db);
    expect(done.err).toContain(`Job ${h.id} (train) is cancelled: nothing to cancel.`);
    expect((await cli(['jobs', 'cancel', 'nope'], db)).err).toMatch(/No job with id nope/);
    expect(json(await cli(['datasets', 'list', '--json'], db))).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'gnoval' })]),
    );
  }, 60_000);

  /** Runs `check` while a long universal training of g1 runs (reading `dataset`, if given), then cancels it. */
  async function duringLowBitTraining(
    name: string,
    dataset: string | undefined,
    check: (jobId: string) => Promise<void>,
  ) {
    const h = startLowBitTraining(ctx, {
      model: 'g1',
      name,
      ...(dataset ? { dataset } : {}),
      config: { method: 'universal-s1', weightBits: 1, epochs: 500 },
    });
    try {
      await check(h.id);
    } finally {
      ctx.jobs.cancel(h.id);
      await h.done.catch(() => undefined);
    }
  }

  it('a model a running job reads cannot be deleted', async () => {
    await duringLowBitTraining('g1-u1', undefined, async (id) => {
      const r = await cli(['models', 'delete', 'g1', '--with-variants'], db);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`Model "g1" is in use by the lowbit-train job ${id}`);
    });
  }, 60_000);

  it('a dataset a running low-bit training reads (--dataset) cannot be deleted', async () => {
    await duringLowBitTraining('g1-on-gnoval', 'gnoval', async (id) => {
      const r = await cli(['datasets', 'delete', 'gnoval', '--yes'], db);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`Dataset gnoval is in use by the lowbit-train job ${id}`);
    });
  }, 60_000);

  it('a float model with variants is deleted only with them, and none is left behind', async () => {
    const refused = await cli(['models', 'delete', 'g1'], db);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/Model "g1" has 1 quantized variant\(s\): g1-w8\..*--with-variants/);
    const names = async () =>
      (json(await cli(['models', 'list', '--json'], db)) as Array<{ name: string }>).map((m) => m.name);
    expect((await names()).sort()).toEqual(['g1', 'g1-w8']);

    const ok = await cli(['models', 'delete', 'g1', '--with-variants', '--json'], db);
    expect(ok.code, ok.err).toBe(0);
    expect(json(ok)).toEqual({ deleted: true, variants: ['g1-w8'] });
    expect(await names()).toEqual([]);
    expect(json(await cli(['variants', 'list', '--json'], db))).toEqual([]);
    expect((await cli(['variants', 'remove', 'g1-w8'], db)).code).toBe(1);
  }, 60_000);

  it('refuses bad training input before any epoch', async () => {
    const base = ['train', '--arch', 'gesture-cnn-gru', '--epochs', '1'];
    const zero = await cli([...base, '--dataset', 'gest', '--name', 'z', '--class-weights', '0,0'], db);
    expect(zero.code).toBe(1);
    expect(zero.err).toMatch(/Class weight 0 for flex, punch/);
    expect(zero.err).not.toMatch(/diverged/);
    const es = await cli([...base, '--dataset', 'gnoval', '--name', 'e', '--early-stopping', '2'], db);
    expect(es.code).toBe(1);
    expect(es.err).toMatch(/Early stopping watches the validation loss.*no validation split/);
    const spec = await cli([...base, '--dataset', 'gest', '--name', 's', '--spec', 'x.json'], db);
    expect(spec.code).toBe(1);
    expect(spec.err).toMatch(/--spec is for --arch custom/);
    expect((await cli(['models', 'list', '--json'], db)).out).not.toMatch(/"name": "(z|e|s)"/);
    // No job holds gnoval any more (the training on it was cancelled): it can go.
    expect((await cli(['datasets', 'delete', 'gnoval', '--yes'], db)).code).toBe(0);
  }, 60_000);

  it('train --help lists the whole zoo', async () => {
    const help = await cli(['train', '--help'], db);
    for (const arch of ZOO_ARCHS) expect(help.out + help.err).toContain(arch);
    expect(ZOO_ARCHS).toContain('har-cnn-small');
  });

  it('jobs list validates --limit and --kind', async () => {
    for (const bad of ['abc', '-1', '0', '2.5', '5000']) {
      const r = await cli(['jobs', 'list', `--limit=${bad}`], db);
      expect(r.code, bad).toBe(1);
      expect(r.err).toContain(`--limit must be a whole number from 1 to 1000, got "${bad}"`);
    }
    const kind = await cli(['jobs', 'list', '--kind', 'bogus'], db);
    expect(kind.code).toBe(1);
    expect(kind.err).toMatch(/--kind must be one of train, quantize, .*; got "bogus"/);
    const one = json(await cli(['jobs', 'list', '--limit', '1', '--kind', 'quantize', '--json'], db));
    expect(one).toHaveLength(1);
  });
});
