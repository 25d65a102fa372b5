import type { Command } from 'commander';
import { command, optionsOf, type CliRuntime } from '../runtime';

export function registerStatusCommands(program: Command, rt: CliRuntime): void {
  const status = command(
    program,
    'status',
    'database path, schema version, TensorFlow.js backend, app version',
  );
  status.action(async (_opts, cmd: Command) => {
    const opts = optionsOf(cmd);
    const { services } = await rt.open(opts);
    const s = await services.status.get({ loadTf: true });
    rt.print(opts, s, (v) =>
      [
        `bitbench ${v.appVersion}`,
        `database      ${v.dbPath} (schema v${v.schemaVersion})`,
        `tf backend    ${v.tfBackend ?? 'none'} — ${v.tfBackendNote}`,
        `platform      ${v.platform}, node ${v.nodeVersion}`,
      ].join('\n'),
    );
  });
}
