import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const resultsDir = path.join(repoRoot, 'test-results');
export const CHROMIUM = process.env.BITBENCH_CHROMIUM ?? '/usr/bin/chromium';
const hostEntry = path.join(repoRoot, 'out', 'main', 'host.js');

/** Why the browser E2E tests cannot run here, or undefined when they can. */
export function e2eSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(path.join(repoRoot, 'out', 'renderer', 'index.html')) || !existsSync(hostEntry)) {
    return 'the app is not built (npm run build)';
  }
  return undefined;
}

export interface HostProcess {
  url: string;
  openUrl: string;
  dbPath: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the built headless host on a fresh database and waits for its URL. */
export async function startHostProcess(
  opts: { dbPath?: string; env?: NodeJS.ProcessEnv; port?: number } = {},
): Promise<HostProcess> {
  const dbPath = opts.dbPath ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-')), 'e2e.db');
  const portArgs = opts.port !== undefined ? ['--port', String(opts.port)] : [];
  const proc = spawn(process.execPath, [hostEntry, '--db', dbPath, ...portArgs], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const openUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`host exited with ${code}: ${out}`)));
  });
  return {
    url: new URL(openUrl).origin,
    openUrl,
    dbPath,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface OpenedApp {
  host: HostProcess;
  browser: Browser;
  page: Page;
}

/**
 * Starts the headless host (on `dbPath` or a fresh database), opens the UI in Chromium with its
 * token, and collects the page's console errors and uncaught exceptions into `consoleErrors`.
 */
export async function openApp(opts: {
  consoleErrors: string[];
  viewport?: { width: number; height: number };
  dbPath?: string;
}): Promise<OpenedApp> {
  const host = await startHostProcess(opts.dbPath ? { dbPath: opts.dbPath } : {});
  const browser = await launchChromium();
  const page = await browser.newPage(opts.viewport ? { viewport: opts.viewport } : {});
  page.on('console', (m) => m.type() === 'error' && opts.consoleErrors.push(m.text()));
  page.on('pageerror', (e) => opts.consoleErrors.push(e.message));
  await page.goto(host.openUrl);
  return { host, browser, page };
}

/**
 * Clicks what starts a job and waits until *that* job succeeded: the bar may still show the
 * previous job of the page until the new one's first event arrives, so the job id must change.
 */
export async function runJob(
  scope: ReturnType<Page['locator']> | Page,
  start: () => Promise<void>,
  timeout: number,
): Promise<void> {
  const bar = scope.getByTestId('job-progress').first();
  const before = await bar.getAttribute('data-job-id', { timeout: 200 }).catch(() => null);
  await start();
  await expect
    .poll(
      async () => {
        const id = await bar.getAttribute('data-job-id', { timeout: 200 }).catch(() => null);
        if (id === null || id === before) return 'not started';
        const s = await bar.getAttribute('data-state', { timeout: 200 }).catch(() => null);
        if (s === 'failed') throw new Error(`job failed: ${await bar.textContent()}`);
        return s;
      },
      { timeout },
    )
    .toBe('succeeded');
}

type HookedWindow = { bbSockets: WebSocket[]; bbBlock: boolean };

/**
 * Lets a test drop the page's event link (the headless host's WebSocket) and keep it down: what a
 * laptop's sleep does. Installs itself for the page's next load (the caller reloads); `cut` closes
 * the sockets and refuses new ones (the page's retries then log errors by design), `restore` lets
 * the next retry through.
 */
export async function hookEventSockets(
  page: Page,
): Promise<{ cut: () => Promise<void>; restore: () => Promise<void> }> {
  await page.addInitScript(() => {
    const w = window as unknown as HookedWindow;
    w.bbSockets = [];
    w.bbBlock = false;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(w.bbBlock ? String(url).replace('/events', '/refused') : url, protocols);
        w.bbSockets.push(this);
      }
    };
  });
  return {
    cut: () =>
      page.evaluate(() => {
        const w = window as unknown as HookedWindow;
        w.bbBlock = true;
        for (const ws of w.bbSockets) ws.close();
      }),
    restore: () =>
      page.evaluate(() => {
        (window as unknown as HookedWindow).bbBlock = false;
      }),
  };
}
