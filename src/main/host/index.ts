import path from 'node:path';
import { createDispatcher, type Dispatch } from '../api/dispatcher';
import { EventHub } from '../api/event-hub';
import { failingDispatcher } from '../api/failing-services';
import { createAppContext, type AppContext } from '../context';
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
  const dbPath = resolveDbPath(argValue('--db'));
  let ctx: AppContext | undefined;
  let dispatch: Dispatch;
  try {
    ctx = createAppContext({ dbPath, shell: 'headless-host' });
    dispatch = createDispatcher(createServices(ctx));
  } catch (err) {
    // Still serve the UI, so the browser shows an error page naming the file; exit code stays 0
    // until the user stops the host, and the terminal says it too.
    process.stderr.write(`bitbench: ${(err as Error).message}\n`);
    dispatch = failingDispatcher(err);
  }
  const port = argValue('--port');
  const host = await startHost({
    dispatch,
    events: ctx?.events ?? new EventHub(),
    rendererDir: path.join(appRoot(), 'out', 'renderer'),
    ...(port ? { port: Number(port) } : {}),
  });
  process.stdout.write(
    `bitbench headless host — database ${ctx?.store.path ?? `${dbPath} (NOT OPEN: see the error above)`}\n` +
      `Open this URL in a browser on this machine:\n  ${host.openUrl}\n`,
  );
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await host.close();
    await ctx?.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('disconnect', () => void stop(0));
}

void main();
