// Devices page in Chromium against the headless host: empty state, start virtual:m4, live state,
// info, ping, a bad port path, stop, a board whose QEMU dies while the page is open.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunningVirtual } from '../../src/main/device/virtual-registry';
import { virtualBoardsUnavailable } from '../integration/helpers/virtual-boards';
import { e2eSkipReason, screenshot, type HostProcess, openApp } from './harness';

const skip = e2eSkipReason() ?? virtualBoardsUnavailable() ?? undefined;
if (skip) console.log(`[e2e] devices page skipped: ${skip}`);

describe.skipIf(!!skip)('Devices page', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    // The host inherits it: the registry of running QEMUs holds this test's boards only.
    process.env.BITBENCH_RUN_DIR = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-dev-')), 'run');
    ({ host, browser, page } = await openApp({ consoleErrors, viewport: { width: 1300, height: 900 } }));
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('devices-page').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop(); // stops QEMU with it
  });

  const row = (spec: string) => page.locator(`tr[data-spec="${spec}"]`);

  it('teaches the next step when no board is connected', async () => {
    await expect
      .poll(() => page.getByTestId('devices-empty').textContent())
      .toMatch(/No board connected — start a virtual board/);
    await expect.poll(() => row('virtual:m4').getByTestId('board-state').textContent()).toBe('stopped');
    await screenshot(page, 'devices-empty');
  });

  it('starts virtual:m4, shows it connected with its info and counter unit', async () => {
    await row('virtual:m4').getByRole('button', { name: 'Start' }).click();
    await expect
      .poll(() => row('virtual:m4').getByTestId('board-state').textContent(), { timeout: 15_000 })
      .toBe('connected');
    const info = page.getByTestId('board-info');
    await info.waitFor();
    await expect.poll(() => info.textContent()).toMatch(/qemu-mps2-an386.*cortex-m4 @ 25 MHz/);
    await expect.poll(() => info.textContent()).toMatch(/instructions \(QEMU -icount shift=5, not cycles\)/);
    await expect.poll(() => row('virtual:m4').textContent()).toMatch(/\/dev\/pts\/\d+/);
    expect(await page.getByTestId('devices-empty').count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('status-board').textContent())
      .toBe('board: virtual:m4 (instructions)');
  });

  it('pings and shows latency in ms', async () => {
    await row('virtual:m4').getByRole('button', { name: 'Ping' }).click();
    await expect
      .poll(() => page.getByTestId('ping-result').textContent(), { timeout: 15_000 })
      .toMatch(/p50 \d+\.\d{3} ms · p99 \d+\.\d{3} ms.*50 pings/);
    await screenshot(page, 'devices-connected');
  });

  it('a bad port path gives a message that names it', async () => {
    await page.getByPlaceholder('/dev/ttyACM0 or COM3').fill('/dev/ttyNOPE9');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/Cannot open \/dev\/ttyNOPE9: no such port/);
  });

  it('opens a serial port at the baud rate given (else the host default, 460800), and refuses one that is not a number', async () => {
    const connectBody = () =>
      page
        .waitForRequest((r) => decodeURIComponent(r.url()).includes('boards.connect'))
        .then((r) => JSON.parse(r.postData() ?? '{}') as unknown);
    await page.getByPlaceholder('/dev/ttyACM0 or COM3').fill('/dev/ttyNOPE8');
    // Empty: the host's default, 460800 (or $BITBENCH_BAUD), as the placeholder says.
    expect(await page.getByTestId('serial-baud').inputValue()).toBe('');
    expect(await page.getByTestId('serial-baud').getAttribute('placeholder')).toBe('460800');
    let body = connectBody();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    expect(await body).toEqual({ board: '/dev/ttyNOPE8' });
    await page.getByTestId('serial-baud').fill('115200');
    body = connectBody();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    expect(await body).toEqual({ board: '/dev/ttyNOPE8', baudRate: 115200 });
    await page.getByTestId('serial-baud').fill('fast');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/Baud fast: give the firmware's line rate/);
    await page.getByTestId('serial-baud').fill('');
  });

  it('stops the virtual board', async () => {
    await row('virtual:m4').getByRole('button', { name: 'Stop' }).click();
    await expect
      .poll(() => row('virtual:m4').getByTestId('board-state').textContent(), { timeout: 15_000 })
      .toBe('stopped');
    expect(consoleErrors.filter((e) => !/ttyNOPE[89]|Failed to load resource/.test(e))).toEqual([]);
  });

  it('a board whose QEMU dies while the page is open shows the cause, also after a reload', async () => {
    await row('virtual:m0').getByRole('button', { name: 'Start' }).click();
    await expect
      .poll(() => row('virtual:m0').getByTestId('board-state').textContent(), { timeout: 15_000 })
      .toBe('connected');
    const [qemu] = listRunningVirtual('virtual:m0');
    expect(qemu?.ownerPid).toBe(host.proc.pid);
    process.kill(qemu!.qemuPid, 'SIGKILL');
    await expect
      .poll(() => row('virtual:m0').getByTestId('board-state').textContent(), { timeout: 10_000 })
      .toBe('error');
    const cause = /QEMU for virtual:m0 exited unexpectedly \(killed by signal 9\); start the board again/;
    await expect.poll(() => row('virtual:m0').getByTestId('board-error').textContent()).toMatch(cause);
    // The status bar, seen from every page, says so too.
    await expect
      .poll(() => page.getByTestId('status-board').textContent())
      .toBe('board: none · virtual:m0 failed');
    await page.reload();
    await page.getByTestId('nav-devices').click();
    await expect.poll(() => row('virtual:m0').getByTestId('board-error').textContent()).toMatch(cause);
    await screenshot(page, 'devices-board-died');
    // Start works again from there.
    await row('virtual:m0').getByRole('button', { name: 'Start' }).click();
    await expect
      .poll(() => row('virtual:m0').getByTestId('board-state').textContent(), { timeout: 15_000 })
      .toBe('connected');
    expect(await row('virtual:m0').getByTestId('board-error').count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('status-board').textContent())
      .toBe('board: virtual:m0 (instructions)');
  });
});
