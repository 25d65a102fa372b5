import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { virtualBoardsUnavailable } from '../integration/helpers/virtual-boards';
import path from 'node:path';
import { e2eSkipReason, resultsDir, screenshot, type HostProcess, openApp, runJob } from './harness';

/**
 * The whole loop, clicked as a user would, in Chromium against the headless host on a fresh database:
 * Devices (start virtual:m4) → Record (sessions labelled by dragging on the plot) → Datasets (build
 * from the recorded group) → Train (a small custom conv net) → Quantize (W8A8 PTQ, then universal
 * 1-bit weights) → Deploy & Profile (flash + profile each) → Compare (both variants, device results).
 *
 * The virtual board replays a synthetic IMU recording from its start on every stream: 3 s standing,
 * then walking (docs/replay-format.md). Each session therefore holds both activities; the first
 * quarter is labelled "still" and the second half "walk" — the 1 s ramp in between stays unlabelled.
 * Three sessions so the session split gives train, val and test one each.
 */
const skip = e2eSkipReason() ?? virtualBoardsUnavailable() ?? undefined;
if (skip) console.log(`[e2e] whole loop skipped: ${skip}`);

const SESSIONS = 3;
const SECONDS = 9;
const SPEC = {
  arch: 'custom',
  inputShape: [128, 6],
  numClasses: 2,
  layers: [
    { type: 'conv1d', name: 'conv1', filters: 8, kernelSize: 5, activation: 'relu' },
    { type: 'maxPool1d', name: 'pool', poolSize: 4 },
    { type: 'flatten', name: 'flatten' },
    { type: 'dense', name: 'fc', units: 2 },
  ],
};

