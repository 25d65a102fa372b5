import type { Command } from 'commander';
import { BitbenchError } from '../../../shared/errors';
import { JOB_KINDS } from '../../jobs/job-kinds';
import { JobsRepo } from '../../store/jobs-repo';
import { command, fail, optionsOf, type CliRuntime } from '../runtime';

const MAX_LIMIT = 1000;

export function registerJobsCommands(program: Command, rt: CliRuntime): void {
  const jobs = program
    .command('jobs')
    .description('long-running work: training, quantization, flashing, profiling');
  command(jobs, 'list', 'recent jobs, newest first')
    .option('--limit <n>', `how many (1–${MAX_LIMIT})`, '20')
    .option('--kind <kind>', `only jobs of this kind (${JOB_KINDS.join(', ')})`)
    .action(async (_o, cmd: Command) => {
      const opts = optionsOf<{ db?: string; json?: boolean; limit: string; kind?: string }>(cmd);
      const limit = Number(opts.limit);
      if (!/^\d+$/.test(opts.limit.trim()) || limit < 1 || limit > MAX_LIMIT)
        fail(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got "${opts.limit}".`);
      const { ctx, services } = await rt.open(opts);
      if (opts.kind !== undefined) {
        const known = new Set<string>([...JOB_KINDS, ...new JobsRepo(ctx.db).kinds()]);
        if (!known.has(opts.kind))
          fail(`--kind must be one of ${[...known].join(', ')}; got "${opts.kind}".`);
      }
      const list = await services.jobs.list({ limit, ...(opts.kind ? { kind: opts.kind } : {}) });
      rt.print(opts, list, (v) =>
        v.length === 0
          ? opts.kind
            ? `No ${opts.kind} jobs yet.`
            : 'No jobs yet.'
          : v
              .map(
                (j) =>
                  `${j.id.slice(0, 8)}  ${j.kind.padEnd(12)} ${j.state.padEnd(11)} ${(j.progress * 100).toFixed(0).padStart(3)}%  ${j.createdAt}  ${j.error ?? j.message}`,
              )
              .join('\n'),
      );
    });
  command(
    jobs,
    'cancel <id>',
    'cancel a queued or running job (its id, or the start of it as `jobs list` shows)',
  ).action(async (id: string, _o, cmd: Command) => {
    const opts = optionsOf<{ db?: string; json?: boolean }>(cmd);
    const { ctx, services } = await rt.open(opts);
    // `jobs list` shows ids cut to 8 characters: a unique prefix names a job too.
    const matches = (await services.jobs.list({ limit: MAX_LIMIT })).filter((j) => j.id.startsWith(id));
    if (matches.length > 1)
      fail(
        `"${id}" starts ${matches.length} job ids: ${matches.map((j) => j.id).join(', ')}. Give more of it.`,
      );
    const job = await services.jobs.get({ id: matches[0]?.id ?? id });
    id = job.id;
    if (job.state !== 'running' && job.state !== 'queued')
      fail(`Job ${id} (${job.kind}) is ${job.state}: nothing to cancel.`);
    const r = await services.jobs.cancel({ id });
    if (!r.cancelled) fail(`Job ${id} (${job.kind}) ended meanwhile: nothing to cancel.`);
    // Another process runs it (the app, another command): it was asked to, and stops it within a
    // fraction of a second; wait to say how it ended.
    let state = (await services.jobs.get({ id })).state;
    for (let waited = 0; (state === 'running' || state === 'queued') && waited < 10_000; waited += 100) {
      await new Promise((res) => setTimeout(res, 100));
      state = (await services.jobs.get({ id })).state;
    }
    const pid = new JobsRepo(ctx.db).ownerPid(id);
    if (state === 'running' || state === 'queued')
      throw new BitbenchError(
        'timeout',
        `Job ${id} (${job.kind}) was asked to cancel but still runs after 10 s${pid !== null ? ` (pid ${pid})` : ''}; it stops at its next checkpoint.`,
      );
    rt.print(opts, { id, kind: job.kind, cancelled: state === 'cancelled', state }, (v) =>
      v.cancelled
        ? `cancelled ${id} (${job.kind})`
        : `${id} (${job.kind}) ended ${state} before the cancel took effect`,
    );
  });
}
