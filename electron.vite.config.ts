import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// Main-process entries. Everything lands flat in out/main/ so that code in any chunk can find a
// sibling entry (the training worker, the host) with `new URL('./x.js', import.meta.url)`.
const mainEntries: Record<string, string> = {
  index: resolve('src/main/app/index.ts'),
  host: resolve('src/main/host/index.ts'),
  cli: resolve('src/main/cli/index.ts'),
};
// TODO(lead): make unconditional once the training worker lands.
if (existsSync('src/main/ml/train-worker.ts'))
  mainEntries['train-worker'] = resolve('src/main/ml/train-worker.ts');

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: mainEntries,
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Bundle zod and the shared contract in: a sandboxed preload can require only 'electron'.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        // A sandboxed preload cannot use ESM imports: emit one CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
    plugins: [react()],
  },
});
