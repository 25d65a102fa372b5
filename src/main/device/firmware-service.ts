import { execFile } from 'node:child_process';
import type { ServiceImpl } from '../../shared/api/contract';
import { BitbenchError } from '../../shared/errors';
import type { AppContext } from '../context';
import { flashFirmware, planFlash } from './firmware-flasher';
import { firmwareRoot } from './virtual-boards';

function buildJobs(ctx: AppContext): Map<string, Promise<unknown>> {
  return ctx.singleton('firmware.buildJobs', () => new Map<string, Promise<unknown>>());
}

/** The result of a firmware build job started in this process (the CLI follows it). */
export function firmwareBuildDone(ctx: AppContext, id: string): Promise<unknown> {
  return buildJobs(ctx).get(id) ?? Promise.reject(new BitbenchError('not_found', `No build job ${id}.`));
}

/** Builds the firmware and puts it on real boards (drive copy, st-flash or OpenOCD). */
export function createFirmwareService(ctx: AppContext): ServiceImpl['firmware'] {
  const env = () => ({ firmwareRoot: firmwareRoot() });
  return {
    detect: ({ board }) => planFlash(board, env()),
    flash: ({ board, drive }) => flashFirmware(board, { ...env(), ...(drive ? { drive } : {}) }),
    build: ({ board }) => {
      const args = ['-C', firmwareRoot(), ...(board ? [`BOARD=${board}`] : [])];
      const handle = ctx.jobs.start('firmware-build', { board: board ?? 'all' }, async (job) => {
        job.progress(0.05, `make ${args.join(' ')}`);
        const out = await new Promise<string>((resolve, reject) => {
          execFile(
            'make',
            args,
            { timeout: 300_000, encoding: 'utf8', maxBuffer: 8 << 20 },
            (err, so, se) => {
              if (err) {
                const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
                reject(
                  new BitbenchError(
                    'unavailable',
                    missing
                      ? 'make is not installed (apt-get install make gcc-arm-none-eabi libnewlib-arm-none-eabi).'
                      : `make ${args.join(' ')} failed: ${(se || err.message).trim().slice(-800)}`,
                  ),
                );
              } else resolve(`${so}${se}`);
            },
          );
        });
        return { board: board ?? 'all', log: out.trim().split('\n').slice(-20).join('\n') };
      });
      const jobs = buildJobs(ctx);
      jobs.set(handle.id, handle.done);
      handle.done.then(
        () => jobs.delete(handle.id),
        () => setTimeout(() => jobs.delete(handle.id), 60_000).unref(),
      );
      return { jobId: handle.id };
    },
  };
}
