import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { e2eSkipReason, type HostProcess, openApp, screenshot, startHostProcess } from './harness';

/**
 * A browser tab outlives its headless host: when the host stops, the tab says so (instead of
 * retrying in silence and failing every click with a network error), and when a new host runs on
 * the same port, with a new token, the tab says to open the URL that host printed.
 */
const skip = e2eSkipReason();
if (skip) console.log(`[e2e] host link skipped: ${skip}`);

describe.skipIf(!!skip)('a tab whose headless host stopped or restarted', () => {
  let host: HostProcess;
  let second: HostProcess | undefined;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ({ host, browser, page } = await openApp({ consoleErrors }));
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
    await second?.stop();
  });

  it('shows no banner while the host answers', async () => {
    await expect
      .poll(() => page.getByTestId('statusbar').textContent(), { timeout: 30_000 })
      .toContain(host.dbPath);
    expect(await page.getByTestId('host-banner').count()).toBe(0);
  });

  it('says the host does not answer once it stopped', async () => {
    await host.stop();
    const banner = page.getByTestId('host-banner');
    await expect.poll(() => banner.getAttribute('data-link'), { timeout: 30_000 }).toBe('unreachable');
    expect(await banner.textContent()).toMatch(/does not answer.*npm start/);
    // A page that asks the gone host for something says the same, not the browser's "Failed to fetch".
    await page.getByTestId('nav-datasets').click();
    const box = page.locator('.error-box').first();
    await expect
      .poll(() => box.textContent(), { timeout: 15_000 })
      .toMatch(/host does not answer.*npm start/);
    expect(await page.locator('.error-box').allTextContents()).not.toContainEqual(
      expect.stringMatching(/fetch|NetworkError/i),
    );
  }, 60_000);

  it('says the host restarted, and to open its new URL, once a new host answers on the same port', async () => {
    second = await startHostProcess({ dbPath: host.dbPath, port: Number(new URL(host.url).port) });
    expect(second.url).toBe(host.url);
    const banner = page.getByTestId('host-banner');
    await expect.poll(() => banner.getAttribute('data-link'), { timeout: 40_000 }).toBe('stale-token');
    expect(await banner.textContent()).toMatch(/restarted.*Open the URL the host printed/);
    await screenshot(page, 'host-restarted-banner');
    // Opening the new URL, as the banner says, gives a working tab.
    await page.goto(second.openUrl);
    await expect
      .poll(() => page.getByTestId('statusbar').textContent(), { timeout: 30_000 })
      .toContain(host.dbPath);
    expect(await page.getByTestId('host-banner').count()).toBe(0);
  }, 90_000);
});
