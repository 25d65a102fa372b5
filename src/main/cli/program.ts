import { Command, CommanderError } from 'commander';
import { BitbenchError } from '../../shared/errors';
import { describeStoreError } from '../store/database';
import { appVersion } from '../version';
import { registerDatasetsCommands } from './commands/datasets';
import { registerDeployCommands } from './commands/deploy';
import { registerExportCommands } from './commands/export';
import { registerFirmwareCommands } from './commands/firmware';
import { registerBoardsCommands } from './commands/boards';
import { registerJobsCommands } from './commands/jobs';
import { registerLowBitCommands } from './commands/lowbit';
import { registerQuantizeCommands } from './commands/quantize';
import { registerRecordCommands } from './commands/record';
import { registerStatusCommands } from './commands/status';
import { registerTrainCommands } from './commands/train';
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
  registerBoardsCommands(program, rt);
  registerDatasetsCommands(program, rt);
  registerRecordCommands(program, rt);
  registerQuantizeCommands(program, rt);
  registerLowBitCommands(program, rt);
  registerTrainCommands(program, rt);
  registerExportCommands(program, rt);
  registerDeployCommands(program, rt);
  registerFirmwareCommands(program, rt);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: string[], rt = new CliRuntime()): Promise<number> {
  const program = buildProgram(rt);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return rt.exitCode;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      // Commander has printed the usage error; a script asking for --json gets it as JSON too.
      if (thrown.exitCode !== 0 && argv.includes('--json'))
        process.stdout.write(
          JSON.stringify(
            { error: { code: 'bad_request', message: thrown.message.replace(/^error: /, '') } },
            null,
            2,
          ) + '\n',
        );
      return thrown.exitCode === 0 ? 0 : 2;
    }
    const json = argv.includes('--json');
    const dbPath = rt.storePath();
    const err = dbPath !== null ? describeStoreError(dbPath, thrown) : thrown;
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof BitbenchError ? err.code : 'internal';
    if (json) process.stdout.write(JSON.stringify({ error: { code, message } }, null, 2) + '\n');
    process.stderr.write(`error: ${message}\n`);
    return 1;
  } finally {
    await rt.close();
  }
}
