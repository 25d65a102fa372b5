// `bitbench verify` and `bitbench export` end to end on a database file, with the JSON field names the
// engine issue makes public: verify prints compared, mismatches, bit_exact, latency {unit, mean}
// (instructions on the virtual boards); export writes the blob the device loads, or a C pair.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAppContext } from '../../src/main/context';
import { readBlob } from '../../src/main/engine/blob-reader';
import { boardManager } from '../../src/main/device/board-manager';
import { createServices } from '../../src/main/services';
import type { Job } from '../../src/shared/api/jobs';
import type { VerifyResult } from '../../src/shared/api/engine';
import { runCliCaptured } from './helpers/cli';
import { quantizeVariant, seedFloatModel } from './helpers/deploy-fixture';
import { skipNote, virtualBoardsUnavailable } from './helpers/virtual-boards';

// Counts the host reference's runs, to see when the board's first answer comes (the wrapper calls through).
vi.mock('../../src/main/engine/reference', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/main/engine/reference')>();
  return { ...real, runReference: vi.fn(real.runReference) };
});
const { runReference } = await import('../../src/main/engine/reference');

const unavailable = virtualBoardsUnavailable();
skipNote(unavailable, 'engine-cli integration tests');

const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-engine-cli-'));
const db = path.join(dir, 'a.db');

const cli = (args: string[]) => runCliCaptured(args, db);

