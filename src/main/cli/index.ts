import { runCli } from './program';

// Entry of `bitbench` (bin/bitbench.mjs runs the built copy of this file).
const code = await runCli(process.argv.slice(2));
process.exitCode = code;
