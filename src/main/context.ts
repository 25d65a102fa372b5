import type { HintAudience } from '../shared/hints';
import { EventHub } from './api/event-hub';
import { JobRunner } from './jobs/job-runner';
import { openStore, type Db, type OpenedStore } from './store/database';
import { JobsRepo } from './store/jobs-repo';
import { onDamagedRows } from './store/json-column';

export type Shell = 'electron' | 'headless-host' | 'cli';

/**
 * Everything a service needs, created once per process (Electron app, headless host, CLI or test).
 * Features keep their long-lived objects (board manager, training pool…) as singletons here so that
 * the services that share them get the same instance, and register cleanup with `onClose`.
 */
export class AppContext {
  readonly events = new EventHub();
  readonly jobs: JobRunner;
  private readonly singletons = new Map<string, unknown>();
  private readonly closers: Array<() => void | Promise<void>> = [];
  private closed = false;

  constructor(
    readonly store: OpenedStore,
    readonly shell: Shell,
  ) {
    this.jobs = new JobRunner(new JobsRepo(store.db), this.events, store.path);
    // Rows a list leaves out for a damaged value: the CLI prints them on stderr, the app over the page.
    this.closers.push(onDamagedRows(store.db, (rows) => this.events.emit('damagedRows', { rows })));
  }

  /** Whom this process's errors speak to: the CLI user (commands, flags) or the app user (pages, fields). */
  get audience(): HintAudience {
    return this.shell === 'cli' ? 'cli' : 'app';
  }

  get db(): Db {
    return this.store.db;
  }

  singleton<T>(key: string, make: () => T): T {
    if (!this.singletons.has(key)) this.singletons.set(key, make());
    return this.singletons.get(key) as T;
  }

  onClose(fn: () => void | Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.closers.reverse()) {
      try {
        await fn();
      } catch {
        // keep closing the rest
      }
    }
    this.store.close();
  }
}

export function createAppContext(opts: { dbPath: string; shell: Shell; nativeBinding?: string }): AppContext {
  const store = openStore(opts.dbPath, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {});
  return new AppContext(store, opts.shell);
}
