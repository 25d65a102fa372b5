// Flash and profile on both virtual boards through the deploy service (the same calls the CLI and the
// Deploy page make): device accuracy equals the host integer accuracy exactly, every output is
// bit-exact; a model too big is refused before flashing; a board that vanishes mid-profile leaves a
// partial run that resumes; a flash that fails leaves the previous model running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/main/context';
import { loadArtifact } from '../../src/main/deploy/artifact';
import { windowInput } from '../../src/main/deploy/profiler';
import { boardManager } from '../../src/main/device/board-manager';
import { encodeFrame } from '../../src/main/device/framer';
import { loadDatasetTensors } from '../../src/main/datasets/dataset-reader';
import { runReference } from '../../src/main/engine/reference';
import { RunsRepo } from '../../src/main/store/runs-repo';
import { VariantsRepo } from '../../src/main/store/variants-repo';
import { createServices } from '../../src/main/services';
import type { ServiceImpl } from '../../src/shared/api/contract';
import type { FlashResult, ProfileResult } from '../../src/shared/api/deploy';
import { Command } from '../../src/shared/protocol';
import { quantizeVariant, seedFloatModel } from './helpers/deploy-fixture';
import { tapWrites } from './helpers/transport-tap';
import { skipNote, testContext, virtualBoardsUnavailable } from './helpers/virtual-boards';

const unavailable = virtualBoardsUnavailable();
skipNote(unavailable, 'deploy integration tests');

/** Calls `onRequest(n)` before the n-th request of `command` (1-based) is written. */
function watchRequests(command: number, onRequest: (n: number) => void) {
  return tapWrites(() => {
    let n = 0;
    return (_bytes, msg) => {
      if (msg && msg[0] === command) onRequest(++n);
    };
  });
}
const watchInfers = (onInfer: (n: number) => void) => watchRequests(Command.INFER, onInfer);
const watchChunks = (onChunk: (n: number) => void) => watchRequests(Command.MODEL_CHUNK, onChunk);

/**
 * While `armed`, flips one data byte of the first MODEL_CHUNK and re-seals the frame with a valid
 * CRC: the board accepts the chunk, so only its whole-blob CRC at MODEL_COMMIT can catch it.
 */
function corruptOneChunk(state: { armed: boolean; done: number }) {
  return tapWrites(() => (_bytes, msg) => {
    if (state.armed && msg && msg[0] === Command.MODEL_CHUNK && msg.length > 16) {
      state.armed = false;
      state.done++;
      const payload = msg.slice(4, msg.length - 4);
      payload[payload.length - 1] = (payload[payload.length - 1] ?? 0) ^ 0x5a;
      return encodeFrame({ type: msg[0]!, flags: msg[1]!, seq: msg[2]! | (msg[3]! << 8), payload });
    }
  });
}

