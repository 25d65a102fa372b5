// Quantize and profile errors tell the user what to do where they are: the CLI names its flags and
// commands (--calib, `bitbench profile --resume N`), the app (Electron, or the headless host serving
// the UI) the field and the button it has. Through the services, as each shell calls them.
import { afterEach, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext, type Shell } from '../../src/main/context';
import { boardManager } from '../../src/main/device/board-manager';
import { startQuantize } from '../../src/main/quant/quant-service';
import { createServices } from '../../src/main/services';
import type { ProfileResult } from '../../src/shared/api/deploy';
import { Command } from '../../src/shared/protocol';
import { quantizeVariant, seedFloatModel } from './helpers/deploy-fixture';
import { tapWrites } from './helpers/transport-tap';
import { skipNote, virtualBoardsUnavailable } from './helpers/virtual-boards';

/** What an app user cannot act on: a flag, a BITBENCH_ variable, a `bitbench` or npm command. */
const CLI_ONLY = /--[a-z]|BITBENCH_|bitbench [a-z]+ |npm run/;
const SHELLS: Shell[] = ['cli', 'headless-host', 'electron'];

let ctx: AppContext | undefined;
afterEach(async () => {
  if (ctx) await boardManager(ctx).closeAll();
  await ctx?.close();
  ctx = undefined;
});

describe('quantize: a calibration set larger than the train split', () => {
  it.each(SHELLS)('%s: names --calib on the CLI, the Quantize page field in the app', (shell) => {
    ctx = createAppContext({ dbPath: ':memory:', shell });
    seedFloatModel(ctx, { perSplit: 8 });
    let msg = '';
    try {
      startQuantize(ctx, { model: 'tiny-fp', name: 'tiny-w8a8', config: { calibSize: 500 } });
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/^Calibration set smaller than asked: the train split of synth has \d+ windows, 500/);
    if (shell === 'cli') expect(msg).toContain('were asked (--calib).');
    else {
      expect(msg).toContain('were asked (Calibration windows on the Quantize page).');
      expect(msg).not.toMatch(CLI_ONLY);
    }
  });
});

const unavailable = virtualBoardsUnavailable();
skipNote(unavailable, 'profile resume hint');

/** Kills the virtual board's QEMU before the `kill`-th INFER request is written. */
function killAtInfer(c: AppContext, spec: string, kill: number) {
  return tapWrites(() => {
    let n = 0;
    return (_bytes, msg) => {
      if (msg && msg[0] === Command.INFER && ++n === kill)
        process.kill(boardManager(c).virtualProcess(spec)!.qemuPid, 'SIGKILL');
    };
  });
}

describe.skipIf(unavailable !== null)('profile: a board that vanishes part-way', () => {
  it.each(SHELLS)(
    '%s: the saved partial run is resumed with `bitbench profile --resume` on the CLI, Resume in the app',
    async (shell) => {
      ctx = createAppContext({ dbPath: ':memory:', shell });
      const c = ctx;
      seedFloatModel(c);
      await quantizeVariant(c, 'tiny-fp', 'tiny-w8a8', { weightBits: 8, actBits: 8 });
      const spec = 'virtual:m4';
      await boardManager(c).connect(spec, { wrapTransport: killAtInfer(c, spec, 6) });
      const { jobId, runId } = await createServices(c).deploy.profile({
        model: 'tiny-w8a8',
        board: spec,
        split: 'test',
        maxMismatchDetails: 20,
      });
      const err = await c.jobs.done<ProfileResult>(jobId).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(
        new RegExp(`Run ${runId} is saved as partial with what was measured; reconnect the board and `),
      );
      if (shell === 'cli')
        expect(err!.message).toContain(`resume it with \`bitbench profile --resume ${runId}\`.`);
      else {
        expect(err!.message).toContain(`press Resume on run ${runId} in the Deploy page's list of runs.`);
        expect(err!.message).not.toMatch(CLI_ONLY);
      }
    },
    90_000,
  );
});
