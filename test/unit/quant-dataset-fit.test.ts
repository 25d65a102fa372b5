import { describe, expect, it } from 'vitest';
import { checkDatasetFitsModel } from '../../src/main/quant/dataset-fit';
import type { ParentModel } from '../../src/main/store/variants-repo';
import { ModelSpecSchema } from '../../src/shared/model/spec';

/** The one check PTQ, low-bit training and the sensitivity sweep make of a dataset against a model. */
const parent = (classes: string[] | null): ParentModel => ({
  id: 1,
  name: 'g2',
  arch: 'custom',
  spec: ModelSpecSchema.parse({
    arch: 'custom',
    inputShape: [8, 3],
    numClasses: 2,
    layers: [
      { type: 'flatten', name: 'flatten' },
      { type: 'dense', name: 'fc', units: 2 },
    ],
  }),
  weights: [],
  datasetId: null,
  dataset: null,
  classes,
});

describe('checkDatasetFitsModel', () => {
  it('accepts the same shape and classes in the same order', () => {
    expect(() =>
      checkDatasetFitsModel(parent(['flex', 'punch']), 'g2', { shape: [8, 3], classes: ['flex', 'punch'] }),
    ).not.toThrow();
  });

  it('refuses another window shape, another class count, other names, another order', () => {
    const p = parent(['flex', 'punch']);
    expect(() => checkDatasetFitsModel(p, 'd', { shape: [8, 6], classes: ['flex', 'punch'] })).toThrow(
      /windows of 8×6, the model takes 8×3/,
    );
    expect(() =>
      checkDatasetFitsModel(p, 'g3', { shape: [8, 3], classes: ['flex', 'punch', 'wave'] }),
    ).toThrow(/Dataset g3 has 3 classes \(flex, punch, wave\), model "g2" has 2 \(flex, punch\)/);
    expect(() => checkDatasetFitsModel(p, 'd', { shape: [8, 3], classes: ['flex', 'wave'] })).toThrow(
      /classes flex, wave, model "g2" was trained on flex, punch: use a dataset/,
    );
    expect(() => checkDatasetFitsModel(p, 'd', { shape: [8, 3], classes: ['punch', 'flex'] })).toThrow(
      /the same names in another order/,
    );
  });

  it('a model with no recorded class names is checked on the class count', () => {
    expect(() =>
      checkDatasetFitsModel(parent(null), 'd', { shape: [8, 3], classes: ['x', 'y'] }),
    ).not.toThrow();
    expect(() => checkDatasetFitsModel(parent(null), 'd', { shape: [8, 3], classes: ['x'] })).toThrow(
      /has 1 classes \(x\), model "g2" has 2: use/,
    );
  });
});
