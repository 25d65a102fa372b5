import type { ServiceImpl } from '../shared/api/contract';
import type { AppContext } from './context';
import { loadedBackend, loadTf } from './ml/tf-loader';
import { appVersion } from './version';

export function createStatusService(ctx: AppContext): ServiceImpl['status'] {
  return {
    get: async ({ loadTf: wantTf }) => {
      const tf = wantTf ? await loadTf() : await loadedBackend();
      return {
        appVersion: appVersion(),
        dbPath: ctx.store.path,
        schemaVersion: ctx.store.schemaVersion,
        tfBackend: tf?.backend ?? null,
        tfBackendNote: tf?.note ?? 'TensorFlow.js not loaded yet',
        shell: ctx.shell,
        platform: `${process.platform}-${process.arch}`,
        nodeVersion: process.versions.node,
      };
    },
  };
}
