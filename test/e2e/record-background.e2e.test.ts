// Record page: a recording that ends without this page's Stop (a timed one ending by itself, one
// started and stopped from another window) shows up finished, opened, without a reload.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtualBoardsUnavailable } from '../integration/helpers/virtual-boards';
import { e2eSkipReason, hookEventSockets, type HostProcess, openApp } from './harness';

const skip = e2eSkipReason() ?? virtualBoardsUnavailable() ?? undefined;
if (skip) console.log(`[e2e] record page (background completion) skipped: ${skip}`);

describe.skipIf(!!skip)('Record page: recordings that end in the background', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ({ host, browser, page } = await openApp({ consoleErrors, viewport: { width: 1400, height: 1100 } }));
    await page.getByTestId('nav-record').click();
    await page.getByTestId('record-page').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop(); // stops QEMU with it
  });

  /** Calls the host's API as another window (or a linked CLI) would. */
  const call = async (channel: string, input: unknown) => {
    const res = await fetch(`${host.url}/api/${encodeURIComponent(channel)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${new URL(host.openUrl).hash.replace('#token=', '')}`,
      },
      body: JSON.stringify(input),
    });
    const reply = (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
    if (!reply.ok) throw new Error(reply.error?.message);
    return reply.value;
  };
  const view = () => page.getByTestId('session-view');

  it('a timed recording ending by itself while its row is open shows its final summary', async () => {
    await page.getByTestId('rec-board').selectOption('virtual:m4');
    await page.getByTestId('rec-rate').selectOption('100');
    await page.getByTestId('rec-label').fill('first');
    await page.getByTestId('rec-name').fill('bg first');
    await page.getByTestId('rec-duration').fill('4');
    await page.getByTestId('rec-start').click();
    const row = page.getByTestId('session-row').filter({ hasText: 'bg first' });
    await row.waitFor({ timeout: 30_000 });
    // Opened while it records: the summary shows it running, part of its samples.
    await row.click();
    await expect.poll(() => view().textContent(), { timeout: 15_000 }).toMatch(/bg first\s*recording/);
    // It ends by itself (no Stop here): the opened summary is the finished session's.
    await page.getByTestId('rec-start').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => view().textContent(), { timeout: 10_000 })
      .toMatch(/bg first\s*complete\s*400 samples at 100 Hz \(4\.00 s\)/);
  }, 90_000);

  it('a recording started and stopped from elsewhere replaces the summary with its own', async () => {
    await call('bb:recording.start', {
      board: 'virtual:m4',
      source: 'bitbench',
      rateHz: 100,
      name: 'bg elsewhere',
      label: 'other',
    });
    await page.getByTestId('rec-stop').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1500);
    await call('bb:recording.stop', {});
    await page.getByTestId('rec-start').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.getByTestId('session-name').textContent(), { timeout: 10_000 })
      .toBe('bg elsewhere');
    await expect.poll(() => view().textContent(), { timeout: 10_000 }).toMatch(/bg elsewhere\s*complete/);
  }, 90_000);

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });

  // Last: the refused event sockets below log errors in the page by design.
  it('a recording that ends while the event link is down shows as ended, without a reload', async () => {
    const link = await hookEventSockets(page);
    await page.reload();
    await page.getByTestId('record-page').waitFor();
    await page.getByTestId('rec-name').fill('bg unheard');
    await page.getByTestId('rec-duration').fill('3');
    await page.getByTestId('rec-start').click();
    await expect
      .poll(() => page.getByTestId('rec-state').textContent(), { timeout: 30_000 })
      .toBe('recording');
    await link.cut();
    // The host finishes it; the page hears nothing of it.
    await expect
      .poll(async () => ((await call('bb:recording.status', {})) as { state: string }).state, {
        timeout: 20_000,
      })
      .toBe('idle');
    await page.getByTestId('rec-start').waitFor({ timeout: 10_000 });
    await expect
      .poll(() => page.getByTestId('session-name').textContent(), { timeout: 10_000 })
      .toBe('bg unheard');
    await expect
      .poll(() => view().textContent(), { timeout: 10_000 })
      .toMatch(/bg unheard\s*complete\s*300 samples/);
    await link.restore();
  }, 90_000);
});
