import { describe, expect, it } from 'vitest';
import { runTrainingInWorker } from '../../../src/main/ml/train-client';
import type { TrainInput } from '../../../src/main/ml/trainer';
import { TrainOptionsSchema } from '../../../src/shared/model/training';
import { smallSpec, syntheticSplit } from './synthetic';

function input(epochs: number, count = 240): TrainInput {
  return {
    spec: smallSpec,
    windowShape: [32, 3],
    classes: ['a', 'b', 'c'],
    train: syntheticSplit(count, 1),
    val: syntheticSplit(60, 2),
    options: TrainOptionsSchema.parse({ epochs, batchSize: 16, learningRate: 0.01, seed: 3 }),
  };
}

describe('training in a worker_thread', () => {
  it('streams ready, batch and epoch messages and returns the trained weights', async () => {
    const epochs: number[] = [];
    let ticks = 0;
    let backend = '';
    const r = await runTrainingInWorker(input(2), {
      onReady: (b) => (backend = b),
      onBatch: () => ticks++,
      onEpoch: (m) => epochs.push(m.epoch),
    });
    expect(backend).toBe(r.backend);
    expect(['wasm', 'cpu', 'tensorflow']).toContain(r.backend);
    expect(epochs).toEqual([1, 2]);
    expect(ticks).toBeGreaterThanOrEqual(2); // at least the last batch of each epoch
    expect(r.output.weights.map((w) => w.layer)).toEqual(['conv', 'conv', 'fc', 'fc']);
    expect(r.output.evaluations.val!.count).toBe(60);
  });

  it('cancel: the worker stops after the batch in flight and reports it was cancelled', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    let abortedAt = 0;
    const r = await runTrainingInWorker(input(50, 2400), {
      signal: ac.signal,
      onBatch: () => {
        if (!abortedAt) {
          abortedAt = Date.now();
          ac.abort();
        }
      },
    });
    expect(r.output.cancelled).toBe(true);
    expect(r.output.batchesRun).toBeLessThan(50 * 150);
    expect(r.output.epochsRun).toBe(0);
    // Stopped promptly (a batch here is a few ms; allow for a loaded machine).
    expect(Date.now() - abortedAt).toBeLessThan(5000);
    expect(abortedAt).toBeGreaterThan(t0);
  });

  it('a crash of the worker is reported, not swallowed', async () => {
    await expect(runTrainingInWorker(input(3), { crashAfterBatches: 2 })).rejects.toThrow(
      /training worker exited unexpectedly \(exit code 70\)/,
    );
  });

  it('a refusal inside the worker arrives with its code and reason', async () => {
    const one = input(1);
    one.train.y.fill(0);
    await expect(runTrainingInWorker(one)).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/only one class/),
    });
  });
});
