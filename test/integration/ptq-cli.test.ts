import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/store/database';
import { ModelsRepo, type TrainingRecord } from '../../src/main/store/models-repo';
import { DatasetsRepo } from '../../src/main/store/datasets-repo';
import { buildModel, extractWeights } from '../../src/main/ml/model-builder';
import { zooSpec } from '../../src/main/ml/zoo';
import { loadTf } from '../../src/main/ml/tf-loader';
import { runCliCaptured } from './helpers/cli';

/**
 * `bitbench quantize` end to end on the real HAR windows (rebuilt from UCI-HAPT, read from
 * ../shared/datasets): bad input refused before any work, then a W8A8 variant stored and listed.
 * The float model is har-cnn with its initial weights (training it here would take minutes);
 * the accuracy target is the unit/integration tests' job, this one checks the path and the JSON.
 */
const HAPT = path.resolve('../shared/datasets/uci-hapt');
const haveData = existsSync(HAPT);
if (!haveData) console.log(`skipping ptq-cli: ${HAPT} not found`);

const cli = runCliCaptured;

describe.skipIf(!haveData)('bitbench quantize (CLI, HAR)', () => {
  it('refuses bad input with the reason, then quantizes har-cnn at W8A8 and stores the variant', async () => {
    const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-ptq-')), 'a.db');
    expect((await cli(['datasets', 'import', 'uci-hapt', HAPT, '--name', 'har'], db)).code).toBe(0);
    const { tf } = await loadTf();
    const spec = zooSpec('har-cnn');
    const weights = extractWeights(buildModel(tf, spec, undefined, { seed: 1 }));
    const store = openStore(db);
    const ds = new DatasetsRepo(store.db).find('har')!;
    new ModelsRepo(store.db).insertTrained({
      name: 'har-fp',
      datasetId: ds.id,
      spec,
      weights,
      metrics: {},
      training: {
        datasetName: 'har',
        datasetVersion: ds.version,
        classes: ds.config.classes,
        inputShape: [128, 9],
        norm: null,
        options: {} as TrainingRecord['options'],
        seed: 1,
        backend: 'test',
        backendNote: '',
        trainSeconds: 0,
        epochsRun: 0,
        bestEpoch: 0,
        stoppedEarly: false,
        params: 523462,
        curves: [],
        evaluations: {},
        jobId: null,
      },
    });
    store.close();

    const bad: Array<[string[], RegExp]> = [
      [['--weights', '0'], /bit width 1\.\.8/],
      [['--input-bits', '9'], /--input-bits must be a bit width 1\.\.8, got "9"/],
      [['--layer-bits', 'conv7=4'], /unknown layer\(s\) "conv7"/],
      [
        ['--calib', '50000'],
        /Calibration set smaller than asked: the train split of har has \d+ windows, 50000/,
      ],
      [['--method', 'mse+minmax'], /two range setters/],
      [['--layer-bits', ''], /per-layer table is empty/],
      [['--seed', '99999999999'], /seed \(--seed\): Too big/],
      // A name names files on export: no spaces or slashes. A float model's name is never overwritten.
      [['--name', 'w8/../x'], /Variant name "w8\/\.\.\/x": letters, digits/],
      [['--name', 'mnist-fp', '--overwrite'], /A float model named "mnist-fp" exists/],
    ];
    // A second float model, for the name clash.
    const store2 = openStore(db);
    const repo2 = new ModelsRepo(store2.db);
    const fp = repo2.byName('har-fp')!;
    repo2.insertTrained({
      name: 'mnist-fp',
      datasetId: fp.datasetId!,
      spec,
      weights,
      metrics: {},
      training: fp.training!,
    });
    store2.close();
    for (const [args, re] of bad) {
      const r = await cli(['quantize', '--model', 'har-fp', '--name', 'bad', '--json', ...args], db);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(re);
      expect(JSON.parse(r.out).error.code).toMatch(/bad_request|conflict/);
    }
    // A flag of the other method family would be ignored: refused, naming it.
    const stray = await cli(
      ['quantize', '--model', 'har-fp', '--name', 'bad', '--method', 'mse', '--epochs', '3', '--json'],
      db,
    );
    expect(stray.code).toBe(1);
    expect(stray.err).toMatch(/--epochs applies to low-bit training methods/);
    const strayInput = await cli(
      ['quantize', '--model', 'har-fp', '--method', 'universal-s1', '--input-bits', '4', '--json'],
      db,
    );
    expect(strayInput.code).toBe(1);
    expect(strayInput.err).toMatch(/--input-bits applies to post-training methods/);
    // A usage error (a required option missing) answers --json with JSON too.
    const usage = await cli(['quantize', '--name', 'x', '--json'], db);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.out).error.message).toMatch(/--model/);
    // Low-bit flags are checked before any work too.
    const lr = await cli(
      ['quantize', '--model', 'har-fp', '--method', 'universal-s1', '--lr-schedule', 'step', '--json'],
      db,
    );
    expect(lr.code).toBe(1);
    expect(lr.err).toMatch(/--lr-schedule: "step" is not constant or cosine/);
    for (const [args, re] of [
      [['--distill', 'alpha=2'], /--distill: alpha must be in \[0, 1\]/],
      [['--rounded-epochs', '1.5'], /--rounded-epochs must be a whole number/],
    ] as const) {
      const r = await cli(
        ['quantize', '--model', 'har-fp', '--method', 'universal-s1', ...args, '--json'],
        db,
      );
      expect(r.code).toBe(1);
      expect(r.err).toMatch(re);
    }
    const jobs = await cli(['jobs', 'list', '--json'], db);
    expect(
      (JSON.parse(jobs.out) as Array<{ kind: string }>).filter((j) => j.kind === 'quantize'),
    ).toHaveLength(0);

    const r = await cli(
      [
        'quantize',
        '--model',
        'har-fp',
        '--weights',
        '8',
        '--acts',
        '8',
        '--method',
        'mse+bias-correction+range-tuning',
        '--tuning-iterations',
        '30',
        '--calib',
        '256',
        '--seed',
        '1',
        '--name',
        'har-w8a8',
        '--json',
      ],
      db,
    );
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out);
    for (const k of [
      'name',
      'float_accuracy',
      'accuracy',
      'model_bytes',
      'bops',
      'peak_memory_bytes',
      'per_layer',
    ])
      expect(rep).toHaveProperty(k);
    expect(rep.name).toBe('har-w8a8');
    // The two BatchNorms are folded into the convolutions; their ReLUs fused.
    expect(rep.per_layer.map((l: { name: string }) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc']);
    expect(rep.per_layer[1].bits).toEqual({ weights: 8, acts: 8, input: 8 });
    expect(typeof rep.per_layer[1].sqnr).toBe('number');
    expect(rep.bops).toBe((217728 + 1523712 + 507904 + 768) * 64);
    // The engine's reference and PTQ's integer simulation agree bit for bit. The float fake-quant
    // simulation may differ on a near-tie: this har-cnn is untrained, its six logits nearly equal in
    // every window, and the argmax logits grid resolves them to a few hundredths; a conv2 sum that
    // float32 rounds to the other level (1 window of 2,996 here) flips one. Trained har-fp: 100.0 % in
    // every PTQ bench row (docs/quantization.md); exact equality is checked in quant-integer.test.ts.
    expect(rep.integer_matches_fake_quant).toBeGreaterThanOrEqual(0.999);
    expect(rep.engine_matches_sim).toBe(1);
    expect(rep.model_bytes).toBe(rep.blob_bytes);
    // The arena is the one the firmware allocates: the exported blob's arena_min, not an estimate.
    const blob = await cli(['export', '--model', 'har-w8a8', '--format', 'blob', '--json'], db);
    expect(blob.code).toBe(0);
    expect(rep.arena_bytes).toBe(JSON.parse(blob.out).arena_bytes);
    expect(rep.test_count).toBeGreaterThan(2000);
    // Range tuning ran end to end on the CLI: the step sizes it kept are in the exported model above.
    expect(rep.method).toBe('mse+bias-correction+range-tuning');
    expect(rep.bias_tuning.loss_after).toBeLessThan(rep.bias_tuning.loss_before);
    expect(rep.bias_tuning.ranges_tuned.map((x: { layer: string }) => x.layer)).toEqual([
      'conv1',
      'conv2',
      'fc1',
    ]);
    expect(rep.config.logitRange).toBe('argmax');
    // Seed 003's W/A: the model input at the activation bits too (the default keeps it at 8).
    const w4 = await cli(
      ['quantize', '--model', 'har-fp', '--weights', '4', '--acts', '4', '--input-bits', 'acts'].concat([
        '--calib',
        '256',
        '--name',
        'har-w4a4-in4',
        '--json',
      ]),
      db,
    );
    expect(w4.code).toBe(0);
    const rep4 = JSON.parse(w4.out);
    expect(rep4.config.inputBits).toBe(4);
    expect(rep4.per_layer[0].bits).toEqual({ weights: 4, acts: 4, input: 4 });
    expect(rep4.per_layer[0].bops).toBe(217728 * 4 * 4);
    await cli(['variants', 'remove', 'har-w4a4-in4', '--json'], db);
    const list = await cli(['variants', 'list', '--model', 'har-fp', '--json'], db);
    expect(JSON.parse(list.out).map((v: { name: string }) => v.name)).toEqual(['har-w8a8']);
    // W8A8 without a per-layer table is not "mixed", although the logits keep their own grid.
    expect(JSON.parse(list.out)[0].mixed).toBe(false);
    const noModel = await cli(['variants', 'list', '--model', 'nosuch', '--json'], db);
    expect(noModel.code).toBe(1);
    expect(JSON.parse(noModel.out).error.code).toBe('not_found');
    // `models list` and the model card show a variant with its report's numbers, not a float model's.
    const models = JSON.parse((await cli(['models', 'list', '--json'], db)).out) as Array<
      Record<string, unknown>
    >;
    expect(models.find((m) => m.name === 'har-w8a8')).toMatchObject({
      kind: 'quantized',
      size_bytes: rep.model_bytes,
      test_accuracy: rep.accuracy,
      dataset: 'har',
    });
    const card = JSON.parse((await cli(['models', 'show', 'har-w8a8', '--json'], db)).out) as {
      classes: string[];
    };
    expect(card.classes).toHaveLength(6);
    const again = await cli(
      ['quantize', '--model', 'har-fp', '--name', 'har-w8a8', '--calib', '64', '--json'],
      db,
    );
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
    // variants remove: an unknown name is refused; the variant goes, its float parent stays.
    const none = await cli(['variants', 'remove', 'har-w4a4', '--json'], db);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/No quantized variant named "har-w4a4"/);
    expect(JSON.parse(none.out).error.code).toBe('not_found');
    expect((await cli(['variants', 'remove', 'har-w8a8', '--json'], db)).code).toBe(0);
    expect(JSON.parse((await cli(['variants', 'list', '--json'], db)).out)).toEqual([]);
    expect((await cli(['models', 'show', 'har-fp', '--json'], db)).code).toBe(0);
  }, 600_000);
});
