import path from 'node:path';
import { createDispatcher } from '../api/dispatcher';
import { createAppContext } from '../context';
import { appRoot, resolveDbPath } from '../paths';
import { createServices } from '../services';
import { startHost } from './host-server';

/**
 * `npm start` on a machine without the Electron binary (and `node out/main/host.js`): the same
 * services served to the React UI in a plain browser. Options: --port N, --db FILE.
 */
function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  let ctx;
  try {
    ctx = createAppContext({ dbPath: resolveDbPath(argValue('--db')), shell: 'headless-host' });
  } catch (err) {
    process.stderr.write(`bitbench: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const services = createServices(ctx);
  const port = argValue('--port');
  const host = await startHost({
    dispatch: createDispatcher(services),
    events: ctx.events,
    rendererDir: path.join(appRoot(), 'out', 'renderer'),
    ...(port ? { port: Number(port) } : {}),
  });
  process.stdout.write(
    `bitbench headless host (no Electron binary here) — database ${ctx.store.path}\n` +
      `Open this URL in a browser on this machine:\n  ${host.openUrl}\n`,
  );
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await host.close();
    await ctx.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('disconnect', () => void stop(0));
}

void main();
