import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './harness';

// The README's first command ends in `npm start`: it must build and serve the app here (no
// Electron binary), printing a loopback URL with a token that answers.
describe('npm start', () => {
  it('builds and serves the headless host on 127.0.0.1 with a token URL', async () => {
    const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-start-')), 'start.db');
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'scripts', 'start.mjs'), '--port', '0', '--db', db],
      {
        cwd: repoRoot,
        env: { ...process.env, BITBENCH_HEADLESS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 90_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([0-9a-f]+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[0]);
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${out}`)));
      });
      const { origin, hash } = new URL(url);
      const token = hash.replace('#token=', '');
      expect((await fetch(origin + '/')).status).toBe(200);
      const reply = await fetch(`${origin}/api/bb:status.get`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{}',
      });
      expect(await reply.json()).toMatchObject({ ok: true, value: { dbPath: db, shell: 'headless-host' } });
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }, 120_000);

  it('the host answers --help with its usage and refuses an option it does not know, starting nothing', () => {
    const host = path.join(repoRoot, 'out', 'main', 'host.js');
    const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-help-')), 'never.db');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [host, ...args, '--db', db], { encoding: 'utf8', timeout: 20_000 });
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: node out\/main\/host\.js \[--port N\] \[--db FILE\]/);
    const bad = run('--prot', '8080');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--prot'/);
    expect(run('--port', 'eighty').stderr).toMatch(/--port must be a port number 0\.\.65535, not "eighty"/);
    // None of them opened (so created) the database.
    expect(existsSync(db)).toBe(false);
  });
});
