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
  let dbPath: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-train-')), 'e2e.db');
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
    // Untouched, the architecture is one that takes the dataset's [119, 6] windows: no refusal to start with.
    await expect
      .poll(() => page.getByTestId('train-arch').inputValue(), { timeout: 30_000 })
      .toBe('gesture-cnn-gru');
    expect(await page.getByTestId('train-page').locator('.error-box').count()).toBe(0);
    // One that does not fit says why, and Train waits for a fitting one.
    await page.getByTestId('train-arch').selectOption('har-cnn');
    await expect
      .poll(() => page.getByTestId('train-page').locator('.error-box').textContent())
      .toMatch(/har-cnn takes windows of \[128 × 9\]; gestures has \[119 × 6\]/);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    // Custom with no spec yet: Train waits and says why, and the example offered fits the dataset.
    await page.getByTestId('train-arch').selectOption('custom');
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    expect(await page.getByTestId('train-spec-missing').textContent()).toMatch(
      /gestures's \[119 × 6\] windows/,
    );
    await page.getByTestId('train-spec-example').click();
    const spec = JSON.parse(await page.getByTestId('train-spec').inputValue());
    expect([spec.inputShape, spec.numClasses, spec.layers.at(-1).units]).toEqual([[119, 6], 2, 2]);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(false);
    expect(await page.getByTestId('train-spec-missing').count()).toBe(0);
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

  it('after a reload mid-training, the job shows again with its Cancel, and Train waits for it', async () => {
    await page.getByTestId('train-arch').selectOption('gesture-cnn-gru');
    await page.getByTestId('train-epochs').fill('1000');
    await page.getByTestId('train-name').fill('ui-long');
    await page.getByTestId('train-start').click();
    const bar = page.getByTestId('job-progress');
    await expect.poll(() => bar.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    const id = await bar.getAttribute('data-job-id');
    await page.reload();
    await page.getByTestId('nav-train').click();
    await expect.poll(() => bar.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    expect(await bar.getAttribute('data-job-id')).toBe(id);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    await bar.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => bar.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    expect(await page.getByTestId('train-start').isDisabled()).toBe(false);
  }, 90_000);

  it('a quantized variant shows as one; a training that ends after a pick shows its own card', async () => {
    const q = spawnSync(
      process.execPath,
      [cli, 'quantize', '--model', 'ui-gesture', '--name', 'ui-w8', '--db', dbPath],
      { encoding: 'utf8' },
    );
    expect(q.status, q.stderr).toBe(0);
    await page.reload();
    await page.getByTestId('nav-train').click();
    const table = page.getByTestId('models-table');
    await table.getByText('ui-w8', { exact: true }).click();
    const card = page.getByTestId('variant-card');
    await card.waitFor({ timeout: 10_000 });
    const text = (await card.textContent()) ?? '';
    expect(text).toMatch(/ui-w8 \(quantized variant of ui-gesture\)/);
    expect(text).toMatch(/weights 8 bit, activations 8 bit/);
    expect(text).toMatch(/Accuracy \d+\.\d\d % \(integer engine\)/);
    expect(text).not.toMatch(/float32|Trained on/);
    expect(await page.getByTestId('model-card').count()).toBe(0);

    // A model picked while another trains gives way to the new one when it is stored.
    await page.getByTestId('train-arch').selectOption('gesture-cnn-gru');
    await page.getByTestId('train-epochs').fill('6');
    await page.getByTestId('train-name').fill('ui-second');
    // A quick model on a sample of the training windows: the card says how many it learned from.
    await page.getByTestId('train-max-windows').fill('10');
    await page.getByTestId('train-start').click();
    await table.getByText('ui-gesture', { exact: true }).click();
    await expect
      .poll(() => page.getByTestId('job-progress').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('succeeded');
    await expect
      .poll(() => page.getByTestId('model-card').locator('h2').first().textContent(), { timeout: 10_000 })
      .toMatch(/^ui-second/);
    expect(await page.getByTestId('model-train-windows').textContent()).toMatch(/\(10 training windows\)/);
  }, 120_000);

  it('deleting a float model names its variants and takes them with it', async () => {
    const table = page.getByTestId('models-table');
    await table.getByText('ui-gesture', { exact: true }).click();
    await expect
      .poll(() => page.getByTestId('model-card').locator('h2').first().textContent())
      .toMatch(/^ui-gesture/);
    await page.getByTestId('delete-model').click();
    await expect.poll(() => page.getByTestId('delete-model-variants').textContent()).toBe('ui-w8');
    await page.getByTestId('confirm-delete-model').click();
    await expect.poll(() => table.textContent()).not.toContain('ui-gesture');
    expect(await table.textContent()).not.toContain('ui-w8');
    expect(await table.textContent()).toContain('ui-second');
  }, 60_000);

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