describe.skipIf(!!skip)(
  'The whole loop from the UI: record → dataset → train → quantize → profile → compare',
  () => {
    let host: HostProcess;
    let browser: Browser;
    let page: Page;
    const consoleErrors: string[] = [];
    const t0 = Date.now();
    const lap = (what: string) =>
      console.log(`[e2e loop] ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    /** The full page under test-results/, plus a cropped view (no sidebar, top 720 px) for the README. */
    const shot = async (name: string) => {
      await screenshot(page, name);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({
        path: path.join(resultsDir, `${name}.crop.png`),
        clip: { x: 180, y: 0, width: 1220, height: 720 },
      });
    };

    beforeAll(async () => {
      ({ host, browser, page } = await openApp({ consoleErrors, viewport: { width: 1400, height: 1000 } }));
    }, 60_000);
    afterEach(async (t) => {
      // A failed step leaves a picture of the page it failed on, and the page's error boxes in the log.
      if (t.task.result?.state === 'fail' && page) {
        await screenshot(page, 'loop-failed');
        const errors = await page.locator('.error-box').allTextContents();
        if (errors.length) console.log(`[e2e loop] errors on the page: ${errors.join(' | ')}`);
      }
    });
    afterAll(async () => {
      await browser?.close();
      await host?.stop(); // stops QEMU with it
    });

    it('1. Devices: starts virtual:m4', async () => {
      await page.getByTestId('nav-devices').click();
      const row = page.getByTestId('boards-table').locator('tr[data-spec="virtual:m4"]');
      await row.getByRole('button', { name: 'Start' }).click();
      await expect
        .poll(() => row.getByTestId('board-state').textContent(), { timeout: 30_000 })
        .toBe('connected');
      await page.getByTestId('board-info').waitFor();
      await shot('loop-1-devices');
      // The real-board firmware flasher lists what it found; here there is no Nucleo drive, so it
      // offers st-flash/openocd if installed, else says what to install.
      await page.getByTestId('open-firmware-flash').click();
      await expect
        .poll(() => page.getByTestId('fw-advice').textContent(), { timeout: 10_000 })
        .toMatch(/NODE_F401RE|st-flash|openocd/);
      await screenshot(page, 'loop-1-firmware-flash');
      lap('board up');
    }, 60_000);

    it('2. Record: three sessions, each labelled still / walk by dragging on its plot', async () => {
      await page.getByTestId('nav-record').click();
      await page.getByTestId('record-page').waitFor();
      await page.getByTestId('rec-board').selectOption('virtual:m4');
      await page.getByTestId('rec-rate').selectOption('200');
      await page.getByTestId('rec-dataset').fill('walk-or-stand');
      await page.getByTestId('rec-duration').fill(String(SECONDS));
      for (let i = 1; i <= SESSIONS; i++) {
        await page.getByTestId('rec-name').fill(`loop ${i}`);
        await page.getByTestId('rec-start').click();
        const row = page.getByTestId('session-row').filter({ hasText: `loop ${i}` });
        await expect.poll(() => row.textContent(), { timeout: (SECONDS + 20) * 1000 }).toMatch(/complete/);
        await row.click();
        await expect.poll(() => page.getByTestId('session-name').textContent()).toBe(`loop ${i}`);
        const over = page.getByTestId('session-plot').locator('.u-over');
        await over.waitFor();
        const label = async (from: number, to: number, name: string) => {
          const box = (await over.boundingBox())!;
          await page.mouse.move(box.x + box.width * from, box.y + box.height / 2);
          await page.mouse.down();
          await page.mouse.move(box.x + box.width * to, box.y + box.height / 2, { steps: 6 });
          await page.mouse.up();
          await expect.poll(() => page.getByTestId('selection').textContent()).toMatch(/Selected samples/);
          await page.getByTestId('segment-label').fill(name);
          await page.getByTestId('add-segment').click();
          await expect.poll(() => page.getByTestId('segments').textContent()).toMatch(new RegExp(name));
        };
        await label(0.01, 0.3, 'still');
        await label(0.5, 0.99, 'walk');
      }
      await shot('loop-2-record');
      lap('recorded');
    }, 150_000);

    it('3. Datasets: builds a dataset from the recorded group', async () => {
      await page.getByTestId('nav-datasets').click();
      const group = page.getByTestId('datasets-page').locator('tr', { hasText: 'walk-or-stand' }).first();
      await expect.poll(() => group.textContent(), { timeout: 15_000 }).toMatch(/still, walk|walk, still/);
      await runJob(page, () => group.getByRole('button', { name: 'Build dataset' }).click(), 60_000);
      await page.getByTestId('dataset-row-walk-or-stand').click();
      await expect.poll(() => page.getByTestId('class-counts').textContent()).toMatch(/still.*walk/s);
      await shot('loop-3-datasets');
      lap('dataset built');
    }, 90_000);

    it('4. Train: a small custom conv net for a few epochs', async () => {
      await page.getByTestId('nav-train').click();
      await page.getByTestId('train-page').waitFor();
      await page.getByTestId('train-dataset').selectOption('walk-or-stand');
      await page.getByTestId('train-arch').selectOption('custom');
      await page.getByTestId('train-spec').fill(JSON.stringify(SPEC));
      await page.getByTestId('train-name').fill('walk-fp');
      await page.getByTestId('train-epochs').fill('60');
      await page.getByLabel('Learning rate').fill('0.01');
      await runJob(page, () => page.getByTestId('train-start').click(), 120_000);
      await page.getByTestId('model-card').waitFor({ timeout: 10_000 });
      await expect.poll(() => page.getByTestId('models-table').textContent()).toContain('walk-fp');
      await shot('loop-4-train');
      lap('trained');
    }, 150_000);

    it('5. Quantize: W8A8 PTQ with one click, then universal 1-bit weights with one click', async () => {
      await page.getByTestId('nav-quantize').click();
      await page.getByTestId('quantize-page').waitFor();
      await page.getByTestId('quant-model').selectOption('walk-fp');
      await page.getByTestId('quant-preset').selectOption('W8A8');
      // The layerwise step names itself in the method string; the loop itself quantizes with nearest rounding.
      const page5 = page.getByTestId('quantize-page');
      await page.getByTestId('quant-layerwise').selectOption('adaquant');
      await expect.poll(() => page5.textContent()).toContain('mse+adaquant+bias-correction');
      await page.getByTestId('quant-tuning').selectOption('weights');
      await expect.poll(() => page5.textContent()).toContain('mse+adaquant+bias-correction+weight-tuning');
      await page.getByTestId('quant-tuning').selectOption('ranges');
      await expect.poll(() => page5.textContent()).toContain('mse+adaquant+bias-correction+range-tuning');
      // QDrop is offered while a learning step is chosen, and joins the method string.
      await page.getByTestId('quant-qdrop').check();
      await expect
        .poll(() => page.getByTestId('quant-method').textContent())
        .toBe('mse+adaquant+bias-correction+range-tuning+qdrop');
      await page.getByTestId('quant-qdrop').uncheck();
      await page.getByTestId('quant-tuning').selectOption('biases');
      await page.getByTestId('quant-layerwise').selectOption('none');
      await expect.poll(() => page5.textContent()).toContain('mse+bias-correction+bias-tuning');
      await expect.poll(() => page.getByTestId('quant-method').textContent()).not.toContain('qdrop');
      await runJob(page.getByTestId('quantize-page'), () => page.getByTestId('quant-start').click(), 120_000);
      await expect
        .poll(() => page.getByTestId('variants').textContent(), { timeout: 120_000 })
        .toContain('walk-w8a8');
      // The page's method reached the pipeline (the variants table names it), and the new variant's
      // report says what the end-to-end tuning did.
      await expect
        .poll(() => page.getByTestId('variants').textContent())
        .toContain('mse+bias-correction+bias-tuning');
      await expect
        .poll(() => page.getByTestId('tuning-report').textContent(), { timeout: 30_000 })
        .toMatch(/End-to-end tuning: logits MSE vs float \d\S* → \d/);
      const panel = page.getByTestId('lowbit-panel');
      await panel.getByLabel('method').selectOption('universal-s1');
      await panel.getByLabel('weight bits').fill('1');
      await panel.getByLabel('epochs', { exact: true }).fill('4');
      await panel.getByTestId('lowbit-lr-schedule').selectOption('cosine');
      await panel.getByTestId('lowbit-rounded-epochs').fill('1');
      await runJob(panel, () => panel.getByRole('button', { name: 'Train', exact: true }).click(), 150_000);
      const report = panel.getByTestId('lowbit-report');
      await report.waitFor();
      // The cosine schedule reached the trainer: the rate falls epoch by epoch, to 0 at the last step.
      const rates = ((await report.getByTestId('lowbit-lr').textContent()) ?? '')
        .replace(/^.*:\s*/, '')
        .split(' → ')
        .map(Number);
      // 4 S1 epochs, then the rounded epoch, which trains biases and α at the base rate.
      expect(rates).toHaveLength(5);
      for (let i = 1; i < 4; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
      expect(rates[3]).toBe(0);
      expect(rates[4]).toBe(0.002);
      // The panel's other settings reached the trainer too.
      expect(await report.getByTestId('lowbit-config').textContent()).toMatch(
        /universal-s1, 4 epochs from the float weights, lr 0\.002 \(cosine\), seed 1 · 1 rounded epochs/,
      );
      const lowbitName = /^\s*(\S+) —/.exec((await report.textContent()) ?? '')?.[1];
      expect(lowbitName).toBeTruthy();
      expect(lowbitName).not.toMatch(/not stored/);
      await expect
        .poll(() => page.getByTestId('variants').textContent(), { timeout: 30_000 })
        .toContain(lowbitName!);
      variant1bit = lowbitName!;
      await shot('loop-5-quantize');
      lap(`quantized (${variant1bit})`);
    }, 300_000);

    let variant1bit = '';

    it('6. Deploy & Profile: flashes and profiles each variant on virtual:m4', async () => {
      await page.getByTestId('nav-deploy').click();
      await page.getByTestId('deploy-page').waitFor();
      for (const model of ['walk-w8a8', variant1bit]) {
        await page.getByTestId('deploy-model').selectOption(model);
        await page.getByTestId('deploy-board').selectOption('virtual:m4');
        await expect.poll(() => page.getByTestId('fit').textContent(), { timeout: 30_000 }).toMatch(/fits/);
        await runJob(page, () => page.getByTestId('flash').click(), 60_000);
        await runJob(page, () => page.getByTestId('profile').click(), 120_000);
        const report = page.getByTestId('profile-report');
        await report.getByText(new RegExp(`${model} on virtual:m4`)).waitFor({ timeout: 30_000 });
        await expect.poll(() => report.getByTestId('bit-exact').textContent()).toMatch(/bit-exact/);
        lap(`profiled ${model}`);
      }
      await shot('loop-6-deploy');
    }, 300_000);

    it('7. Compare: both variants with device results, bit-exact', async () => {
      await page.getByTestId('nav-compare').click();
      await page.getByTestId('compare-page').waitFor();
      await page
        .getByTestId('compare-model')
        .selectOption('walk-fp')
        .catch(() => undefined);
      const table = page.getByTestId('compare-table');
      for (const model of ['walk-w8a8', variant1bit]) {
        const row = table.locator(`tr[data-row="${model}"]`);
        await row.waitFor({ timeout: 30_000 });
        await expect.poll(() => row.textContent()).toMatch(/yes/);
      }
      await shot('loop-7-compare');
      lap('compared');
      expect(consoleErrors).toEqual([]);
    }, 60_000);
  },
);