describe('bitbench export / verify', () => {
  beforeAll(async () => {
    const ctx = createAppContext({ dbPath: db, shell: 'cli' });
    seedFloatModel(ctx, { name: 'har-fp' });
    await quantizeVariant(ctx, 'har-fp', 'har-w4', { weightBits: 4, actBits: 8 });
    seedFloatModel(ctx, { wide: true });
    await quantizeVariant(ctx, 'wide-fp', 'wide-w8a8', { weightBits: 8, actBits: 8 });
    await ctx.close();
  }, 120_000);

  it('export --format blob writes the blob the device loads; --format c a header and a source', async () => {
    const blobPath = path.join(dir, 'har-w4.bbm');
    const b = await cli(['export', '--model', 'har-w4', '--format', 'blob', '--out', blobPath, '--json']);
    expect(b.code).toBe(0);
    const r = JSON.parse(b.out) as { bytes: number; layers: number; crc32: string; files: string[] };
    const blob = new Uint8Array(readFileSync(blobPath));
    expect(blob.length).toBe(r.bytes);
    expect(readBlob(blob).layers.length).toBe(r.layers);

    const cDir = path.join(dir, 'c');
    const c = await cli(['export', '--model', 'har-w4', '--format', 'c', '--out', cDir, '--json']);
    expect(c.code).toBe(0);
    const files = (JSON.parse(c.out) as { files: string[] }).files;
    expect(files.some((f) => f.endsWith('.h'))).toBe(true);
    expect(files.some((f) => f.endsWith('.c'))).toBe(true);
    for (const f of files) expect(existsSync(f), f).toBe(true);
  }, 60_000);

  it('export without --out writes into exports/ beside the database', async () => {
    const b = await cli(['export', '--model', 'har-w4', '--json']);
    expect(b.code).toBe(0);
    const blobFile = path.join(dir, 'exports', 'har-w4.bbm');
    expect((JSON.parse(b.out) as { files: string[] }).files).toEqual([blobFile]);
    expect(readBlob(new Uint8Array(readFileSync(blobFile))).layers.length).toBeGreaterThan(0);
    const c = await cli(['export', '--model', 'har-w4', '--format', 'c', '--json']);
    expect(c.code).toBe(0);
    for (const f of (JSON.parse(c.out) as { files: string[] }).files)
      expect(path.dirname(f)).toBe(path.join(dir, 'exports', 'har-w4-c'));
  });

  it('export refuses an unknown format and an unknown model with the reason', async () => {
    const f = await cli(['export', '--model', 'har-w4', '--format', 'onnx', '--out', path.join(dir, 'x')]);
    expect(f.code).not.toBe(0);
    expect(f.err).toMatch(/--format must be blob or c/);
    const m = await cli(['export', '--model', 'nope', '--out', path.join(dir, 'y')]);
    expect(m.code).not.toBe(0);
    expect(m.err).toMatch(/nope/);
  });

  it('export into a path a file is in the way of says which path and what --out takes', async () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    const c = await cli(['export', '--model', 'har-w4', '--format', 'c', '--out', file, '--json']);
    expect(c.code).toBe(1);
    // Formerly: an `internal` error "EEXIST: file already exists, mkdir '…'".
    expect(JSON.parse(c.out)).toMatchObject({
      error: {
        code: 'bad_request',
        message: `Cannot export har-w4 to ${file}: a file is in the way where a folder is needed (${file}). --out takes a folder (created if missing).`,
      },
    });
    const b = await cli(['export', '--model', 'har-w4', '--out', path.join(file, 'x.bbm')]);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/Cannot export har-w4 to .*x\.bbm: a file is in the way where a folder is needed/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('export leaves nothing half-written: a folder in the way of the .c writes no lone .h', async () => {
    const cDir = path.join(dir, 'c-blocked');
    mkdirSync(path.join(cDir, 'har_w4.c'), { recursive: true });
    const c = await cli(['export', '--model', 'har-w4', '--format', 'c', '--out', cDir]);
    expect(c.code).toBe(1);
    expect(c.err).toContain(`Cannot export har-w4 to ${cDir}: ${path.join(cDir, 'har_w4.c')} is a folder.`);
    expect(readdirSync(cDir)).toEqual(['har_w4.c']); // no har_w4.h without its source, no .partial
  });

  // A full disk, made with a tiny tmpfs (root only: CI and these machines run as root).
  const tinyDisk = path.join(dir, 'tiny-disk');
  mkdirSync(tinyDisk);
  const mounted =
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', tinyDisk], { encoding: 'utf8' }).status ===
    0;
  if (!mounted) console.warn('[skipped] export on a full disk: cannot mount a small tmpfs here (needs root)');
  afterAll(() => {
    if (mounted) spawnSync('umount', [tinyDisk]);
  });
  it.skipIf(!mounted)(
    'export on a full disk says so and leaves no truncated blob that looks like a model',
    async () => {
      // 64 KiB with 8 KiB left: less than the ~14 KiB blob, so a write fails half-way.
      writeFileSync(path.join(tinyDisk, 'filler'), Buffer.alloc(56 * 1024));
      const file = path.join(tinyDisk, 'wide.bbm');
      const b = await cli(['export', '--model', 'wide-w8a8', '--out', file, '--json']);
      expect(b.code).toBe(1);
      expect(JSON.parse(b.out)).toMatchObject({
        error: {
          code: 'bad_request',
          message: expect.stringMatching(
            /^Cannot export wide-w8a8 to .*: the disk is full \(\d+ B to write\); nothing was written\./,
          ),
        },
      });
      expect(readdirSync(tinyDisk)).toEqual(['filler']);
    },
  );

  it('export and verify of a float model say it is a float model to quantize, not an unknown name', async () => {
    for (const args of [['export'], ['verify', '--limit', '3']]) {
      const r = await cli([...args, '--model', 'har-fp']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/"har-fp" is a float model: quantize it first/);
    }
  });

  it('verify refuses an empty split and a dataset of another shape before a job exists', async () => {
    const ctx = createAppContext({ dbPath: db, shell: 'cli' });
    try {
      const services = createServices(ctx);
      // The fixture has no val windows: formerly a "0 windows, NOT bit-exact" result in "cycles".
      await expect(services.engine.verifyJob({ model: 'har-w4', split: 'val', limit: 5 })).rejects.toThrow(
        /The val split of synth@1 has no windows/,
      );
      await expect(
        services.engine.verifyJob({ model: 'har-w4', dataset: 'synth-wide', split: 'test', limit: 5 }),
      ).rejects.toThrow(/Dataset synth-wide@1 has windows of 128×9 \(1152 values\); har-w4 takes/);
      expect(await services.jobs.list({ kind: 'verify', limit: 10 })).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it.skipIf(unavailable !== null)(
    'verify of a model the board cannot hold is refused with the numbers before a job or a model load',
    async () => {
      const ctx = createAppContext({ dbPath: db, shell: 'cli' });
      try {
        const services = createServices(ctx);
        await expect(
          services.engine.verifyJob({ model: 'wide-w8a8', board: 'virtual:m0', split: 'test', limit: 5 }),
        ).rejects.toThrow(
          /wide-w8a8 does not fit virtual:m0 \(qemu-microbit, cortex-m0\): inference needs an arena of [\d,]+ B .* but qemu-microbit has 8,192 B/,
        );
        expect(await services.jobs.list({ kind: 'verify', limit: 10 })).toEqual([]);
        // Nothing was sent: the board holds no model, and it verifies one that fits right after.
        const conn = await boardManager(ctx).connect('virtual:m0');
        expect((await conn.client.modelInfo()).state).toBe('none');
        const ok = await services.engine.verify({
          model: 'har-w4',
          board: 'virtual:m0',
          split: 'test',
          limit: 3,
        });
        expect(ok).toMatchObject({ compared: 3, mismatches: 0, bit_exact: true });
      } finally {
        await ctx.close();
      }
    },
    120_000,
  );

  it('verify without a board compares the host reference with the integer simulation', async () => {
    const { code, out } = await cli([
      'verify',
      '--model',
      'har-w4',
      '--split',
      'test',
      '--limit',
      '30',
      '--json',
    ]);
    expect(code).toBe(0);
    const v = JSON.parse(out) as {
      compared: number;
      reference_vs_integer_sim: { compared: number; prediction_mismatches: number };
    };
    expect(v.reference_vs_integer_sim.compared).toBe(30);
    expect(v.reference_vs_integer_sim.prediction_mismatches).toBe(0);
  }, 60_000);

  it('verify refuses a bad --limit and --split before any work', async () => {
    const l = await cli(['verify', '--model', 'har-w4', '--limit', '0']);
    expect(l.code).not.toBe(0);
    expect(l.err).toMatch(/--limit must be a whole number/);
    const s = await cli(['verify', '--model', 'har-w4', '--split', 'all']);
    expect(s.code).not.toBe(0);
    expect(s.err).toMatch(/--split must be train, val or test/);
  });

  it.skipIf(unavailable !== null).each(['virtual:m4', 'virtual:m0'])(
    'verify --board %s --json: every window bit-exact, latency in instructions',
    async (board) => {
      const { code, out } = await cli([
        'verify',
        '--model',
        'har-w4',
        '--board',
        board,
        '--split',
        'test',
        '--limit',
        '20',
        '--json',
      ]);
      expect(code).toBe(0);
      const v = JSON.parse(out) as Record<string, unknown>;
      for (const k of ['compared', 'mismatches', 'bit_exact', 'latency']) expect(v, k).toHaveProperty(k);
      expect(v).toMatchObject({ compared: 20, mismatches: 0, bit_exact: true });
      const latency = v.latency as { unit: string; mean: number };
      expect(latency.unit).toBe('instructions');
      expect(latency.mean).toBeGreaterThan(0);
    },
    120_000,
  );

  it.skipIf(unavailable !== null)(
    "the Deploy page's verify job reports each window, stops when cancelled, and the board keeps working",
    async () => {
      const ctx = createAppContext({ dbPath: db, shell: 'cli' });
      try {
        const services = createServices(ctx);
        const seen: Job[] = [];
        const refsBefore = vi.mocked(runReference).mock.calls.length;
        let refsAtFirstAnswer = -1;
        let firstAnswer = -1;
        const ended = new Promise<Job>((resolve) => {
          ctx.events.subscribe((name, payload) => {
            const job = payload as Job;
            // The only job here; its first events come before verifyJob returns its id.
            if (name !== 'job' || job.kind !== 'verify') return;
            seen.push(job);
            const answered = Number(/window ([1-9]\d*) \/ 80/.exec(job.message)?.[1] ?? 0);
            if (refsAtFirstAnswer < 0 && answered > 0) {
              refsAtFirstAnswer = vi.mocked(runReference).mock.calls.length - refsBefore;
              firstAnswer = answered;
            }
            // Cancel once the board has answered a few windows.
            if (/window ([3-9]|\d\d+) \/ 80/.test(job.message)) ctx.jobs.cancel(job.id);
            if (job.state === 'cancelled' || job.state === 'failed' || job.state === 'succeeded')
              resolve(job);
          });
        });
        const { jobId } = await services.engine.verifyJob({
          model: 'har-w4',
          board: 'virtual:m4',
          split: 'train',
          limit: 80,
        });
        // The job holds the board: a second verify (or a flash, a profile) on it is refused meanwhile.
        await expect(
          services.engine.verifyJob({ model: 'har-w4', board: 'virtual:m4', split: 'test', limit: 5 }),
        ).rejects.toThrow(/virtual:m4 is busy with job/);
        await expect(
          services.engine.verify({ model: 'har-w4', board: 'virtual:m4', split: 'test', limit: 5 }),
        ).rejects.toThrow(/virtual:m4 is busy with job/);
        const end = await ended;
        expect(end.id).toBe(jobId);
        expect(end.state).toBe('cancelled');
        // When the board has answered k windows the host has computed about k references, not all 80: the
        // windows stream (it computed every reference first, 6 min before the first INFER on 2,000 MNIST).
        expect(firstAnswer).toBeGreaterThan(0);
        expect(refsAtFirstAnswer).toBeGreaterThanOrEqual(firstAnswer);
        expect(refsAtFirstAnswer).toBeLessThanOrEqual(firstAnswer + 2);
        expect(refsAtFirstAnswer).toBeLessThan(80);
        const last = Math.max(...seen.map((j) => Number(/window (\d+) \/ 80/.exec(j.message)?.[1] ?? -1)));
        expect(last).toBeGreaterThanOrEqual(3);
        expect(last).toBeLessThan(80);
        // The same board verifies again right after, bit-exact.
        const again = (await services.engine.verify({
          model: 'har-w4',
          board: 'virtual:m4',
          split: 'test',
          limit: 5,
        })) as VerifyResult;
        expect(again).toMatchObject({ compared: 5, mismatches: 0, bit_exact: true });
      } finally {
        await ctx.close();
      }
    },
    120_000,
  );
});
