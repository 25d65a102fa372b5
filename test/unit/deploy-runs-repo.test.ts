import { afterEach, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/main/context';
import { createDeployService } from '../../src/main/deploy/deploy-service';
import { currentSchemaVersion } from '../../src/main/store/database';
import { RunsRepo, type NewRun, type WindowRow } from '../../src/main/store/runs-repo';
import { profileRun } from '../support/profile-run';

let ctx: AppContext | undefined;
afterEach(async () => {
  await ctx?.close();
  ctx = undefined;
});

function setup(): { repo: RunsRepo; modelId: number; ctx: AppContext } {
  ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
  const modelId = Number(
    ctx.db
      .prepare(
        `INSERT INTO models (name, kind, arch, spec, metrics, created_at) VALUES ('m-w8', 'quantized', 'custom', '{}', '{}', ?)`,
      )
      .run(new Date().toISOString()).lastInsertRowid,
  );
  return { repo: new RunsRepo(ctx.db), modelId, ctx };
}

const run = (modelId: number, over: Partial<NewRun> = {}): NewRun =>
  profileRun(modelId, {
    datasetName: 'har',
    datasetVersion: 2,
    windowsTotal: 3,
    config: { record: { x: 1 } },
    ...over,
  });

const win = (idx: number, over: Partial<WindowRow> = {}): WindowRow => ({
  idx,
  label: idx % 2,
  devicePred: idx % 2,
  hostPred: idx % 2,
  exact: true,
  elapsed: 1000 + idx,
  layerElapsed: [400, 600 + idx, 0xffffffff],
  hostOut: Int8Array.from([idx, -idx, 127, -128]),
  wallMs: 1.5,
  ...over,
});

describe('runs repository (migration 0010)', () => {
  it('is at schema version 10 or later and stores a run with its reproducibility columns', () => {
    const { repo, modelId, ctx: c } = setup();
    expect(currentSchemaVersion(c.db)).toBeGreaterThanOrEqual(10);
    const id = repo.create(run(modelId));
    const r = repo.get(id);
    expect(r).toMatchObject({
      kind: 'profile',
      state: 'running',
      model: 'm-w8',
      board: 'virtual:m4',
      boardName: 'qemu-mps2-an386',
      firmwareVersion: '0.1.0',
      buildId: 'b1',
      datasetName: 'har',
      datasetVersion: 2,
      windowsDone: 0,
      windowsTotal: 3,
      config: { record: { x: 1 } },
    });
    expect(() => repo.get(id + 100)).toThrow(/No run with id/);
  });

  it('appends windows in order, round-trips per-layer counts and host outputs, counts progress', () => {
    const { repo, modelId } = setup();
    const id = repo.create(run(modelId));
    repo.appendWindows(id, [win(0), win(1)]);
    repo.appendWindows(id, [win(2, { exact: false, devicePred: 1 })]);
    repo.appendWindows(id, [win(2, { exact: false, devicePred: 1 })]); // a retried batch: no duplicate
    expect(repo.get(id).windowsDone).toBe(3);
    const back = repo.windows(id);
    expect(back.map((w) => w.idx)).toEqual([0, 1, 2]);
    expect(back[1]!.layerElapsed).toEqual([400, 601, 0xffffffff]);
    expect(Array.from(back[2]!.hostOut)).toEqual([2, -2, 127, -128]);
    expect(back[2]!.exact).toBe(false);
  });

  it('a run left running by a process that is gone becomes partial; a live job keeps it running', () => {
    const { repo, modelId, ctx: c } = setup();
    const orphan = repo.create(run(modelId));
    const live = repo.create(run(modelId));
    const handle = c.jobs.start('profile', {}, () => new Promise(() => undefined));
    repo.setJob(live, handle.id);
    expect(repo.markStale()).toBe(1);
    expect(repo.get(orphan)).toMatchObject({ state: 'partial', note: 'the process running it stopped' });
    expect(repo.get(live).state).toBe('running');
    c.jobs.cancel(handle.id);
  });

  it("layer history is the board's earlier measured runs, same counter only", () => {
    const { repo, modelId } = setup();
    const layer = {
      layer: 0,
      name: 'c',
      kernel: 'conv2d',
      weightBits: 8,
      macs: 10,
      work: 10,
      outputs: 2,
      counts: 99,
      estimate: 90,
    };
    const a = repo.create(run(modelId));
    repo.saveLayers(a, [layer]);
    repo.finish(a, 'complete', null, {});
    const other = repo.create(run(modelId, { boardName: 'nucleo-f401re', counterKind: 'cycles' }));
    repo.saveLayers(other, [layer]);
    repo.finish(other, 'complete', null, {});
    const failed = repo.create(run(modelId));
    repo.saveLayers(failed, [layer]);
    repo.finish(failed, 'failed', 'x', {});
    expect(repo.layerHistory('qemu-mps2-an386', 'instructions').map((h) => h.runId)).toEqual([a]);
    expect(repo.layerHistory('qemu-mps2-an386', 'instructions', { excludeRun: a })).toEqual([]);
    expect(repo.layerHistory('nucleo-f401re', 'cycles')).toHaveLength(1);
    expect(repo.latestProfile(modelId)?.id).toBe(other);
    expect(repo.latestProfile(modelId, 'virtual:m4')?.id).toBe(other); // same spec string in this test
    expect(repo.boardsOf([modelId])).toEqual(['virtual:m4']);
    expect(repo.list({ kind: 'profile', limit: 2 }).map((r) => r.id)).toEqual([failed, other]);
    // Without a loop work (a row from before migration 0015) it reads back null; with one, the value.
    expect(repo.layerHistory('qemu-mps2-an386', 'instructions')[0]!.loopWork).toBeNull();
    // So do its output channels and wide outputs (before migration 0016).
    expect(repo.layerHistory('qemu-mps2-an386', 'instructions')[0]).toMatchObject({
      outChannels: null,
      wideOutputs: null,
    });
    const withLoop = repo.create(run(modelId));
    repo.saveLayers(withLoop, [
      { ...layer, costKernel: 'conv2d', loopWork: 1234.5, outChannels: 6, wideOutputs: 118 },
    ]);
    repo.finish(withLoop, 'complete', null, {});
    expect(repo.layerHistory('qemu-mps2-an386', 'instructions', { excludeRun: a })[0]).toMatchObject({
      runId: withLoop,
      costKernel: 'conv2d',
      loopWork: 1234.5,
      outChannels: 6,
      wideOutputs: 118,
    });
  });

  it('runs show gives a flash run stored before model_bytes existed its model_bytes (= bytes)', async () => {
    const { repo, modelId, ctx } = setup();
    const id = repo.create(run(modelId, { kind: 'flash' }));
    // A flash result as bitbench stored it before `model_bytes` was added beside `bytes`.
    repo.finish(id, 'complete', null, {
      run_id: id,
      model: 'm-w8',
      board: 'virtual:m4',
      bytes: 4321,
      crc32: 'deadbeef',
      model_hash: '00112233aabbccdd',
      already_active: false,
      resumed_from: 0,
      chunks: 3,
      seconds: 0.5,
      bytes_per_second: 8642,
      verified: true,
      slot: 0,
      firmware_version: '0.1.0',
      build_id: 'b1',
    });
    const detail = await createDeployService(ctx).run({ id });
    expect(detail.result).toMatchObject({ bytes: 4321, model_bytes: 4321 });
  });
});
