import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  e2eSkipReason,
  launchChromium,
  repoRoot,
  screenshot,
  startHostProcess,
  type HostProcess,
} from './harness';

const cli = path.join(repoRoot, 'bin', 'bitbench.mjs');
const junk = Buffer.from('not a database, just text that is long enough to have a header. '.repeat(4));

function corruptDb(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-bad-')), 'corrupt.db');
  writeFileSync(file, junk);
  return file;
}

const skip = e2eSkipReason();
if (skip) console.log(`[e2e] skipped: ${skip}`);

describe.skipIf(!!skip)('a corrupt database', () => {
  it('makes the CLI exit non-zero with a message naming the file, and leaves it untouched', () => {
    const file = corruptDb();
    const r = spawnSync(process.execPath, [cli, 'status', '--db', file], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/corrupt|not a bitbench/);
    expect(readFileSync(file).equals(junk)).toBe(true);
  });

  it('prints help through the installed bin', () => {
    const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: bitbench/);
    expect(r.stdout).toMatch(/status/);
  });

  describe('in the UI', () => {
    let host: HostProcess;
    let browser: Browser;
    beforeAll(async () => {
      host = await startHostProcess({ dbPath: corruptDb() });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await host?.stop();
    });

    it('shows an error page naming the file instead of a new empty database', async () => {
      const page = await browser.newPage();
      await page.goto(host.openUrl);
      await expect
        .poll(async () => page.locator('main').textContent(), { timeout: 30_000 })
        .toContain('cannot open its database');
      expect(await page.locator('main').textContent()).toContain(host.dbPath);
      await screenshot(page, 'bad-database');
      expect(readFileSync(host.dbPath).equals(junk)).toBe(true);
    });
  });
});
