// One damaged database row must not hide a whole list: `models list`, `variants list` and
// `jobs list` show every readable row on stdout (still valid JSON with --json) and name the damaged
// one in a warning line on stderr; opening that row by name still fails with the store error.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/store/database';
import { JobsRepo } from '../../src/main/store/jobs-repo';
import { runCliCaptured } from './helpers/cli';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-damaged-'));
const db = path.join(dir, 'a.db');
const cli = (args: string[]) => runCliCaptured(args, db);
const names = (out: string) => (JSON.parse(out) as Array<{ name: string }>).map((r) => r.name);

beforeAll(() => {
  const { db: d, close } = openStore(db);
  try {
    const spec = JSON.stringify({ arch: 'har-cnn', inputShape: [128, 9], layers: [] });
    const addModel = d.prepare(
      `INSERT INTO models (name, kind, parent_id, arch, spec, metrics, created_at) VALUES (?, ?, ?, 'har-cnn', ?, '{}', ?)`,
    );
    const fp = Number(addModel.run('fp', 'float', null, spec, '2026-01-01').lastInsertRowid);
    const addVariant = d.prepare(
      `INSERT INTO quant_variants (model_id, parent_id, method, weight_bits, act_bits, config, settings, integer_model, report, created_at)
       VALUES (?, ?, 'minmax', 8, 8, '{}', '{}', '{}', ?, ?)`,
    );
    for (const [i, name] of ['v-a', 'v-b', 'v-c'].entries()) {
      const at = `2026-01-0${i + 2}`;
      const id = Number(addModel.run(name, 'quantized', fp, spec, at).lastInsertRowid);
      addVariant.run(id, fp, JSON.stringify({ accuracy: 0.9, float_accuracy: 0.92 }), at);
    }
    // The damage: a model's spec, another variant's report, a job's params.
    d.prepare(`UPDATE models SET spec = '{broken' WHERE name = 'v-a'`).run();
    d.prepare(
      `UPDATE quant_variants SET report = '{"accuracy": 0.9' WHERE model_id = (SELECT id FROM models WHERE name = 'v-b')`,
    ).run();
    const jobs = new JobsRepo(d);
    jobs.insert('job-1', 'train', { name: 'fp' });
    jobs.insert('job-2', 'quantize', { name: 'v-a' });
    d.prepare(`UPDATE jobs SET params = '{"name' WHERE id = 'job-1'`).run();
  } finally {
    close();
  }
});

describe('a damaged row in a list (CLI)', () => {
  it('models list shows the other models and warns about the damaged one on stderr', async () => {
    const json = await cli(['models', 'list', '--json']);
    expect(json.code, json.err).toBe(0);
    expect(names(json.out).sort()).toEqual(['fp', 'v-b', 'v-c']);
    const warnings = json.err.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('model "v-a"');
    expect(warnings[0]).toContain('table models, column spec');

    const human = await cli(['models', 'list']);
    expect(human.code).toBe(0);
    for (const n of ['fp', 'v-b', 'v-c']) expect(human.out).toContain(n);
    expect(human.out).not.toContain('v-a');
    expect(human.err).toContain('model "v-a"');
  });

  it('variants list leaves out the variant with a damaged report and names it', async () => {
    const r = await cli(['variants', 'list', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(names(r.out).sort()).toEqual(['v-a', 'v-c']);
    expect(r.err).toMatch(/^warning: .*variant "v-b".*table quant_variants, column report/m);
  });

  it('jobs list leaves out the job with damaged params and names it', async () => {
    const r = await cli(['jobs', 'list', '--json']);
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as Array<{ id: string }>).map((j) => j.id)).toEqual(['job-2']);
    expect(r.err).toMatch(/^warning: .*job job-1 \(train\).*table jobs, column params/m);
  });

  it('opening the damaged row by name still fails with the store error', async () => {
    const r = await cli(['models', 'show', 'v-a', '--json']);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.out) as { error: { code: string; message: string } };
    expect(error.code).toBe('store');
    expect(error.message).toContain('model "v-a"');
    expect(error.message).toContain('table models, column spec');
  });
});
