import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { e2eSkipReason, screenshot, type HostProcess, openApp } from './harness';
import { sharedDataset, sharedDatasetMissing } from '../helpers/shared-datasets';
import { makeMnist, tmpDir } from '../unit/datasets/fixtures';

const gestures = sharedDataset('gesture-to-emoji');
const skip = e2eSkipReason() ?? sharedDatasetMissing('gesture-to-emoji');
if (skip) console.log(`[e2e] datasets skipped: ${skip}`);

describe.skipIf(!!skip)('Datasets page in Chromium against the headless host', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ({ host, browser, page } = await openApp({ consoleErrors, viewport: { width: 1400, height: 1000 } }));
    await page.getByTestId('nav-datasets').click();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('shows the empty state, previews a CSV folder and imports it', async () => {
    await page.getByTestId('datasets-empty').waitFor({ timeout: 30_000 });
    await page.getByTestId('open-import').click();
    await page.getByLabel('CSV').check();
    await page.getByTestId('import-path').fill(gestures);
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('csv-preview');
    await preview.waitFor({ timeout: 30_000 });
    await expect.poll(() => preview.textContent()).toContain('41 (4879 samples, 119–119 samples each)');
    expect(await page.getByTestId('preview-windows').textContent()).toBe(
      '119 samples, stride 119 (one per recording)',
    );
    await screenshot(page, 'datasets-import-preview');
    await page.getByTestId('import-start').click();
    await expect
      .poll(() => page.getByTestId('job-progress').first().getAttribute('data-state'), { timeout: 60_000 })
      .toBe('succeeded');
    await page.getByTestId('dataset-row-gestures').waitFor({ timeout: 10_000 });
  });

  it('shows counts and the class balance chart, then deletes with confirmation', async () => {
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByTestId('dataset-row-gestures').click();
    await page.getByTestId('class-balance').locator('svg').first().waitFor();
    const counts = page.getByTestId('class-counts');
    await expect.poll(() => counts.textContent()).toMatch(/flex.*21/);
    await expect.poll(() => counts.textContent()).toMatch(/punch.*20/);
    await screenshot(page, 'datasets-details');
    await page.getByTestId('delete-dataset').click();
    await page.getByTestId('confirm-delete').click();
    await page.getByTestId('datasets-empty').waitFor({ timeout: 10_000 });
  });

  it('an MNIST import is described as images split by the files, not "(28 samples); split by given, seed 42"', async () => {
    await page.getByTestId('open-import').click();
    await page.getByLabel('MNIST').check();
    await page.getByTestId('import-path').fill(makeMnist(30, 10));
    await page.getByTestId('import-name').fill('digits');
    await page.getByTestId('import-start').click();
    await expect
      .poll(() => page.getByTestId('job-progress').first().getAttribute('data-state'), { timeout: 60_000 })
      .toBe('succeeded');
    await page.getByRole('button', { name: 'Close' }).click();
    const row = page.getByTestId('dataset-row-digits');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('source files');
    await row.click();
    const details = page.getByTestId('dataset-details');
    await expect
      .poll(() => details.textContent())
      .toContain('40 windows of [28, 28, 1] (28×28 pixels, 1 channel); split as the source files give it;');
    expect(await details.textContent()).not.toMatch(/28 samples|by given/);
    // Train: IMU augmentation (a time shift) does not apply to images; the trainer refuses it
    await page.getByTestId('nav-train').click();
    await page.getByTestId('train-dataset').selectOption('digits');
    await expect.poll(() => page.getByTestId('train-augment').isDisabled()).toBe(true);
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-row-digits').click();
    await page.getByTestId('delete-dataset').click();
    await page.getByTestId('confirm-delete').click();
    await page.getByTestId('datasets-empty').waitFor({ timeout: 10_000 });
  });

  it('a CSV with a `split` column (a `datasets export`): the preview says the split comes from it, and the dataset keeps it', async () => {
    // 6 exported windows of 8 samples: window 0-3 train, 4 val, 5 test
    const splits = ['train', 'train', 'train', 'train', 'val', 'test'];
    const lines = ['window,split,label,sample,x,y'];
    splits.forEach((s, w) => {
      for (let i = 0; i < 8; i++)
        lines.push(`${w},${s},${w % 2 ? 'up' : 'down'},${i},${(w + i) * 0.1},${w - i}`);
    });
    const file = path.join(tmpDir(), 'shared.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    await page.getByTestId('open-import').click();
    await page.getByLabel('CSV').check();
    await page.getByTestId('import-path').fill(file);
    await page.getByTestId('import-name').fill('shared');
    await page.getByRole('button', { name: 'Preview' }).click();
    const split = page.getByTestId('preview-split');
    await split.waitFor({ timeout: 30_000 });
    expect(await split.textContent()).toBe(
      'from column split, not drawn again (not a channel): train 4, val 1, test 1 recordings',
    );
    expect(await page.getByTestId('csv-preview').textContent()).toContain('x, y');
    await screenshot(page, 'datasets-import-preview-split');
    await page.getByTestId('import-start').click();
    await expect
      .poll(() => page.getByTestId('job-progress').first().getAttribute('data-state'), { timeout: 60_000 })
      .toBe('succeeded');
    await page.getByRole('button', { name: 'Close' }).click();
    const row = page.getByTestId('dataset-row-shared');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('split column');
    await row.click();
    await expect
      .poll(() => page.getByTestId('dataset-details').textContent())
      .toContain("split as the file's split column gives it;");
    await page.getByTestId('delete-dataset').click();
    await page.getByTestId('confirm-delete').click();
    await page.getByTestId('datasets-empty').waitFor({ timeout: 10_000 });
  });

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
