import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createAppContext } from '../../src/main/context';
import { VariantsRepo } from '../../src/main/store/variants-repo';
import { quantizeVariant, seedFloatModel } from '../integration/helpers/deploy-fixture';
import { e2eSkipReason, screenshot, type HostProcess, openApp, runJob } from './harness';

/**
 * The Quantize page's form in Chromium against the headless host: the custom per-layer table (the
 * model's own layers, default bits above it), the calibration size checked against the train split
 * before anything is sent, a refusal that shows until the inputs change, and a model switch that
 * takes the previous model's report away.
 */
const skip = e2eSkipReason();
if (skip) console.log(`[e2e] quantize page skipped: ${skip}`);

describe.skipIf(!!skip)('Quantize page in Chromium against the headless host', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  let dbPath: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-quant-')), 'e2e.db');
    const ctx = createAppContext({ dbPath, shell: 'cli' });
    seedFloatModel(ctx, { name: 'tiny-fp', perSplit: 200 });
    seedFloatModel(ctx, { name: 'wide-fp', wide: true, perSplit: 40 });
    await ctx.close();
    ({ host, browser, page } = await openApp({
      consoleErrors,
      viewport: { width: 1400, height: 1100 },
      dbPath,
    }));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('quantizes with a per-layer table and stores those bits', async () => {
    await page.getByTestId('nav-quantize').click();
    await page.getByTestId('quantize-page').waitFor({ timeout: 30_000 });
    await page.getByTestId('quant-model').selectOption('tiny-fp');
    await page.getByTestId('quant-preset').selectOption('custom');
    // The table lists the layers that get bits: conv1, conv2, fc (not the pool or the flatten).
    const table = page.getByTestId('quant-layer-table');
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 30_000 }).toBe(3);
    await page.getByTestId('quant-default-a').selectOption('6');
    await page.getByTestId('quant-layer-w-conv2').selectOption('4');
    await page.getByTestId('quant-layer-a-conv2').selectOption('4');
    await page.getByTestId('quant-layer-w-fc').selectOption('2');
    // The logits keep 8-bit activations unless their own row asks otherwise: the table says so.
    expect(await page.getByTestId('quant-layer-a-fc').locator('option').first().textContent()).toBe(
      'default (8, logits)',
    );
    expect(await page.getByTestId('quant-layer-a-conv1').locator('option').first().textContent()).toBe(
      'default (6)',
    );
    await expect.poll(() => page.getByTestId('quant-name').getAttribute('placeholder')).toBe('tiny-mixed');
    // The model input at the activation bits (seed 003's W/A) rather than the default 8.
    await page.getByTestId('quant-input-bits').selectOption('acts');
    await expect.poll(() => page.getByTestId('quant-name').getAttribute('placeholder')).toBe('tiny-mixed-i6');
    await page.getByTestId('quant-name').fill('tiny-mixed');

    // A calibration size the train split cannot give is refused on the page, before any request.
    const start = page.getByTestId('quant-start');
    await page.getByTestId('quant-calib').fill('999');
    await expect
      .poll(() => page.getByTestId('quant-form-error').textContent())
      .toMatch(/has 200 windows, 999/);
    expect(await start.isDisabled()).toBe(true);
    await page.getByTestId('quant-calib').fill('0');
    await expect.poll(() => page.getByTestId('quant-form-error').textContent()).toMatch(/whole number ≥ 1/);
    await page.getByTestId('quant-calib').fill('128');
    await expect.poll(() => page.getByTestId('quant-form-error').count()).toBe(0);

    await runJob(page.getByTestId('quantize-page'), () => start.click(), 120_000);
    await expect
      .poll(() => page.getByTestId('variants').textContent(), { timeout: 30_000 })
      .toContain('tiny-mixed');
    await expect.poll(() => page.getByTestId('variants').textContent()).toMatch(/W8A6\s*mixed/);
    await expect
      .poll(() => page.getByTestId('variant-report').locator('h2').textContent(), { timeout: 30_000 })
      .toMatch(/mixed per layer: W2–8, A4–8/);
    // The chart has the variant and its float parent; the finished job says it is done.
    await expect
      .poll(() => page.getByTestId('size-chart').locator('.recharts-scatter-symbol').count(), {
        timeout: 10_000,
      })
      .toBe(2);
    await expect
      .poll(() => page.getByTestId('quantize-form').getByTestId('job-progress').textContent())
      .toMatch(/done in \d/);
    // A bar per layer, each full at the end.
    const stages = page.getByTestId('quantize-form').getByTestId('job-stage');
    await expect
      .poll(() => stages.evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))))
      .toEqual(['conv1', 'conv2', 'fc']);
    expect(
      await stages.locator('progress').evaluateAll((els) => els.map((e) => (e as HTMLProgressElement).value)),
    ).toEqual([100, 100, 100]);
    await screenshot(page, 'quantize-mixed');

    const ctx = createAppContext({ dbPath, shell: 'cli' });
    try {
      const v = new VariantsRepo(ctx.db).get('tiny-mixed');
      expect(v.report.calib).toBe(128);
      expect(v.report.config.inputBits).toBe(6);
      expect(v.report.per_layer[0]!.bits.input).toBe(6);
      expect(
        Object.fromEntries(v.report.per_layer.map((l) => [l.name, [l.bits.weights, l.bits.acts]])),
      ).toEqual({
        conv1: [8, 6],
        conv2: [4, 4],
        // Only fc's weights were set: its activations (the logits) keep their 8 bits.
        fc: [2, 8],
      });
    } finally {
      await ctx.close();
    }
  }, 180_000);

  it('shows a refusal until the inputs change, deletes a variant, and drops the report on a model switch', async () => {
    // Same name again: refused by the server, with the reason.
    await page.getByTestId('quant-name').fill('tiny-mixed');
    await page.getByTestId('quant-start').click();
    const alert = page.getByTestId('quantize-form').getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toMatch(/Refused\..*already exists/);
    // The refusal says "Replace… on the Quantize page": the button is there, and replaces after a confirmation.
    const jobOfVariant = async () => {
      const c = createAppContext({ dbPath, shell: 'cli' });
      try {
        const row = c.db
          .prepare(
            'SELECT q.job_id FROM quant_variants q JOIN models m ON m.id = q.model_id WHERE m.name = ?',
          )
          .get('tiny-mixed') as { job_id: string };
        return row.job_id;
      } finally {
        await c.close();
      }
    };
    const before = await jobOfVariant();
    await page.getByTestId('quant-replace').click();
    const confirm = page.getByTestId('quant-replace-confirm');
    expect(await confirm.textContent()).toMatch(/Replace tiny-mixed \(a variant of tiny-fp\).*device runs/);
    await runJob(
      page.getByTestId('quantize-form'),
      () => confirm.getByTestId('quant-confirm-replace').click(),
      60_000,
    );
    expect(await jobOfVariant()).not.toBe(before);
    expect(await page.getByTestId('quant-replace-confirm').count()).toBe(0);
    // Refused again (same name), then a new name takes the refusal away.
    await page.getByTestId('quant-start').click();
    await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toMatch(/Refused\..*already exists/);
    await page.getByTestId('quant-name').fill('tiny-mixed-2');
    await expect.poll(() => alert.count()).toBe(0);
    expect(await page.getByTestId('quant-replace').count()).toBe(0);

    // Delete the variant from its report, after a confirmation.
    await page.getByTestId('variants').getByText('tiny-mixed', { exact: true }).click();
    await page.getByTestId('delete-variant').click();
    await page.getByTestId('confirm-delete-variant').click();
    await expect
      .poll(() => page.getByTestId('quantize-page').textContent(), { timeout: 30_000 })
      .toContain('No quantized variant of tiny-fp');
    expect(await page.getByTestId('variant-report').count()).toBe(0);
    const ctx = createAppContext({ dbPath, shell: 'cli' });
    try {
      expect(new VariantsRepo(ctx.db).exists('tiny-mixed')).toBe(false);
    } finally {
      await ctx.close();
    }

    await page.getByTestId('quant-model').selectOption('wide-fp');
    await expect
      .poll(() => page.getByTestId('quantize-page').textContent())
      .toContain('No quantized variant of wide-fp');
    expect(await page.getByTestId('variant-report').count()).toBe(0);
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('after a reload, a running job shows again with its Cancel', async () => {
    await page.getByTestId('quant-model').selectOption('wide-fp');
    await page.getByTestId('quant-preset').selectOption('W4A4');
    await page.getByTestId('quant-layerwise').selectOption('adaround');
    await page.getByTestId('quant-iterations').fill('20000');
    await page.getByTestId('quant-name').fill('wide-long');
    await page.getByTestId('quant-calib').fill(''); // wide-fp's train split is smaller than the 128 set above
    await page.getByTestId('quant-start').click();
    const bar = page.getByTestId('quantize-form').getByTestId('job-progress');
    await expect.poll(() => bar.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    await page.reload();
    await page.getByTestId('nav-quantize').click();
    await page.getByTestId('quant-model').selectOption('wide-fp');
    await expect.poll(() => bar.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    // The job holds the button: no second job of the same model by accident.
    expect(await page.getByTestId('quant-start').isDisabled()).toBe(true);
    await bar.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => bar.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('marks a collapsed variant and draws it under the others instead of stretching the scale down to it', async () => {
    const ctx = createAppContext({ dbPath, shell: 'cli' });
    let floor: number;
    try {
      await quantizeVariant(ctx, 'tiny-fp', 'tiny-w8a8', { weightBits: 8, actBits: 8 });
      await quantizeVariant(ctx, 'tiny-fp', 'tiny-w1a1', { weightBits: 1, actBits: 1 });
      const repo = new VariantsRepo(ctx.db);
      const w1 = repo.get('tiny-w1a1');
      expect(w1.summary.collapsed).toBe(true);
      expect(repo.get('tiny-w8a8').summary.collapsed).toBe(false);
      floor = 100 * w1.report.accuracy;
    } finally {
      await ctx.close();
    }
    await page.reload();
    await page.getByTestId('nav-quantize').click();
    await page.getByTestId('quant-model').selectOption('tiny-fp');
    const row = (name: string) =>
      page.getByTestId('variants').locator('tr', { has: page.getByText(name, { exact: true }) });
    await expect.poll(() => row('tiny-w1a1').textContent(), { timeout: 30_000 }).toContain('collapsed');
    expect(await row('tiny-w8a8').textContent()).not.toContain('collapsed');
    const chart = page.getByTestId('size-chart');
    await expect
      .poll(() => chart.locator('.recharts-legend-wrapper').textContent())
      .toContain('collapsed, about chance');
    // Both variants and the float model are drawn; the accuracy scale spans the good ones (W8A8 and
    // the float model, near 100 %), not the collapsed one's chance level.
    expect(await chart.locator('.recharts-scatter-symbol').count()).toBe(3);
    const ticks = (
      await chart.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents()
    ).map((t) => Number.parseFloat(t));
    expect(ticks.length).toBeGreaterThan(1);
    expect(Math.min(...ticks)).toBeGreaterThan(floor! + 20);
    await screenshot(page, 'quantize-collapsed');
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it("the report names the engine as the accuracy's source, has a per-class table, and does not call the logits' activation-only SQNR exact", async () => {
    await page.getByTestId('variants').getByText('tiny-w8a8', { exact: true }).click();
    const report = page.getByTestId('variant-report');
    await expect
      .poll(() => report.textContent(), { timeout: 30_000 })
      .toContain("the integer engine's host reference on the device blob");
    const cells = report
      .locator('[data-testid="per-layer"] tbody tr')
      .filter({ hasText: /^fc/ })
      .locator('td');
    // The logits are read before their grid: the row that quantizes only that grid cannot measure it.
    expect(await cells.nth(8).textContent()).toMatch(/^\d+\.\d+ % · n\/a$/);
    // Per class: a table of every class with its windows, float and quantized accuracy and the change.
    const perClass = report.getByTestId('per-class');
    expect(await perClass.locator('tbody tr').count()).toBe(4);
    const first = await perClass.locator('tbody tr').first().locator('td').allTextContents();
    expect(first[0]).toBe('a');
    expect(first.slice(2)).toEqual([
      expect.stringMatching(/^\d+\.\d\d %$/),
      expect.stringMatching(/^\d+\.\d\d %$/),
      expect.stringMatching(/^[+-]?\d+\.\d\d points$/),
    ]);
    const windows = await perClass.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(windows.reduce((a, w) => a + Number(w), 0)).toBe(200); // every test window, once
    // Hidden layers keep their SQNR (a number or exact).
    const conv1 = report
      .locator('[data-testid="per-layer"] tbody tr')
      .filter({ hasText: /^conv1/ })
      .locator('td');
    expect(await conv1.nth(8).textContent()).toMatch(/ · (\d+\.\d dB|exact)$/);
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
