import type { Command } from 'commander';
import { command, optionsOf, type CliRuntime } from '../runtime';

export function registerJobsCommands(program: Command, rt: CliRuntime): void {
  const jobs = program
    .command('jobs')
    .description('long-running work: training, quantization, flashing, profiling');
  command(jobs, 'list', 'recent jobs, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--kind <kind>', 'only jobs of this kind')
    .action(async (_o, cmd: Command) => {
      const opts = optionsOf<{ db?: string; json?: boolean; limit: string; kind?: string }>(cmd);
      const { services } = await rt.open(opts);
      const list = await services.jobs.list({
        limit: Number(opts.limit),
        ...(opts.kind ? { kind: opts.kind } : {}),
      });
      rt.print(opts, list, (v) =>
        v.length === 0
          ? 'No jobs yet.'
          : v
              .map(
                (j) =>
                  `${j.id.slice(0, 8)}  ${j.kind.padEnd(12)} ${j.state.padEnd(11)} ${(j.progress * 100).toFixed(0).padStart(3)}%  ${j.createdAt}  ${j.error ?? j.message}`,
              )
              .join('\n'),
      );
    });
}
