// firmware.build runs `make -C firmware` as a job (the Devices page's Build firmware): Cancel stops
// make, and the job ends as cancelled, well before a build of every board would have finished.
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/main/context';
import { createServices } from '../../src/main/services';
import { onPath } from '../../src/main/device/qemu-launcher';

const skip = onPath('make') && onPath('arm-none-eabi-gcc') ? null : 'no make / arm-none-eabi-gcc';
if (skip) console.warn(`[skipped] firmware build job: ${skip}`);

describe.skipIf(skip !== null)('the firmware build job', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-fw-build-'));
  const firmware = path.join(dir, 'firmware');
  cpSync(path.join(__dirname, '../../firmware'), firmware, {
    recursive: true,
    filter: (src) => path.basename(src) !== 'build',
  });
  const saved = process.env.BITBENCH_FIRMWARE_DIR;
  process.env.BITBENCH_FIRMWARE_DIR = firmware;
  const ctx = createAppContext({ dbPath: path.join(dir, 'a.db'), shell: 'headless-host' });
  afterAll(async () => {
    await ctx.close();
    if (saved === undefined) delete process.env.BITBENCH_FIRMWARE_DIR;
    else process.env.BITBENCH_FIRMWARE_DIR = saved;
  });

  it('Cancel stops make and the job ends cancelled', async () => {
    const s = createServices(ctx);
    const { jobId } = await s.firmware.build({});
    await new Promise((r) => setTimeout(r, 1500));
    expect((await s.jobs.get({ id: jobId })).state).toBe('running');
    const t0 = Date.now();
    expect((await s.jobs.cancel({ id: jobId })).cancelled).toBe(true);
    await expect
      .poll(async () => (await s.jobs.get({ id: jobId })).state, { timeout: 10_000, interval: 100 })
      .toBe('cancelled');
    // make was stopped, not waited for: all four boards take ~25 s here.
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(existsSync(path.join(firmware, 'build', 'nucleo-g071rb', 'bitbench.elf'))).toBe(false);
  }, 60_000);
});
