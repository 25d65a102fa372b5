// Devices page: a virtual board another bitbench process runs (here a second headless host on the
// same registry of running QEMUs) is shown with a button that stops it, not with a CLI command the
// app's user may not have.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunningVirtual } from '../../src/main/device/virtual-registry';
import { virtualBoardsUnavailable } from '../integration/helpers/virtual-boards';
import { e2eSkipReason, launchChromium, startHostProcess, type HostProcess } from './harness';

const skip = e2eSkipReason() ?? virtualBoardsUnavailable() ?? undefined;
if (skip) console.log(`[e2e] devices page (board running elsewhere) skipped: ${skip}`);

describe.skipIf(!!skip)('Devices page: a virtual board running in another process', () => {
  let mine: HostProcess;
  let other: HostProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const savedRunDir = process.env.BITBENCH_RUN_DIR;

  beforeAll(async () => {
    // Both hosts (and listRunningVirtual here) share a registry that holds this test's boards only.
    process.env.BITBENCH_RUN_DIR = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-else-')), 'run');
    [mine, other] = await Promise.all([startHostProcess(), startHostProcess()]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(mine.openUrl);
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('devices-page').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([mine?.stop(), other?.stop()]);
    if (savedRunDir === undefined) delete process.env.BITBENCH_RUN_DIR;
    else process.env.BITBENCH_RUN_DIR = savedRunDir;
  });

  it('shows who runs it and stops it with a button', async () => {
    const token = new URL(other.openUrl).hash.replace('#token=', '');
    const res = await fetch(`${other.url}/api/${encodeURIComponent('bb:boards.connect')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ board: 'virtual:m0' }),
    });
    expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
    expect(listRunningVirtual('virtual:m0')).toHaveLength(1);

    const row = page.locator('tr[data-spec="virtual:m0"]');
    await page.getByTestId('boards-refresh').click();
    const note = row.getByTestId('running-elsewhere');
    await expect
      .poll(() => note.textContent(), { timeout: 15_000 })
      .toMatch(/Also running in another bitbench host \(pid \d+\) on \/dev\/pts\/\d+/);
    expect(await note.textContent()).not.toMatch(/bitbench boards|`/);

    await note.getByTestId('stop-elsewhere').click();
    await expect.poll(() => row.getByTestId('running-elsewhere').count(), { timeout: 15_000 }).toBe(0);
    expect(listRunningVirtual('virtual:m0')).toEqual([]);
  }, 60_000);

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
