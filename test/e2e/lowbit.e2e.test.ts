import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createAppContext } from '../../src/main/context';
import { LowBitRepo } from '../../src/main/store/lowbit-repo';
import { VariantsRepo } from '../../src/main/store/variants-repo';
import { seedFloatModel } from '../integration/helpers/deploy-fixture';
import { e2eSkipReason, screenshot, type HostProcess, openApp, runJob } from './harness';

/**
 * The Quantize page's low-bit panel in Chromium against the headless host: the variant's name (the
 * default, a typed one, a taken one refused with an explicit, confirmed replace), a model switch that
 * takes the previous model's report and sensitivity away, and a training that, after a reload, shows
 * again with its Cancel while Train stays busy.
 */
const skip = e2eSkipReason();
if (skip) console.log(`[e2e] low-bit panel skipped: ${skip}`);

describe.skipIf(!!skip)('Low-bit panel in Chromium against the headless host', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  let dbPath: string;
  const consoleErrors: string[] = [];
  const panel = () => page.getByTestId('lowbit-panel');
  const bar = () => panel().getByTestId('job-progress').first();
  const storedSeed = async (name: string) => {
    const ctx = createAppContext({ dbPath, shell: 'cli' });
    try {
      return new VariantsRepo(ctx.db).exists(name) ? new LowBitRepo(ctx.db).report(name).config.seed : null;
    } finally {
      await ctx.close();
    }
  };

  beforeAll(async () => {
    dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-lowbit-')), 'e2e.db');
    const ctx = createAppContext({ dbPath, shell: 'cli' });
    seedFloatModel(ctx, { name: 'tiny-fp', perSplit: 40 });
    seedFloatModel(ctx, { name: 'tiny2-fp', perSplit: 40 });
    await ctx.close();
    ({ host, browser, page } = await openApp({
      consoleErrors,
      viewport: { width: 1400, height: 1100 },
      dbPath,
    }));
    await page.getByTestId('nav-quantize').click();
    await page.getByTestId('quantize-page').waitFor({ timeout: 30_000 });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('names the variant; a taken name is refused, and replaced only after a confirmation naming its device runs', async () => {
    await page.getByTestId('quant-model').selectOption('tiny-fp');
    await panel().getByLabel('method').selectOption('qat-ste');
    // QAT's own learning rate and schedule, until the user sets them.
    expect(await panel().getByTestId('lowbit-learning-rate').inputValue()).toBe('0.0005');
    expect(await panel().getByTestId('lowbit-lr-schedule').inputValue()).toBe('cosine');
    await panel().getByLabel('weight bits').fill('4');
    await panel().getByLabel('epochs', { exact: true }).fill('1');
    const name = panel().getByTestId('lowbit-name');
    await expect.poll(() => name.getAttribute('placeholder')).toBe('tiny-fp-qat-ste-w4');
    const train = panel().getByTestId('lowbit-train');
    await runJob(panel(), () => train.click(), 60_000);
    await expect
      .poll(() => panel().getByTestId('lowbit-report').textContent(), { timeout: 30_000 })
      .toMatch(/^\s*tiny-fp-qat-ste-w4 —/);
    expect(await storedSeed('tiny-fp-qat-ste-w4')).toBe(1);
    // QAT says which epoch it kept (the best on validation; 0 is the PTQ start).
    expect(await panel().getByTestId('lowbit-kept-epoch').textContent()).toMatch(
      /kept epoch [01] \(best validation accuracy after rounding/,
    );

    // Same name again, other settings: refused, the stored variant untouched, a replace offered.
    await panel().getByLabel('seed').fill('2');
    await train.click();
    const alert = panel().getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toMatch(/Refused\..*already exists/);
    expect(await storedSeed('tiny-fp-qat-ste-w4')).toBe(1);
    await panel().getByTestId('lowbit-replace').click();
    const confirm = panel().getByTestId('lowbit-replace-confirm');
    expect(await confirm.textContent()).toMatch(
      /Replace tiny-fp-qat-ste-w4 \(a variant of tiny-fp\).*device runs/,
    );
    await screenshot(page, 'lowbit-replace');
    await runJob(panel(), () => confirm.getByTestId('lowbit-confirm-replace').click(), 60_000);
    await expect.poll(() => storedSeed('tiny-fp-qat-ste-w4'), { timeout: 30_000 }).toBe(2);

    // A typed name is the variant's name.
    await name.fill('tiny-named');
    await runJob(panel(), () => train.click(), 60_000);
    await expect
      .poll(() => page.getByTestId('variants').textContent(), { timeout: 30_000 })
      .toContain('tiny-named');
    expect(await storedSeed('tiny-named')).toBe(2);
    expect(consoleErrors).toEqual([]);
  }, 240_000);

  it("a model switch takes the previous model's report, sensitivity and proposal away", async () => {
    await panel().getByTestId('lowbit-sensitivity').click();
    const sensBar = panel().getByTestId('job-progress').filter({ hasText: 'lowbit-sensitivity' });
    await expect.poll(() => sensBar.getAttribute('data-state'), { timeout: 120_000 }).toBe('succeeded');
    await panel().getByTestId('sensitivity-chart').waitFor({ timeout: 30_000 });
    await panel().getByRole('button', { name: 'Propose a table' }).click();
    await panel().getByTestId('proposal').waitFor({ timeout: 30_000 });
    expect(await panel().getByTestId('lowbit-report').count()).toBe(1);

    await page.getByTestId('quant-model').selectOption('tiny2-fp');
    await expect
      .poll(() => panel().getByTestId('lowbit-name').getAttribute('placeholder'))
      .toMatch(/^tiny2-fp-/);
    for (const id of ['lowbit-report', 'weight-histogram', 'sensitivity-chart', 'proposal', 'job-progress'])
      expect(await panel().getByTestId(id).count(), id).toBe(0);
    expect(consoleErrors).toEqual([]);
  }, 180_000);

  it('Train is busy from the click; after a reload the running training shows again with its Cancel', async () => {
    await page.getByTestId('quant-model').selectOption('tiny2-fp');
    await panel().getByLabel('batch').fill('1');
    await panel().getByLabel('epochs', { exact: true }).fill('1000');
    await panel().getByTestId('lowbit-name').fill('tiny2-long');
    const train = panel().getByTestId('lowbit-train');
    await train.click();
    await expect.poll(() => train.isDisabled()).toBe(true);
    await expect.poll(() => bar().getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    expect(await train.isDisabled()).toBe(true);

    await page.reload();
    await page.getByTestId('nav-quantize').click();
    await page.getByTestId('quant-model').selectOption('tiny2-fp');
    await expect.poll(() => bar().getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    expect(await bar().textContent()).toMatch(/lowbit-train/);
    expect(await panel().getByTestId('lowbit-train').isDisabled()).toBe(true);
    // Another model's panel does not show it.
    await page.getByTestId('quant-model').selectOption('tiny-fp');
    await expect.poll(() => panel().getByTestId('job-progress').count()).toBe(0);
    await page.getByTestId('quant-model').selectOption('tiny2-fp');
    await expect.poll(() => bar().getAttribute('data-state'), { timeout: 30_000 }).toBe('running');

    await bar().getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => bar().getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    await expect.poll(() => panel().getByTestId('lowbit-train').isDisabled()).toBe(false);
    expect(await storedSeed('tiny2-long')).toBeNull();
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
