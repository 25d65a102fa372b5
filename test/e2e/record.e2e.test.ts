// Record page in Chromium against the headless host: record a labelled session from a virtual
// board at 1 kHz × 6 channels, watch the live plot move, find the session in the list, label a
// segment by dragging on its plot, delete it and undo.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtualBoardsUnavailable } from '../integration/helpers/virtual-boards';
import { e2eSkipReason, screenshot, type HostProcess, openApp } from './harness';

const skip = e2eSkipReason() ?? virtualBoardsUnavailable() ?? undefined;
if (skip) console.log(`[e2e] record page skipped: ${skip}`);

describe.skipIf(!!skip)('Record page', () => {
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

  const plotState = () =>
    page.getByTestId('live-plot').evaluate((el: HTMLElement) => ({
      frames: Number(el.dataset.frames ?? 0),
      lastIndex: Number(el.dataset.lastIndex ?? -1),
      fps: Number(el.dataset.fps ?? 0),
      drawMs: Number(el.dataset.drawMs ?? 0),
    }));

  it('shows an empty state that says what to do', async () => {
    await expect.poll(() => page.getByTestId('sessions-empty').textContent()).toMatch(/Start recording/);
  });

  it('records a labelled session from virtual:m4 at 1 kHz and the live plot moves', async () => {
    await page.getByTestId('rec-board').selectOption('virtual:m4');
    await page.getByTestId('rec-rate').selectOption('1000');
    await page.getByTestId('rec-label').fill('wave');
    await page.getByTestId('rec-name').fill('e2e wave');
    await page.getByTestId('rec-dataset').fill('gestures');
    await page.getByTestId('rec-duration').fill('6');
    await page.getByTestId('rec-start').click();

    await page.getByTestId('live-plot').waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await plotState()).lastIndex, { timeout: 15_000 }).toBeGreaterThan(500);
    const a = await plotState();
    const shotA = readFileSync(await screenshot(page, 'record-live-1'));
    await page.waitForTimeout(1000);
    const b = await plotState();
    const shotB = readFileSync(await screenshot(page, 'record-live-2'));
    // More samples arrived and the plot redrew: the picture changed.
    expect(b.lastIndex).toBeGreaterThan(a.lastIndex + 500);
    expect(b.frames).toBeGreaterThan(a.frames + 10);
    expect(shotA.equals(shotB)).toBe(false);
    console.log(`[e2e] live plot at 1 kHz × 6 channels: ${b.fps} fps, ${b.drawMs} ms per redraw`);
    // One redraw of the whole window must fit well inside a 60 fps frame (16.7 ms): 0.8 ms on an idle
    // machine. It is wall-clock time, so a second busy with other work can push one average past the
    // bound; the best of up to three 1-s averages taken while samples still arrive counts.
    let best = b.drawMs;
    let seen = b;
    for (let i = 0; i < 2 && best >= 12; i++) {
      await page.waitForTimeout(1000);
      const s = await plotState();
      if (s.lastIndex > seen.lastIndex + 500) best = Math.min(best, s.drawMs);
      seen = s;
    }
    expect(best).toBeLessThan(12);
    await expect
      .poll(() => page.getByTestId('rec-counters').textContent())
      .toMatch(/0 gaps.*0 dropped frames/);
  });

  it('lists the finished session with its label and group, and opens it', async () => {
    const row = page.getByTestId('session-row').filter({ hasText: 'e2e wave' });
    await row.waitFor({ timeout: 30_000 });
    // Listed while it records (its samples counting up), then complete.
    await expect
      .poll(() => row.textContent(), { timeout: 30_000 })
      .toMatch(/wave.*gestures.*6,000.*1000.*6\.00.*complete/);
    await page.getByTestId('session-view').waitFor();
    await page.getByTestId('session-plot').locator('.u-over').waitFor();
    await screenshot(page, 'record-session');
  });

  it('labels a segment by dragging across the session plot', async () => {
    const over = page.getByTestId('session-plot').locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await expect
      .poll(() => page.getByTestId('selection').textContent())
      .toMatch(/Selected samples \[1,[0-9]{3}, [23],[0-9]{3}\)/);
    await page.getByTestId('segment-label').fill('peak');
    await page.getByTestId('add-segment').click();
    await expect.poll(() => page.getByTestId('segments').textContent()).toMatch(/peak/);
    await screenshot(page, 'record-segment');
  });

  it('deletes with confirmation and undoes it', async () => {
    await page.getByTestId('delete-session').click();
    await page.getByTestId('confirm-delete').waitFor();
    await page.getByTestId('confirm-delete-yes').click();
    await expect.poll(() => page.getByTestId('session-row').count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('undo-banner').textContent())
      .toMatch(/restore session .*"e2e wave"/);
    await page.getByTestId('undo').click();
    await expect.poll(() => page.getByTestId('session-row').count()).toBe(1);
  });

  it('shows the session group on the Datasets page, ready to build a dataset from', async () => {
    await page.getByTestId('nav-datasets').click();
    const row = page.getByTestId('datasets-page').locator('tr', { hasText: 'gestures' });
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toMatch(/gestures\s*1\s*6,000.*wave/);
    await screenshot(page, 'record-datasets-groups');
  });

  it('a double click starts one recording; a reload mid-recording shows its settings and its growing row', async () => {
    await page.getByTestId('nav-record').click();
    await page.getByTestId('rec-label').fill('tap');
    await page.getByTestId('rec-name').fill('e2e twice');
    await page.getByTestId('rec-dataset').fill('taps');
    await page.getByTestId('rec-duration').fill('8');
    await page.getByTestId('rec-start').dblclick();
    await page.getByTestId('rec-stop').waitFor({ timeout: 30_000 });
    // The second click was not sent as a second start (it would have been refused on screen).
    expect(await page.locator('.error-box').count()).toBe(0);
    await page.reload();
    await page.getByTestId('rec-stop').waitFor({ timeout: 15_000 });
    // The form is filled from the running recording once its settings are read back (after Stop shows).
    await expect.poll(() => page.getByTestId('rec-label').inputValue(), { timeout: 15_000 }).toBe('tap');
    expect(await page.getByTestId('rec-dataset').inputValue()).toBe('taps');
    expect(await page.getByTestId('rec-duration').inputValue()).toBe('8');
    // The running session's row counts up while it records.
    const row = page.getByTestId('session-row').filter({ hasText: 'e2e twice' });
    const count = async () =>
      Number(((await row.locator('td').nth(3).textContent()) ?? '0').replace(/,/g, ''));
    await expect.poll(count, { timeout: 15_000 }).toBeGreaterThan(0);
    const first = await count();
    await expect.poll(count, { timeout: 15_000 }).toBeGreaterThan(first);
    await page.getByTestId('rec-start').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('session-row').filter({ hasText: 'e2e twice' }).count()).toBe(1);
  }, 60_000);

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
