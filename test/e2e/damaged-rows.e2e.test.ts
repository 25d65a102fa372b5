// One damaged database row must not hide a whole list in the app: the Train page's models table
// shows the other models and the page warns, naming the damaged one; another page does not carry
// the warning over.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/store/database';
import { e2eSkipReason, openApp, screenshot, type OpenedApp } from './harness';

const skip = e2eSkipReason();
if (skip) console.log(`[e2e] skipped: ${skip}`);

function seededDb(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-damaged-e2e-')), 'e2e.db');
  const { db, close } = openStore(file);
  try {
    const spec = JSON.stringify({ arch: 'har-cnn', inputShape: [128, 9], layers: [] });
    const add = db.prepare(
      `INSERT INTO models (name, kind, arch, spec, metrics, created_at) VALUES (?, 'float', 'har-cnn', ?, '{}', ?)`,
    );
    add.run('model-good-1', spec, '2026-01-01');
    add.run('model-broken', spec, '2026-01-02');
    add.run('model-good-2', spec, '2026-01-03');
    db.prepare(`UPDATE models SET spec = '{broken' WHERE name = 'model-broken'`).run();
  } finally {
    close();
  }
  return file;
}

describe.skipIf(!!skip)('a damaged row in the app', () => {
  let app: OpenedApp;
  const consoleErrors: string[] = [];
  beforeAll(async () => {
    app = await openApp({ consoleErrors, dbPath: seededDb() });
  }, 60_000);
  afterAll(async () => {
    await app?.browser.close();
    await app?.host.stop();
  });

  it('the Train page lists the other models and warns naming the damaged one', async () => {
    const { page } = app;
    await page.getByTestId('nav-train').click();
    const table = page.getByTestId('models-table');
    await expect
      .poll(async () => table.textContent({ timeout: 500 }).catch(() => ''), { timeout: 30_000 })
      .toContain('model-good-1');
    expect(await table.textContent()).toContain('model-good-2');
    expect(await table.textContent()).not.toContain('model-broken');
    const warning = page.getByTestId('damaged-rows');
    await expect
      .poll(async () => warning.textContent({ timeout: 500 }).catch(() => ''), { timeout: 10_000 })
      .toContain('model "model-broken"');
    expect(await warning.textContent()).toContain('table models, column spec');
    expect(await page.getByTestId('damaged-row').count()).toBe(1);
    await screenshot(page, 'damaged-rows-train');

    // The Devices page reads no models: the warning does not follow the user there.
    await page.getByTestId('nav-devices').click();
    await expect.poll(async () => page.getByTestId('damaged-rows').count(), { timeout: 10_000 }).toBe(0);
  });
});
