import type { Command } from 'commander';
import { command, optionsOf, type CliRuntime } from '../runtime';
import { withSnakeCase } from '../snake-case';

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
    // The API's camelCase fields, and the snake_case names every other command's JSON uses.
    const json = withSnakeCase(s);
    rt.print(opts, json, (v) =>
      [
        `bitbench ${v.appVersion}`,
        `database      ${v.dbPath} (schema v${v.schemaVersion})`,
        `tf backend    ${v.tfBackend ?? 'none'} — ${v.tfBackendNote}`,
        `platform      ${v.platform}, node ${v.nodeVersion}`,
      ].join('\n'),
    );
  });
}
