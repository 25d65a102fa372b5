import { vi } from 'vitest';
import { runCli } from '../../../src/main/cli/program';
import { CliRuntime } from '../../../src/main/cli/runtime';

/** Runs the CLI in process on `db`; `out` is what it printed, `err` its stderr (where errors go). */
export async function runCliCaptured(
  args: string[],
  db: string,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  // A refusal's JSON goes straight to process.stdout (program.ts): it is part of `out` too.
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    const code = await runCli([...args, '--db', db], new CliRuntime((s) => (out += s)));
    return { code, out, err };
  } finally {
    spy.mockRestore();
    spyOut.mockRestore();
  }
}
