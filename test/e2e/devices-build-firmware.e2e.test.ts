// Devices page: a virtual board whose firmware image is not built says so and offers Build firmware;
// the build runs as a job (make -C firmware) and the board then starts, all without a terminal.
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtualBoardsUnavailable } from '../integration/helpers/virtual-boards';
import { e2eSkipReason, launchChromium, startHostProcess, type HostProcess } from './harness';

const repoRoot = path.join(__dirname, '../..');
const skip = e2eSkipReason() ?? virtualBoardsUnavailable() ?? undefined;
if (skip) console.log(`[e2e] devices page (build virtual firmware) skipped: ${skip}`);

describe.skipIf(!!skip)('Devices page: a virtual board without its firmware build', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  // The firmware sources without their build: what a fresh checkout has before `npm run firmware`.
  const firmware = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-fw-')), 'firmware');

  beforeAll(async () => {
    cpSync(path.join(repoRoot, 'firmware'), firmware, {
      recursive: true,
      filter: (src) => path.basename(src) !== 'build',
    });
    host = await startHostProcess({
      env: {
        BITBENCH_FIRMWARE_DIR: firmware,
        BITBENCH_RUN_DIR: path.join(path.dirname(firmware), 'run'),
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(host.openUrl);
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('devices-page').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('offers Build firmware, builds it as a job, and the board then starts', async () => {
    const row = page.locator('tr[data-spec="virtual:m4"]');
    await expect.poll(() => row.textContent()).toContain("the virtual board's firmware is not built");
    expect(await row.getByRole('button', { name: 'Start' }).isDisabled()).toBe(true);
    await row.getByTestId('build-virtual-firmware').click();
    const job = page.getByTestId('job-progress');
    await expect
      .poll(() => job.getAttribute('data-state'), { timeout: 240_000, interval: 500 })
      .toBe('succeeded');
    expect(existsSync(path.join(firmware, 'build', 'mps2-an386', 'bitbench.elf'))).toBe(true);
    // The list reloads on its own: the reason and the button are gone, Start works.
    await expect.poll(() => row.textContent()).not.toContain('not built');
    expect(await row.getByTestId('build-virtual-firmware').count()).toBe(0);
    await row.getByRole('button', { name: 'Start' }).click();
    await expect
      .poll(() => row.getByTestId('board-state').textContent(), { timeout: 30_000 })
      .toBe('connected');
    await row.getByRole('button', { name: 'Stop' }).click();
    await expect
      .poll(() => row.getByTestId('board-state').textContent(), { timeout: 30_000 })
      .not.toBe('connected');
    expect(consoleErrors).toEqual([]);
  }, 300_000);
});
