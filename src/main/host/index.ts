import path from 'node:path';
import { parseArgs } from 'node:util';
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
const USAGE = `Usage: node out/main/host.js [--port N] [--db FILE]
Serves bitbench's UI and API on 127.0.0.1 to a browser on this machine (npm start does this when
the Electron binary is missing).
  --port N    port to listen on (default: a free one)
  --db FILE   SQLite database (default: BITBENCH_DB, else the per-user data directory)
  -h, --help  this text
`;

/** The options, or exits: 0 after --help, 2 with the usage on anything it does not know. */
function options(): { port?: number; db?: string } {
  try {
    const { values } = parseArgs({
      options: { port: { type: 'string' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      // Electron-era launchers may pass their own flags after `--`.
      allowPositionals: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
      throw new Error(`--port must be a port number 0..65535, not "${values.port}"`);
    return { ...(port !== undefined ? { port } : {}), ...(values.db ? { db: values.db } : {}) };
  } catch (err) {
    process.stderr.write(`bitbench host: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const opts = options();
  const dbPath = resolveDbPath(opts.db);
  let ctx: AppContext | undefined;
  let dispatch: Dispatch;
  try {
    ctx = createAppContext({ dbPath, shell: 'headless-host' });
    dispatch = createDispatcher(createServices(ctx), { dbPath: ctx.store.path });
  } catch (err) {
    // Still serve the UI, so the browser shows an error page naming the file; exit code stays 0
    // until the user stops the host, and the terminal says it too.
    process.stderr.write(`bitbench: ${(err as Error).message}\n`);
    dispatch = failingDispatcher(err);
  }
  const host = await startHost({
    dispatch,
    events: ctx?.events ?? new EventHub(),
    rendererDir: path.join(appRoot(), 'out', 'renderer'),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
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
