// How recording reaches a bitbench board: through the device layer's board manager, which owns
// connections (and starts QEMU for virtual boards). The connection stays open after a recording:
// the board is the user's (the Devices page shows it) and the next recording reuses it.

import type { AppContext } from '../context';
import { boardManager } from '../device/board-manager';
import type { BoardConnector } from './recording-manager';

export function defaultBoardConnector(ctx: AppContext): BoardConnector {
  // Created now, before the recording manager registers its shutdown step: ctx.close() runs those
  // in reverse, so a running recording is stopped cleanly while its board is still connected.
  const boards = boardManager(ctx);
  return {
    open: async (spec) => {
      const conn = await boards.connect(spec);
      return { stream: conn, release: async () => undefined };
    },
  };
}
