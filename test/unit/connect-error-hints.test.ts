// A connect error says what to do where the user is: the CLI names `bitbench boards list`, the app
// (Electron or the headless host serving the UI) points at its Devices page instead.
import { afterEach, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/main/context';
import { boardManager } from '../../src/main/device/board-manager';
import { describeOpenError } from '../../src/main/device/transport';

describe('connect error hints', () => {
  let ctx: AppContext | undefined;
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });

  it.skipIf(process.platform === 'win32')(
    'a missing port: the app points at the Devices page, the CLI at `bitbench boards list`',
    async () => {
      for (const shell of ['headless-host', 'electron', 'cli'] as const) {
        ctx = createAppContext({ dbPath: ':memory:', shell });
        const err = await boardManager(ctx)
          .connect('/dev/bitbench-no-such-port', { handshakeMs: 200 })
          .then(
            () => null,
            (e: Error) => e,
          );
        expect(err, shell).not.toBeNull();
        expect(err!.message).toMatch(/no such port/);
        if (shell === 'cli') {
          expect(err!.message).toContain('`bitbench boards list`');
          expect(err!.message).not.toContain('Devices page');
        } else {
          expect(err!.message, shell).not.toMatch(/bitbench boards|`/);
          expect(err!.message).toContain('press Refresh on the Devices page');
        }
        await ctx.close();
        ctx = undefined;
      }
    },
  );

  it('every open failure has an app wording without CLI commands', () => {
    for (const msg of ['ENOENT: no such file', 'ENOTTY: Inappropriate ioctl', 'EIO: something else']) {
      const app = describeOpenError('/dev/ttyX', new Error(msg), 'app').message;
      const cli = describeOpenError('/dev/ttyX', new Error(msg), 'cli').message;
      expect(app, msg).not.toContain('bitbench boards list');
      expect(app, msg).toContain('Devices page');
      expect(cli, msg).toContain('bitbench boards list');
    }
  });
});
