import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createAppContext } from '../../src/main/context';
import { quantizeVariant, seedFloatModel } from '../integration/helpers/deploy-fixture';
import { virtualBoardsUnavailable } from '../integration/helpers/virtual-boards';
import { e2eSkipReason, screenshot, type HostProcess, openApp, runJob } from './harness';

/**
 * Deploy & Profile and Compare in Chromium against the headless host: the estimate before flashing,
 * one click to profile on virtual:m4 with the progress bar, the report (bit-exact badge, latency in
 * instructions, per-layer estimate vs measured, confusion matrix), then the Compare table and charts.
 */
const skip = e2eSkipReason() ?? virtualBoardsUnavailable() ?? undefined;
if (skip) console.log(`[e2e] deploy skipped: ${skip}`);

describe.skipIf(!!skip)('Deploy and Compare pages in Chromium against the headless host', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-deploy-')), 'e2e.db');
    const ctx = createAppContext({ dbPath, shell: 'cli' });
    seedFloatModel(ctx, { name: 'tiny-fp', perSplit: 200 });
    await quantizeVariant(ctx, 'tiny-fp', 'tiny-w8a8', { weightBits: 8, actBits: 8 });
    await quantizeVariant(ctx, 'tiny-fp', 'tiny-w4a4', { weightBits: 4, actBits: 4 });
    await quantizeVariant(ctx, 'tiny-fp', 'tiny-w1a8', { weightBits: 1, actBits: 8 });
    // A profile long enough to reload the page in the middle of it.
    seedFloatModel(ctx, { wide: true, perSplit: 600 });
    await quantizeVariant(ctx, 'wide-fp', 'wide-w8a8', { weightBits: 8, actBits: 8 });
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

  const profileOnce = async (model: string) => {
    await page.getByTestId('deploy-model').selectOption(model);
    await page.getByTestId('deploy-board').selectOption('virtual:m4');
    await expect.poll(() => page.getByTestId('fit').textContent(), { timeout: 30_000 }).toMatch(/fits/);
    await runJob(page, () => page.getByTestId('profile').click(), 120_000);
    await page
      .getByTestId('profile-report')
      .getByText(new RegExp(`${model} on virtual:m4`))
      .waitFor({ timeout: 30_000 });
  };

  it('estimates before flashing, profiles on virtual:m4 with one click, and shows the report', async () => {
    await page.getByTestId('nav-deploy').click();
    await page.getByTestId('deploy-page').waitFor({ timeout: 30_000 });
    await page.getByTestId('deploy-board').selectOption('virtual:m4');
    await page.getByTestId('estimate').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('estimate').textContent()).toMatch(/instructions per inference/);
    await screenshot(page, 'deploy-estimate');
    await profileOnce('tiny-w4a4');
    const report = page.getByTestId('profile-report');
    await expect.poll(() => report.getByTestId('bit-exact').textContent()).toMatch(/bit-exact/);
    await expect
      .poll(() => report.getByTestId('latency').textContent())
      .toMatch(/instructions \(QEMU -icount/);
    expect(await report.getByTestId('per-layer').locator('tbody tr').count()).toBeGreaterThanOrEqual(5);
    expect(await report.getByTestId('confusion').locator('tbody tr').count()).toBe(4);
    await expect.poll(() => report.getByTestId('memory').textContent()).toMatch(/stack high-water/);
    await screenshot(page, 'deploy-profile-report');
    await profileOnce('tiny-w8a8');
    await profileOnce('tiny-w1a8');
    expect(await page.getByTestId('runs').locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it('refuses a bad window count on the page, and Profile is off from the Flash click on', async () => {
    const limit = page.getByTestId('deploy-limit');
    await limit.fill('12x');
    await expect.poll(() => page.getByTestId('deploy-limit-error').textContent()).toMatch(/whole number/);
    expect(await page.getByTestId('profile').isDisabled()).toBe(true);
    await limit.fill('');
    expect(await page.getByTestId('deploy-limit-error').count()).toBe(0);
    await page.getByTestId('deploy-model').selectOption('tiny-w4a4');
    await expect.poll(() => page.getByTestId('fit').textContent(), { timeout: 30_000 }).toMatch(/fits/);
    // tiny-w4a4 was profiled above: wait for its runs to be listed.
    await expect.poll(() => page.getByTestId('runs').textContent()).toMatch(/profile/);
    const runsBefore = await page.getByTestId('runs').locator('tbody tr').count();
    // Profile is disabled from the click, while the host is still connecting, not once the job exists.
    // The flash request is held until that is seen, so a board that already runs the model (a flash
    // that ends at once) cannot re-enable Profile before the check on a slow machine.
    const flashCall = (url: URL) => url.pathname === `/api/${encodeURIComponent('bb:deploy.flash')}`;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(flashCall, async (route) => {
      await held;
      await route.continue();
    });
    try {
      await runJob(
        page,
        async () => {
          await page.getByTestId('flash').click();
          await expect.poll(() => page.getByTestId('profile').isDisabled()).toBe(true);
          release();
        },
        60_000,
      );
    } finally {
      release();
      await page.unroute(flashCall);
    }
    await expect
      .poll(() => page.getByTestId('runs').locator('tbody tr').count(), { timeout: 30_000 })
      .toBe(runsBefore + 1);
    expect(await page.getByTestId('runs').textContent()).not.toMatch(/partial/);
  }, 120_000);

  it('a reload in the middle of a profile shows the running job again: progress, its model, Cancel', async () => {
    await page.getByTestId('deploy-model').selectOption('wide-w8a8');
    await page.getByTestId('deploy-board').selectOption('virtual:m4');
    await expect.poll(() => page.getByTestId('fit').textContent(), { timeout: 30_000 }).toMatch(/fits/);
    const bar = page.getByTestId('job-progress');
    const before = await bar.getAttribute('data-job-id', { timeout: 200 }).catch(() => null);
    await page.getByTestId('profile').click();
    // Wait until the board is answering windows of the new job.
    await expect
      .poll(
        async () => {
          const id = await bar.getAttribute('data-job-id', { timeout: 200 }).catch(() => null);
          if (id === null || id === before) return 'not started';
          return `${await bar.getAttribute('data-state')} ${await bar.textContent()}`;
        },
        { timeout: 60_000 },
      )
      .toMatch(/^running .*window \d+ \/ 600/);
    const jobId = await bar.getAttribute('data-job-id');

    await page.reload();
    await page.getByTestId('nav-deploy').click();
    await page.getByTestId('deploy-page').waitFor({ timeout: 30_000 });
    // Formerly: no bar, the first variant selected and Profile enabled (a click was refused as busy).
    await expect.poll(() => bar.getAttribute('data-job-id'), { timeout: 10_000 }).toBe(jobId);
    expect(await bar.getAttribute('data-state')).toBe('running');
    expect(await page.getByTestId('deploy-model').inputValue()).toBe('wide-w8a8');
    expect(await page.getByTestId('profile').isDisabled()).toBe(true);
    await expect.poll(() => bar.textContent(), { timeout: 10_000 }).toMatch(/window \d+ \/ 600/);
    await screenshot(page, 'deploy-reload-mid-profile');
    await bar.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => bar.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    await expect
      .poll(() => page.getByTestId('runs').locator('tbody tr').first().textContent(), { timeout: 10_000 })
      .toMatch(/partial/);
    expect(await page.getByTestId('profile').isDisabled()).toBe(false);
  }, 180_000);

  it('builds the standalone image of the selected model for the M0 and shows its footprint', async () => {
    await page.getByTestId('deploy-model').selectOption('tiny-w1a8');
    const card = page.getByTestId('footprint');
    await card.getByTestId('footprint-core').selectOption('virtual:m0');
    // The build is a job: it can be cancelled (make is killed), and the next one runs normally.
    await card.getByTestId('footprint-measure').click();
    const job = card.getByTestId('job-progress');
    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    expect(await card.getByTestId('footprint-parts').count()).toBe(0);
    await card.getByTestId('footprint-measure').click();
    await card.getByTestId('footprint-parts').waitFor({ timeout: 60_000 });
    const parts = (await card.getByTestId('footprint-parts').textContent()) ?? '';
    expect(parts).toMatch(/engine code/);
    expect(parts).toMatch(/activation arena/);
    expect(parts).toMatch(/10,240 B budget of Lê & de Foras/);
    await expect
      .poll(() => card.getByTestId('footprint-run').textContent())
      .toMatch(/One inference on virtual:m0 \(synth test window 0\): [\d,]+ instructions, bit-exact/);
    await screenshot(page, 'deploy-footprint');
  }, 120_000);

  it('verifies the selected model bit for bit on virtual:m0 and exports it as a blob and as C', async () => {
    await page.getByTestId('deploy-model').selectOption('tiny-w1a8');
    const card = page.getByTestId('export-verify');
    await card.getByTestId('verify-board').selectOption('virtual:m0');
    await card.getByTestId('verify-limit').fill('25');
    await card.getByTestId('verify').click();
    await expect
      .poll(() => card.getByTestId('verify-result').textContent(), { timeout: 60_000 })
      .toMatch(
        /virtual:m0, test split: 25 windows, 0 mismatches\s*bit-exact · latency [\d,]+ instructions per inference/,
      );
    // A bad window count is refused in the card, the last result stays.
    await card.getByTestId('verify-limit').fill('0');
    await card.getByTestId('verify').click();
    await card.getByText(/Windows must be a whole number/).waitFor({ timeout: 10_000 });

    await card.getByTestId('export').click();
    await expect
      .poll(() => card.getByTestId('export-result').textContent(), { timeout: 30_000 })
      .toMatch(/tiny-w1a8\.bbm/);
    const blob = (await card.getByTestId('export-result').locator('code').first().textContent()) ?? '';
    expect(existsSync(blob), blob).toBe(true);
    await card.getByTestId('export-format').selectOption('c');
    await card.getByTestId('export').click();
    await expect
      .poll(() => card.getByTestId('export-result').textContent(), { timeout: 30_000 })
      .toMatch(/\.h[\s\S]*\.c|\.c[\s\S]*\.h/);
    await screenshot(page, 'deploy-export-verify');
  }, 120_000);

  it('compares the float model and its variants with device results, diffs two, plots the Pareto fronts', async () => {
    await page.getByTestId('nav-compare').click();
    await page.getByTestId('compare-page').waitFor({ timeout: 30_000 });
    await page.getByTestId('compare-model').selectOption('tiny-fp');
    const table = page.getByTestId('compare-table');
    await table.locator('tr[data-row="tiny-w4a4"]').waitFor();
    expect(await table.locator('tbody tr').count()).toBe(4);
    await expect.poll(() => table.locator('tr[data-row="tiny-w4a4"]').textContent()).toMatch(/yes/);
    // Counts per MAC carry the board's unit: on a virtual board instructions, never a bare number.
    expect(
      await table.locator('tr[data-row="tiny-w4a4"]').getByTestId('counts-per-mac').textContent(),
    ).toMatch(/^\d+\.\d\d instr\.\/MAC$/);
    expect(await table.locator('tr[data-row="tiny-fp"]').getByTestId('counts-per-mac').textContent()).toBe(
      '—',
    );
    await table.locator('tr[data-row="tiny-w8a8"] input[type=checkbox]').check();
    await table.locator('tr[data-row="tiny-w1a8"] input[type=checkbox]').check();
    await page.getByTestId('diff').waitFor();
    await page
      .getByTestId('chart-latency')
      .locator('.recharts-scatter-symbol')
      .first()
      .waitFor({ timeout: 10_000 });
    await page
      .getByTestId('chart-size')
      .locator('.recharts-scatter-symbol')
      .first()
      .waitFor({ timeout: 10_000 });
    // Every axis tick carries its unit, and accuracy ticks are evenly spaced round percentages.
    const ticks = (chart: string, axis: 'x' | 'y') =>
      page
        .getByTestId(chart)
        .locator(`.recharts-${axis}Axis-tick-labels .recharts-cartesian-axis-tick-value`)
        .allTextContents();
    for (const chart of ['chart-latency', 'chart-size']) {
      const xs = await ticks(chart, 'x');
      expect(xs.length, chart).toBeGreaterThanOrEqual(2);
      for (const t of xs)
        expect(t, `${chart} x tick`).toMatch(
          chart === 'chart-size' ? /^[\d.,]+ (B|KiB|MiB)$/ : /^[\d.,]+( [kM])? instr\.$/,
        );
      const ys = (await ticks(chart, 'y')).map((t) => {
        expect(t, `${chart} y tick`).toMatch(/^\d+ %$/);
        return Number.parseInt(t, 10);
      });
      expect(ys.at(-1), chart).toBe(100);
      expect(new Set(ys.slice(1).map((y, i) => y - ys[i]!)).size, `${chart}: ${ys.join(' ')}`).toBe(1);
    }
    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    expect((await download).suggestedFilename()).toBe('tiny-fp-compare.csv');
    await screenshot(page, 'compare');
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('a Compare row opens its variant on Deploy & Profile, and the picks on both pages outlive a reload', async () => {
    // From Compare, a variant's name opens it on Deploy & Profile, on the board of its device results.
    await page
      .getByTestId('compare-table')
      .locator('tr[data-row="tiny-w1a8"]')
      .getByTestId('compare-open-deploy')
      .click();
    await page.getByTestId('deploy-page').waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).hash).toBe('#/deploy');
    await expect
      .poll(() => page.getByTestId('deploy-model').inputValue(), { timeout: 30_000 })
      .toBe('tiny-w1a8');
    await expect
      .poll(() => page.getByTestId('deploy-board').inputValue(), { timeout: 30_000 })
      .toBe('virtual:m4');
    await page
      .getByTestId('profile-report')
      .getByText(/tiny-w1a8 on virtual:m4/)
      .waitFor({ timeout: 30_000 });

    // A pick on the page is still the pick after a reload (not the first variant and board again).
    await page.getByTestId('deploy-model').selectOption('tiny-w4a4');
    await page.getByTestId('deploy-board').selectOption('virtual:m0');
    await page.reload();
    await page.getByTestId('deploy-page').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.getByTestId('deploy-model').inputValue(), { timeout: 30_000 })
      .toBe('tiny-w4a4');
    await expect
      .poll(() => page.getByTestId('deploy-board').inputValue(), { timeout: 30_000 })
      .toBe('virtual:m0');

    await page.getByTestId('nav-compare').click();
    await page.getByTestId('compare-model').selectOption('wide-fp');
    await page.getByTestId('compare-table').locator('tr[data-row="wide-w8a8"]').waitFor({ timeout: 30_000 });
    await page.reload();
    await page.getByTestId('compare-table').locator('tr[data-row="wide-w8a8"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('compare-model').inputValue()).toBe('wide-fp');
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
