/**
 * Where a message's "what to do next" points: the CLI user runs a command, the app user clicks
 * something in the app. The same error reads differently in each (a user of the app has no
 * `bitbench` command at hand, and a CLI user has no Devices page).
 */
export type HintAudience = 'cli' | 'app';

export const Hints = {
  /** After "no such port": how to see which ports exist. */
  findPort: (a: HintAudience): string =>
    a === 'cli'
      ? 'Plug the board in and run `bitbench boards list`'
      : 'Plug the board in and press Refresh on the Devices page to see its port',
  /** After "not a serial port": where the board's port is shown. */
  portList: (a: HintAudience): string =>
    a === 'cli' ? '`bitbench boards list`' : 'the Port column on the Devices page',
  /** After a generic open failure or an echoing port. */
  checkPath: (a: HintAudience): string =>
    a === 'cli'
      ? 'Check the port path (`bitbench boards list`)'
      : 'Check the port path against the Devices page (press Refresh to list the ports)',
};
