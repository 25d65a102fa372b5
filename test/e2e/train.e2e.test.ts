import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { e2eSkipReason, repoRoot, screenshot, type HostProcess, openApp } from './harness';
import { sharedDataset, sharedDatasetMissing } from '../helpers/shared-datasets';

/** Train a tiny model from the UI: the live curves, then the model card with its confusion matrix. */
const gestures = sharedDataset('gesture-to-emoji');
const cli = path.join(repoRoot, 'bin', 'bitbench.mjs');
const skip = e2eSkipReason() ?? sharedDatasetMissing('gesture-to-emoji');
if (skip) console.log(`[e2e] train skipped: ${skip}`);

describe.skipIf(!!skip)('Train page in Chromium against the headless host', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-train-')), 'e2e.db');
    const r = spawnSync(
      process.execPath,
      [cli, 'datasets', 'import', 'csv', gestures, '--name', 'gestures', '--db', dbPath],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
    ({ host, browser, page } = await openApp({
      consoleErrors,
      viewport: { width: 1400, height: 1100 },
      dbPath,
    }));
    await page.getByTestId('nav-train').click();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('trains gesture-cnn-gru, shows the curves, then the model card and confusion matrix', async () => {
    await page.getByTestId('train-page').waitFor({ timeout: 30_000 });
    await page.getByTestId('train-arch').selectOption('gesture-cnn-gru');
    await page.getByTestId('train-epochs').fill('12');
    await page.getByTestId('train-name').fill('ui-gesture');
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-curves').first().waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.getByTestId('job-progress').first().getAttribute('data-state'), { timeout: 120_000 })
      .toBe('succeeded');
    await page.getByTestId('model-card').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('model-card').textContent()).toMatch(/321 parameters/);
    await page.getByTestId('confusion-matrix').locator('svg rect[fill^="rgba"]').first().waitFor();
    expect(await page.getByTestId('confusion-matrix').locator('svg rect[fill^="rgba"]').count()).toBe(4);
    await expect.poll(() => page.getByTestId('models-table').textContent()).toContain('ui-gesture');
    await screenshot(page, 'train-model-card');
    await page.getByTestId('confusion-matrix').scrollIntoViewIfNeeded();
    await screenshot(page, 'train-confusion-matrix');
  });

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
