import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker_thread entry `<name>` that sits beside the module whose `import.meta.url` is
 * `here`. In the build every main chunk lands flat in out/main/, so the built `<name>.js` is a sibling
 * of whichever chunk holds the caller. From the sources (tests, `tsx`) the worker is `<name>.ts`,
 * loaded through tsx's `tsImport` from a small eval bootstrap: on Node 20 `execArgv: ['--import',
 * 'tsx']` does not apply tsx's hooks to a worker's entry module ("Unknown file extension .ts",
 * measured on 20.20). Callers pass `here` in a variable, not `import.meta.url` inline in
 * `new URL(…)`, so the bundler does not treat the URL as an asset.
 */
export function spawnWorkerEntry(here: string, name: string): Worker {
  const ts = new URL(`./${name}.ts`, here);
  if (here.endsWith('.ts') && existsSync(fileURLToPath(ts))) {
    const boot = `import('tsx/esm/api').then((api) => api.tsImport(${JSON.stringify(ts.href)}, ${JSON.stringify(here)}))`;
    return new Worker(boot, { eval: true });
  }
  return new Worker(new URL(`./${name}.js`, here));
}
