import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { e2eSkipReason, screenshot, type HostProcess, openApp } from './harness';

const skip = e2eSkipReason();
if (skip) console.log(`[e2e] skipped: ${skip}`);

describe.skipIf(!!skip)('UI shell in Chromium against the headless host', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ({ host, browser, page } = await openApp({ consoleErrors }));
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('shows the status bar with the database path and the tf backend', async () => {
    const bar = page.getByTestId('statusbar');
    await expect.poll(async () => bar.textContent(), { timeout: 30_000 }).toContain(host.dbPath);
    await expect
      .poll(async () => bar.textContent(), { timeout: 30_000 })
      .toMatch(/tf: (wasm|cpu|tensorflow)/);
  });

  it('navigates every page of the loop and screenshots it', async () => {
    for (const id of ['devices', 'record', 'datasets', 'train', 'quantize', 'deploy', 'compare']) {
      await page.getByTestId(`nav-${id}`).click();
      await expect.poll(() => page.evaluate(() => window.location.hash)).toBe(`#/${id}`);
      await expect.poll(async () => page.locator('main h1').first().textContent()).toBeTruthy();
      await screenshot(page, `shell-${id}`);
    }
  });

  it("an empty page's guidance links to the page that comes before it", async () => {
    // A fresh database: each empty state names the page to go to, and the name takes you there.
    const cases: Array<[string, string, string, string]> = [
      ['train', 'train-empty', 'Datasets page', '#/datasets'],
      ['train', 'train-empty', 'record sessions', '#/record'],
      ['quantize', 'quantize-empty', 'Train page', '#/train'],
      ['deploy', 'deploy-empty', 'Quantize page', '#/quantize'],
      ['compare', 'compare-empty', 'Train page', '#/train'],
    ];
    for (const [from, empty, link, to] of cases) {
      await page.getByTestId(`nav-${from}`).click();
      await page.getByTestId(empty).getByRole('link', { name: link }).click({ timeout: 30_000 });
      await expect.poll(() => page.evaluate(() => window.location.hash)).toBe(to);
    }
  });

  it('makes an API round trip through the typed client', async () => {
    const jobs = await page.evaluate(async () => {
      const res = await fetch('/api/bb:jobs.list', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${sessionStorage.getItem('bitbench-token')}`,
        },
        body: '{"limit":5}',
      });
      return res.json();
    });
    expect(jobs).toEqual({ ok: true, value: [] });
  });

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
