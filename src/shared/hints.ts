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
  /** Where the line rate is set, after a handshake that heard nothing or only noise. */
  baud: (a: HintAudience): string =>
    a === 'cli' ? '--baud, BITBENCH_BAUD' : 'the Baud field next to Port path on the Devices page',
  /** After a board that prints text lines: how to record it anyway. */
  forwarder: (a: HintAudience): string =>
    a === 'cli'
      ? 'Record such a board with `bitbench record --forwarder`'
      : 'Record such a board on the Record page with "Text lines (data forwarder)" ticked',
  /**
   * After a virtual board whose firmware ELF is missing. The app has no button that builds it: it
   * is built once from the bitbench folder, then the Devices page sees it on Refresh.
   */
  buildVirtualFirmware: (a: HintAudience): string =>
    a === 'cli'
      ? 'run `npm run firmware`'
      : 'press Build firmware beside it on the Devices page (it runs make -C firmware, which needs gcc-arm-none-eabi)',
  /** After a virtual board whose firmware started but never answered. */
  rebuildVirtualFirmware: (a: HintAudience): string =>
    a === 'cli'
      ? 'Rebuild it with `npm run firmware` and retry'
      : 'Rebuild its firmware from the bitbench folder (make -C firmware), then press Start on the Devices page again',
  /** After a real board's firmware image that is not built yet. */
  buildRealFirmware: (a: HintAudience, board: string): string =>
    a === 'cli'
      ? `bitbench firmware build --board ${board}`
      : `press Build firmware (with ${board} chosen) under "Flash firmware to a real board" on the Devices page`,
  /** After a profile run that stopped part-way: how to go on from where it stopped. */
  resumeProfile: (a: HintAudience, runId: number): string =>
    a === 'cli'
      ? `resume it with \`bitbench profile --resume ${runId}\``
      : `press Resume on run ${runId} in the Deploy page's list of runs`,
  /** Where the calibration set's size is asked for. */
  calibSize: (a: HintAudience): string =>
    a === 'cli' ? '--calib' : 'Calibration windows on the Quantize page',
};
