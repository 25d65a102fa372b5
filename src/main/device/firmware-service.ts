import { execFile } from 'node:child_process';
import type { ServiceImpl } from '../../shared/api/contract';
import { BitbenchError } from '../../shared/errors';
import type { AppContext } from '../context';
import { flashFirmware, planFlash } from './firmware-flasher';
import { firmwareRoot } from './virtual-boards';

/** Builds the firmware and puts it on real boards (drive copy, st-flash or OpenOCD). */
export function createFirmwareService(ctx: AppContext): ServiceImpl['firmware'] {
  const env = () => ({ firmwareRoot: firmwareRoot(), audience: ctx.audience });
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
            // Cancel (the job's signal) stops make; the job then ends as cancelled.
            { timeout: 300_000, encoding: 'utf8', maxBuffer: 8 << 20, signal: job.signal },
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
      return { jobId: handle.id };
    },
  };
}