describe.skipIf(unavailable !== null)('deploy on the virtual boards', () => {
  let ctx: AppContext;
  let s: ServiceImpl;
  beforeAll(async () => {
    ctx = testContext();
    s = createServices(ctx);
    seedFloatModel(ctx);
    seedFloatModel(ctx, { wide: true, perSplit: 8 });
    await quantizeVariant(ctx, 'tiny-fp', 'tiny-w8a8', { weightBits: 8, actBits: 8 });
    await quantizeVariant(ctx, 'tiny-fp', 'tiny-w4a8', { weightBits: 4, actBits: 8 });
    await quantizeVariant(ctx, 'tiny-fp', 'tiny-w1a8', { weightBits: 1, actBits: 8 });
    await quantizeVariant(ctx, 'wide-fp', 'wide-w8a8', { weightBits: 8, actBits: 8, calibSize: 8 });
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
  });

  const profile = async (input: Parameters<ServiceImpl['deploy']['profile']>[0]) => {
    const { jobId, runId } = await s.deploy.profile(input);
    return { runId, done: ctx.jobs.done<ProfileResult>(jobId) };
  };

  it.each([
    ['virtual:m4', 'tiny-w8a8'],
    ['virtual:m0', 'tiny-w8a8'],
    ['virtual:m4', 'tiny-w4a8'],
    ['virtual:m0', 'tiny-w1a8'],
  ])(
    'on %s, %s: device accuracy equals host integer accuracy exactly, bit-exact',
    async (board, model) => {
      const { runId, done } = await profile({ model, board, split: 'test', maxMismatchDetails: 20 });
      const r = await done;
      expect(r.state).toBe('complete');
      expect(r.windows).toBe(80);
      expect(r.bit_exact).toBe(true);
      expect(r.mismatches).toBe(0);
      expect(r.device_accuracy).toBe(r.host_accuracy);
      // The PTQ job's integer simulation over the same test split agrees with the board.
      expect(r.device_accuracy).toBe(new VariantsRepo(ctx.db).get(model).report.accuracy);
      expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(80);
      expect(r.latency.unit).toBe('instructions');
      expect(r.latency.us).toBeNull();
      expect(r.latency.p50).toBeGreaterThan(0);
      expect(r.latency.p99).toBeGreaterThanOrEqual(r.latency.p50);
      // Per-layer counts add up to the whole inference, less a small dispatch overhead.
      const layers = r.per_layer.reduce((a, l) => a + l.counts, 0);
      expect(layers).toBeLessThanOrEqual(r.latency.mean);
      expect(r.overhead_counts / r.latency.mean).toBeLessThan(0.2);
      expect(r.per_layer.find((l) => l.name === 'conv1')!.counts_per_mac).toBeGreaterThan(0);
      // Memory: the board's STATS (stack painted at boot) and the flash figures.
      expect(r.memory.source).toBe('board-stats');
      expect(r.memory.stack_hwm_bytes).toBeGreaterThan(64);
      expect(r.memory.stack_hwm_bytes).toBeLessThan(r.memory.stack_bytes!);
      expect(r.ram_bytes).toBe(r.memory.arena_used_bytes + r.memory.stack_hwm_bytes!);
      expect(r.flash_bytes).toBe(r.model_bytes + r.memory.firmware_flash_bytes);
      expect(r.model_bytes).toBe(loadArtifact(ctx.db, model).blob.length);
      // Stored as a run, its windows and its per-layer calibration data.
      const detail = await s.deploy.run({ id: runId });
      expect(detail.summary).toMatchObject({ state: 'complete', windows: 80, bit_exact: true, board });
      expect(detail.record!.host_outputs_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(detail.record!.board.firmware_version).toBe(r.firmware_version);
      expect(new RunsRepo(ctx.db).windows(runId)).toHaveLength(80);
      const again = await s.deploy.reproduce({ id: runId });
      expect(again.identical).toBe(true);
    },
    120_000,
  );

  it('the second profile on a board is estimated from the first (calibrated, every layer within 25 %)', async () => {
    const est = await s.deploy.estimate({ model: 'tiny-w4a8', board: 'virtual:m4' });
    expect(est.calibration).toMatch(/calibrated from \d+ earlier profile/);
    expect(
      est.per_layer.filter((l) => l.weight_bits === 4).every((l) => l.estimate_source === 'calibrated'),
    ).toBe(true);
    const r = await (
      await profile({ model: 'tiny-w4a8', board: 'virtual:m4', split: 'test', maxMismatchDetails: 20 })
    ).done;
    expect(r.flash?.already_active).toBe(true);
    expect(r.layers_flagged).toBe(0);
  }, 60_000);

  it('a model too big for the M0 is refused before flashing, with needed vs available numbers', async () => {
    const conn = await boardManager(ctx).connect('virtual:m0');
    const before = await conn.client.modelInfo();
    const runsBefore = (await s.deploy.runs({ limit: 1000 })).length;
    const est = await s.deploy.estimate({ model: 'wide-w8a8', board: 'virtual:m0' });
    expect(est.memory.fits).toBe(false);
    expect(est.memory.arena_min_bytes).toBeGreaterThan(est.memory.board_arena_bytes);
    const needed = est.memory.arena_min_bytes.toLocaleString('en-US');
    const have = est.memory.board_arena_bytes.toLocaleString('en-US');
    await expect(s.deploy.flash({ model: 'wide-w8a8', board: 'virtual:m0', force: false })).rejects.toThrow(
      new RegExp(`arena of ${needed} B .* has ${have} B`),
    );
    await expect(
      s.deploy.profile({ model: 'wide-w8a8', board: 'virtual:m0', split: 'test', maxMismatchDetails: 20 }),
    ).rejects.toThrow(/does not fit virtual:m0/);
    expect(await conn.client.modelInfo()).toEqual(before); // nothing was sent
    expect((await s.deploy.runs({ limit: 1000 })).length).toBe(runsBefore);
  }, 60_000);

  it('Profile sent right after Flash, before the flash job exists, is refused as busy and leaves no run', async () => {
    const runsBefore = (await s.deploy.runs({ limit: 1000 })).length;
    // Neither call is awaited before the other starts: the flash is still connecting (PING) when
    // the profile arrives, as when the Deploy page's Profile is clicked right after Flash.
    const flash = s.deploy.flash({ model: 'tiny-w4a8', board: 'virtual:m4', force: true });
    const second = s.deploy.profile({
      model: 'tiny-w8a8',
      board: 'virtual:M4',
      split: 'test',
      maxMismatchDetails: 20,
    });
    await expect(second).rejects.toThrow(/virtual:m4 is busy/);
    const { jobId } = await flash;
    expect((await ctx.jobs.done<FlashResult>(jobId)).model).toBe('tiny-w4a8');
    const runs = await s.deploy.runs({ limit: 1000 });
    expect(runs.length).toBe(runsBefore + 1);
    expect(runs.filter((r) => r.kind === 'profile' && r.state !== 'complete')).toEqual([]);
    // Released with the flash job: the profile runs now.
    const r = await (
      await profile({ model: 'tiny-w8a8', board: 'virtual:m4', split: 'test', maxMismatchDetails: 20 })
    ).done;
    expect(r).toMatchObject({ state: 'complete', bit_exact: true });
  }, 90_000);

  it('a board that vanishes mid-profile leaves a partial run that resumes to the full, bit-exact result', async () => {
    const spec = 'virtual:m4';
    await boardManager(ctx).disconnect(spec); // a fresh QEMU whose pty we watch
    const conn = await boardManager(ctx).connect(spec, {
      wrapTransport: watchInfers((n) => {
        if (n === 21) process.kill(boardManager(ctx).virtualProcess(spec)!.qemuPid, 'SIGKILL');
      }),
    });
    expect(conn.isOpen).toBe(true);
    const { runId, done } = await profile({
      model: 'tiny-w4a8',
      board: spec,
      split: 'test',
      maxMismatchDetails: 20,
    });
    await expect(done).rejects.toThrow(new RegExp(`Run ${runId} is saved as partial.*--resume ${runId}`));
    const partial = await s.deploy.run({ id: runId });
    expect(partial.summary.state).toBe('partial');
    expect(partial.summary.windows).toBe(20);
    expect(partial.summary.note).toMatch(/board went away after 20 of 80 windows/);
    const p = partial.result as ProfileResult;
    expect(p.windows).toBe(20);
    expect(p.bit_exact).toBe(true);

    const resumed = await profile({ resume: runId, split: 'test', maxMismatchDetails: 20 });
    expect(resumed.runId).toBe(runId);
    const r = await resumed.done;
    expect(r).toMatchObject({ state: 'complete', windows: 80, bit_exact: true, mismatches: 0 });
    expect(r.device_accuracy).toBe(r.host_accuracy);
    expect(r.device_accuracy).toBe(new VariantsRepo(ctx.db).get('tiny-w4a8').report.accuracy);
    expect(new RunsRepo(ctx.db).windows(runId).map((w) => w.idx)).toEqual(
      Array.from({ length: 80 }, (_, i) => i),
    );
    expect((await s.deploy.reproduce({ id: runId })).identical).toBe(true);
  }, 120_000);

  it('a board that vanishes mid-flash fails the run saying how far the load got, and flashes again after', async () => {
    const spec = 'virtual:m4';
    await boardManager(ctx).disconnect(spec);
    await boardManager(ctx).connect(spec, {
      wrapTransport: watchChunks((n) => {
        if (n === 1) process.kill(boardManager(ctx).virtualProcess(spec)!.qemuPid, 'SIGKILL');
      }),
    });
    const { jobId } = await s.deploy.flash({ model: 'tiny-w8a8', board: spec, force: true });
    const err = await ctx.jobs.done(jobId).then(
      () => null,
      (e: Error) => e,
    );
    // Formerly: "Cannot open /dev/pts/N: no such port … Plug the board in …. The board is disconnected;
    // its previous model stays active in its slot." — about a port that never was, and a model QEMU took with it.
    expect(err?.message).toMatch(
      /^Flashing tiny-w8a8 to virtual:m4 failed: .*the board went away after [\d,]+ of [\d,]+ B of the model and did not come back\)\. Reconnect the board and retry\. The virtual board virtual:m4 stopped \(its QEMU exited\), and its model with it/,
    );
    expect(err?.message).not.toMatch(/no such port|\.\.|stays active/);
    const run = (await s.deploy.runs({ kind: 'flash', limit: 1 }))[0]!;
    expect(run).toMatchObject({ state: 'failed', model: 'tiny-w8a8' });
    expect(run.note).toMatch(/went away after/);
    // The board is usable right after: the next flash starts it again and loads the model.
    const again = await s.deploy.flash({ model: 'tiny-w8a8', board: spec, force: false });
    const f = await ctx.jobs.done<FlashResult>(again.jobId);
    expect(f).toMatchObject({ verified: true, already_active: false });
    expect(await boardManager(ctx).get(spec)!.client.modelInfo()).toMatchObject({
      state: 'active',
      modelHash: f.model_hash,
    });
  }, 120_000);

  it('a flash that fails leaves the previous model running and says so', async () => {
    const spec = 'virtual:m0';
    await boardManager(ctx).disconnect(spec);
    const corrupt = { armed: false, done: 0 };
    await boardManager(ctx).connect(spec, { wrapTransport: corruptOneChunk(corrupt) });
    const ok = await s.deploy.flash({ model: 'tiny-w8a8', board: spec, force: true });
    const flashed = await ctx.jobs.done<FlashResult>(ok.jobId);
    expect(flashed).toMatchObject({ verified: true, already_active: false });

    corrupt.armed = true;
    const bad = await s.deploy.flash({ model: 'tiny-w4a8', board: spec, force: false });
    await expect(ctx.jobs.done(bad.jobId)).rejects.toThrow(
      new RegExp(`CRC_MISMATCH.*still runs its previous model .*hash ${flashed.model_hash}`),
    );
    expect(corrupt.done).toBe(1);
    const conn = boardManager(ctx).get(spec)!;
    const info = await conn.client.modelInfo();
    expect(info).toMatchObject({ state: 'active', modelHash: flashed.model_hash });
    // And it still answers with the previous model's outputs.
    const art = loadArtifact(ctx.db, 'tiny-w8a8');
    const data = loadDatasetTensors(ctx.db, 'synth', 'test');
    const x = windowInput(art, data, 3);
    const out = await conn.client.infer(new Uint8Array(x.buffer, x.byteOffset, x.length));
    expect(Array.from(new Int8Array(out.output.buffer, out.output.byteOffset, out.output.length))).toEqual(
      Array.from(runReference(art.parsed, x).output),
    );
    const runs = await s.deploy.runs({ kind: 'flash', limit: 1 });
    expect(runs[0]).toMatchObject({ state: 'failed', model: 'tiny-w4a8' });
  }, 120_000);

  it('compare lists the float model and every variant with its device results and Pareto flags', async () => {
    const c = await s.deploy.compare({ model: 'tiny-fp' });
    expect(c.rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['tiny-fp', 'tiny-w8a8', 'tiny-w4a8', 'tiny-w1a8']),
    );
    expect(c.rows[0]!.kind).toBe('float');
    const w4 = c.rows.find((r) => r.name === 'tiny-w4a8')!;
    expect(w4.bit_exact).toBe(true);
    expect(w4.device_accuracy).toBe(w4.host_accuracy);
    expect(w4.latency?.unit).toBe('instructions');
    expect(c.boards).toEqual(['virtual:m0', 'virtual:m4']);
    expect(c.rows.some((r) => r.pareto_size)).toBe(true);
    const m0 = await s.deploy.compare({ model: 'tiny-fp', board: 'virtual:m0' });
    expect(m0.rows.find((r) => r.name === 'tiny-w4a8')!.board).toBeNull(); // profiled on the M4 only
  });

  it('a variant being profiled cannot be removed; once the run is done it goes with its runs', async () => {
    await quantizeVariant(ctx, 'tiny-fp', 'tiny-gone', { weightBits: 8, actBits: 8 });
    const { runId, done } = await profile({
      model: 'tiny-gone',
      board: 'virtual:m4',
      split: 'test',
      maxMismatchDetails: 20,
    });
    // Removing it now would delete the run under the job, which would fail at its next window.
    await expect(Promise.resolve().then(() => s.quant.remove({ name: 'tiny-gone' }))).rejects.toThrow(
      /Model "tiny-gone" is in use by the profile job .*cancel it, then delete/,
    );
    expect(await done).toMatchObject({ state: 'complete', windows: 80 });
    expect(new VariantsRepo(ctx.db).exists('tiny-gone')).toBe(true);
    expect(await s.quant.remove({ name: 'tiny-gone' })).toEqual({ removed: true });
    expect(new RunsRepo(ctx.db).windows(runId)).toEqual([]);
    expect((await s.deploy.runs({ limit: 1000 })).some((r) => r.model === 'tiny-gone')).toBe(false);
  }, 90_000);
});
