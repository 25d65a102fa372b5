import { createRequire } from 'node:module';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { _electron as electron } from 'playwright-core';
import { repoRoot, screenshot } from './harness';

const require = createRequire(import.meta.url);

function electronBinary(): string | undefined {
  try {
    const p = require('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();
const reason = binary
  ? undefined
  : 'the Electron binary is not installed (its download needs internet; the headless-host E2E covers the UI)';
if (reason) console.log(`[e2e] Electron E2E skipped: ${reason}`);

describe.skipIf(!binary)('Electron window', () => {
  it('opens the hardened window and reaches main through the preload', async () => {
    const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-electron-')), 'e.db');
    const app = await electron.launch({
      executablePath: binary!,
      args: [repoRoot],
      env: { ...process.env, BITBENCH_DB: db },
    });
    try {
      const page = await app.firstWindow();
      await expect
        .poll(async () => page.getByTestId('statusbar').textContent(), { timeout: 30_000 })
        .toContain(db);
      // Hardening seen from the page: no Node (nodeIntegration off, sandbox), an isolated world whose
      // only bridge is the typed API, and a CSP that refuses inline script.
      const seen = await page.evaluate(() => ({
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
        api: Object.keys((window as unknown as { bitbench: object }).bitbench).sort(),
      }));
      expect(seen.require).toBe('undefined');
      expect(seen.process).toBe('undefined');
      expect(seen.api).toContain('status');
      expect(seen.api).toContain('events');
      const inlineRan = await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inline = 1';
        document.body.appendChild(s);
        return (window as unknown as { __inline?: number }).__inline === 1;
      });
      expect(inlineRan).toBe(false);
      await screenshot(page, 'electron-window');
    } finally {
      await app.close();
    }
  });
});
