import { runCli } from './program';

// Entry of `bitbench` (bin/bitbench.mjs runs the built copy of this file).
// `bitbench jobs list --json | head`: the reader closing the pipe ends the output, not in a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const code = await runCli(process.argv.slice(2));
process.exitCode = code;
