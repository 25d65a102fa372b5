import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openStore } from '../../src/main/store/database';
import { SessionsRepo } from '../../src/main/store/sessions-repo';
import { e2eSkipReason, openApp, runJob, screenshot, type HostProcess } from './harness';

const skip = e2eSkipReason();
if (skip) console.log(`[e2e] datasets-build skipped: ${skip}`);

/** A database holding two recorded sessions of group g1, one labelled "a", one "b". */
function seededDb(): string {
  const dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-build-')), 'e2e.db');
  const store = openStore(dbPath);
  try {
    const repo = new SessionsRepo(store.db);
    for (const label of ['a', 'b']) {
      const s = repo.create({
        name: `rec-${label}`,
        dataset: 'g1',
        source: 'board',
        rateHz: 50,
        channels: [{ name: 'x' }, { name: 'y' }],
        state: 'complete',
      });
      const data = Float32Array.from({ length: 2 * 600 }, (_, i) => Math.sin(i / 7));
      repo.appendChunks(s.id, [{ t0Us: 0, nSamples: 600, data }]);
      repo.setSessionLabel(s.id, label);
    }
  } finally {
    store.close();
  }
  return dbPath;
}

/** One file per class, recordings of 20 rows separated by blank lines. */
function csvFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-e2e-csv-'));
  mkdirSync(dir, { recursive: true });
  for (const g of ['punch', 'flex']) {
    const blocks = Array.from({ length: 3 }, (_, r) =>
      Array.from({ length: 20 }, (_, i) => `${i + r},${i * 0.5}`).join('\n'),
    );
    writeFileSync(path.join(dir, `${g}.csv`), 'aX,aY\n' + blocks.join('\n\n') + '\n');
  }
  return dir;
}

function versionsOf(dbPath: string, name: string): number[] {
  const store = openStore(dbPath);
  try {
    return (
      store.db.prepare('SELECT version FROM datasets WHERE name = ? ORDER BY version').all(name) as Array<{
        version: number;
      }>
    ).map((r) => r.version);
  } finally {
    store.close();
  }
}

describe.skipIf(!!skip)('Datasets page: building, importing and exporting', () => {
  let host: HostProcess;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ({ host, browser, page } = await openApp({
      consoleErrors,
      viewport: { width: 1400, height: 1000 },
      dbPath: seededDb(),
    }));
    await page.getByTestId('nav-datasets').click();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('a double click on Build dataset builds one version, whose empty splits are warned about', async () => {
    const build = page.getByTestId('build-g1');
    await runJob(page, () => build.dblclick(), 60_000);
    await page.getByTestId('dataset-row-g1').waitFor({ timeout: 10_000 });
    expect(versionsOf(host.dbPath, 'g1')).toEqual([1]);
    // the second click never reached the host (which would have refused it as a duplicate)
    expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    const details = page.getByTestId('dataset-details');
    await expect.poll(() => details.locator('h2').first().textContent()).toMatch(/^g1@1/);
    await expect
      .poll(() => details.getByTestId('dataset-warning').allTextContents())
      .toEqual([
        expect.stringMatching(/^The val split is empty/),
        expect.stringMatching(/^The test split is empty/),
      ]);
  });

  it('building again with the dataset selected shows the new version in the details', async () => {
    await page.getByTestId('dataset-row-g1').click();
    await runJob(page, () => page.getByTestId('build-g1').click(), 60_000);
    await expect.poll(() => page.getByTestId('dataset-row-g1').textContent()).toContain('g1@2');
    const details = page.getByTestId('dataset-details');
    await expect.poll(() => details.locator('h2').first().textContent()).toMatch(/^g1@2/);
    await expect.poll(() => page.getByTestId('export-out').inputValue()).toBe('g1-v2.csv');
    await screenshot(page, 'datasets-rebuilt');
  });

  it('exports a bare file name into exports/ beside the database and shows the absolute path', async () => {
    const details = page.getByTestId('dataset-details');
    await runJob(details, () => page.getByTestId('export-start').click(), 30_000);
    const written = path.join(path.dirname(host.dbPath), 'exports', 'g1-v2.csv');
    await expect.poll(() => page.getByTestId('export-result').textContent()).toContain(`Wrote ${written}`);
  });

  it('the CSV form has no pre-filled gesture values and its refusals name the form field, not a CLI flag', async () => {
    await page.getByTestId('open-import').click();
    const dialog = page.getByTestId('import-dialog');
    await dialog.getByLabel('CSV').check();
    expect(await dialog.getByTestId('import-recording-length').inputValue()).toBe('');
    expect(await dialog.getByTestId('import-rate').inputValue()).toBe('');
    const dir = csvFolder();
    await dialog.getByTestId('import-path').fill(dir);
    await dialog.getByTestId('import-recording-length').fill('7');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const alert = dialog.getByRole('alert');
    await expect
      .poll(() => alert.textContent(), { timeout: 10_000 })
      .toContain('not a multiple of “Recording length” 7');
    expect(await alert.textContent()).not.toContain('--');

    // a double click on Import starts one job
    await dialog.getByTestId('import-recording-length').fill('');
    await dialog.getByTestId('import-name').fill('gest');
    await runJob(dialog, () => dialog.getByTestId('import-start').dblclick(), 60_000);
    expect(versionsOf(host.dbPath, 'gest')).toEqual([1]);
    expect(await dialog.getByRole('alert').allTextContents()).toEqual([]);
  });

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
