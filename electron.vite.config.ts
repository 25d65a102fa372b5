import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// Main-process entries. Everything lands flat in out/main/ so that code in any chunk can find a
// sibling entry (the training worker, the host) with `new URL('./x.js', import.meta.url)`.
const mainEntries: Record<string, string> = {
  index: resolve('src/main/app/index.ts'),
  host: resolve('src/main/host/index.ts'),
  cli: resolve('src/main/cli/index.ts'),
};
// Every worker_thread entry (`src/main/**/<name>-worker.ts`) becomes out/main/<name>-worker.js.
function addWorkers(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) addWorkers(full);
    else if (entry.name.endsWith('-worker.ts')) mainEntries[entry.name.replace(/\.ts$/, '')] = resolve(full);
  }
}
addWorkers('src/main');

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
