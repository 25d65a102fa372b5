import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/main/cli/program';
import { CliRuntime } from '../../src/main/cli/runtime';

describe('cli', () => {
  it('jobs list --json prints an empty list on a new database', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-cli-'));
    let out = '';
    const code = await runCli(
      ['jobs', 'list', '--json', '--db', path.join(dir, 'a.db')],
      new CliRuntime((s) => (out += s)),
    );
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([]);
  });
});
