import { Command, CommanderError } from 'commander';
import { BitbenchError } from '../../shared/errors';
import { appVersion } from '../version';
import { registerJobsCommands } from './commands/jobs';
import { registerStatusCommands } from './commands/status';
import { CliRuntime } from './runtime';

/** Builds the `bitbench` command tree. Each feature registers its commands in one line here. */
export function buildProgram(rt: CliRuntime): Command {
  const program = new Command('bitbench')
    .description('bitbench — record, train, quantize, flash and profile sensor models on Cortex-M boards')
    .version(appVersion())
    .option('--db <path>', 'SQLite database file (default: $BITBENCH_DB or the app data folder)')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError()
    .exitOverride();
  registerStatusCommands(program, rt);
  registerJobsCommands(program, rt);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: string[], rt = new CliRuntime()): Promise<number> {
  const program = buildProgram(rt);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    const json = argv.includes('--json');
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof BitbenchError ? err.code : 'internal';
    if (json) process.stdout.write(JSON.stringify({ error: { code, message } }, null, 2) + '\n');
    process.stderr.write(`error: ${message}\n`);
    return 1;
  } finally {
    await rt.close();
  }
}
