import { Command } from 'commander';
import type { EventPayload, ServiceImpl } from '../../shared/api/contract';
import type { Job } from '../../shared/api/jobs';
import { BitbenchError } from '../../shared/errors';
import { createAppContext, type AppContext } from '../context';
import type { JobHandle } from '../jobs/job-runner';
import { resolveDbPath } from '../paths';
import { createServices } from '../services';

export interface CommonOptions {
  db?: string;
  json?: boolean;
}

/**
 * What a command needs: the services over a context opened on the chosen database, output in
 * human or JSON form, and a progress line for jobs. One context per CLI process.
 */
export class CliRuntime {
  private ctx: AppContext | undefined;
  private services: ServiceImpl | undefined;
  /**
   * Set by a command whose result was printed but is not a success (a recording cut short, a run
   * that does not reproduce): the process exits with it, 1, instead of 0.
   */
  exitCode = 0;

  constructor(private readonly stdout: (s: string) => void = (s) => process.stdout.write(s)) {}

  async open(opts: CommonOptions): Promise<{ ctx: AppContext; services: ServiceImpl }> {
    if (!this.ctx) {
      this.ctx = createAppContext({ dbPath: resolveDbPath(opts.db), shell: 'cli' });
      this.services = createServices(this.ctx);
      // A row a list left out for a damaged value: one warning line each on stderr (stdout, and so
      // --json, carries the readable rows as always).
      const warned = new Set<string>();
      this.ctx.events.subscribe((name, payload) => {
        if (name !== 'damagedRows') return;
        for (const d of (payload as EventPayload<'damagedRows'>).rows) {
          if (warned.has(d.message)) continue;
          warned.add(d.message);
          process.stderr.write(`warning: left out of the list: ${d.message}\n`);
        }
      });
    }
    return { ctx: this.ctx, services: this.services! };
  }

  /** The open database's file, for error messages; null before a command opened it. */
  storePath(): string | null {
    return this.ctx?.store.path ?? null;
  }

  async close(): Promise<void> {
    await this.ctx?.close();
    this.ctx = undefined;
  }

  /** Prints `value` as JSON with --json, else the human rendering. */
  print<T>(opts: CommonOptions, value: T, human: (v: T) => string): void {
    this.stdout(opts.json ? JSON.stringify(value, null, 2) + '\n' : human(value) + '\n');
  }

  /**
   * Follows a job on stderr (a progress line), cancels it on Ctrl-C, returns its result. `job` is its
   * handle, or the id a service returned for a job it started in this process.
   */
  async follow<T>(ctx: AppContext, job: JobHandle<T> | string, opts: CommonOptions): Promise<T> {
    const handle = typeof job === 'string' ? { id: job, done: ctx.jobs.done<T>(job) } : job;
    const tty = process.stderr.isTTY && !opts.json;
    let lastLine = '';
    let lastPrinted = 0;
    const render = (job: Pick<Job, 'progress' | 'message' | 'etaSeconds'>) => {
      const width = 24;
      const filled = Math.round(job.progress * width);
      const eta = job.etaSeconds !== null ? ` ETA ${Math.ceil(job.etaSeconds)}s` : '';
      return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(job.progress * 100).toFixed(0).padStart(3)}% ${job.message}${eta}`;
    };
    const unsubscribe = ctx.events.subscribe((name, payload) => {
      if (name !== 'job') return;
      const job = payload as Job;
      if (job.id !== handle.id) return;
      const line = render(job);
      const now = Date.now();
      if (tty) {
        process.stderr.write(`\r${line.padEnd(lastLine.length)}`);
        lastLine = line;
      } else if (now - lastPrinted > 1000 || job.state !== 'running') {
        process.stderr.write(line + '\n');
        lastPrinted = now;
      }
    });
    const onSigint = () => {
      ctx.jobs.cancel(handle.id);
      process.stderr.write('\ncancelling…\n');
    };
    process.once('SIGINT', onSigint);
    try {
      return await handle.done;
    } finally {
      process.off('SIGINT', onSigint);
      unsubscribe();
      if (tty && lastLine) process.stderr.write('\n');
    }
  }
}

/** A subcommand with the options every command takes. */
export function command(parent: Command, nameAndArgs: string, description: string): Command {
  return parent
    .command(nameAndArgs)
    .description(description)
    .option('--db <path>', 'SQLite database file (default: $BITBENCH_DB or the app data folder)')
    .option('--json', 'print machine-readable JSON');
}

/** Options of a command merged with the program's. */
export function optionsOf<T extends CommonOptions>(cmd: Command): T {
  return cmd.optsWithGlobals() as T;
}

export function fail(message: string): never {
  throw new BitbenchError('bad_request', message);
}
