// Devices page: a virtual board whose firmware image is not built says so and offers Build firmware;
// the build runs as a job (make -C firmware) and the board then starts, all without a terminal.
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtualBoardsUnavailable } from '../integration/helpers/virtual-boards';
import {
  e2eSkipReason,
  hookEventSockets,
  launchChromium,
  startHostProcess,
  type HostProcess,
} from './harness';

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

  const jobsOnHost = async (): Promise<Array<{ kind: string; state: string }>> => {
    const res = await fetch(`${host.url}/api/${encodeURIComponent('bb:jobs.list')}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${new URL(host.openUrl).hash.replace('#token=', '')}`,
      },
      body: JSON.stringify({ limit: 10 }),
    });
    return ((await res.json()) as { value: Array<{ kind: string; state: string }> }).value;
  };

  it('offers Build firmware, builds it as a job, and the board then starts: even when the event link drops meanwhile', async () => {
    const link = await hookEventSockets(page);
    await page.reload();
    await page.getByTestId('devices-page').waitFor();
    const row = page.locator('tr[data-spec="virtual:m4"]');
    await expect.poll(() => row.textContent()).toContain("the virtual board's firmware is not built");
    expect(await row.getByRole('button', { name: 'Start' }).isDisabled()).toBe(true);
    await row.getByTestId('build-virtual-firmware').click();
    const job = page.getByTestId('job-progress');
    await job.waitFor();
    // The link drops while the build runs (a laptop's sleep): the page hears nothing of its end.
    await link.cut();
    await expect
      .poll(async () => (await jobsOnHost()).find((j) => j.kind === 'firmware-build')?.state, {
        timeout: 240_000,
        interval: 1000,
      })
      .toBe('succeeded');
    expect(await job.getAttribute('data-state')).not.toBe('succeeded');
    // The link comes back: the page asks again and shows the end and the rebuilt list.
    await link.restore();
    await expect
      .poll(() => job.getAttribute('data-state'), { timeout: 30_000, interval: 500 })
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
    // The refused sockets log errors by design; nothing else may.
    expect(consoleErrors.filter((e) => !/WebSocket|refused|404/i.test(e))).toEqual([]);
  }, 300_000);
});
