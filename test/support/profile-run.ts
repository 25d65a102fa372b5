import type { NewRun } from '../../src/main/store/runs-repo';

/**
 * A profile run row as the profiler creates it on virtual:m4 (QEMU mps2-an386, instructions), for
 * tests that store runs directly, without a board; `over` sets the dataset, windows and the rest.
 */
export function profileRun(modelId: number, over: Partial<NewRun> = {}): NewRun {
  return {
    kind: 'profile',
    modelId,
    board: 'virtual:m4',
    boardName: 'qemu-mps2-an386',
    cpu: 'cortex-m4',
    counterKind: 'instructions',
    firmwareVersion: '0.1.0',
    buildId: 'b1',
    modelHash: '00112233aabbccdd',
    datasetName: 'synth',
    datasetVersion: 1,
    split: 'test',
    windowsTotal: 1,
    config: {},
    ...over,
  };
}
