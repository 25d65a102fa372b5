import { vi } from 'vitest';
import { runCli } from '../../../src/main/cli/program';
import { CliRuntime } from '../../../src/main/cli/runtime';

/** Runs the CLI in-process; `err` is what it wrote to stderr (runCli reports errors there). */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await runCli(args, new CliRuntime((s) => (out += s)));
    return { code, out, err };
  } finally {
    spy.mockRestore();
    quiet.mockRestore();
  }
}
