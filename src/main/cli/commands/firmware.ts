import type { Command } from 'commander';
import { REAL_BOARD_IDS, type FlashPlan, type RealBoardId } from '../../../shared/api/firmware';
import { command, fail, optionsOf, type CliRuntime, type CommonOptions } from '../runtime';

function realBoard(raw: unknown, required: boolean): RealBoardId | undefined {
  if (raw === undefined) {
    if (required) return 'nucleo-f401re';
    return undefined;
  }
  const b = String(raw);
  if (!(REAL_BOARD_IDS as readonly string[]).includes(b)) {
    fail(
      `--board ${b}: firmware flashing is for real boards: ${REAL_BOARD_IDS.join(', ')} (virtual boards load their firmware on every start).`,
    );
  }
  return b as RealBoardId;
}

function renderPlan(p: FlashPlan): string {
  return [
    `image   ${p.image} ${p.imageExists ? `(${p.imageBytes} B)` : '(not built)'}`,
    `drives  ${p.drives.length ? p.drives.map((d) => `${d.path} [${d.evidence.join(', ')}]`).join('; ') : `none (searched ${p.searched.slice(0, 3).join(', ')}${p.searched.length > 3 ? ', …' : ''})`}`,
    `tools   ${p.tools.length ? p.tools.map((t) => `${t.name} (${t.path})`).join(', ') : 'none (st-flash, openocd)'}`,
    `method  ${p.method}`,
    p.advice,
  ].join('\n');
}

export function registerFirmwareCommands(program: Command, rt: CliRuntime): void {
  const fw = program
    .command('firmware')
    .description('our firmware on real boards: build it, find the board, flash it');

  command(fw, 'detect', 'show the image, the board drives and probe tools found, and what flash would do')
    .option('--board <board>', `${REAL_BOARD_IDS.join(' | ')}`, 'nucleo-f401re')
    .action(async (_o, cmd: Command) => {
      const opts = optionsOf<CommonOptions & { board?: string; drive?: string }>(cmd);
      const { services } = await rt.open(opts);
      rt.print(opts, await services.firmware.detect({ board: realBoard(opts.board, true)! }), renderPlan);
    });

  command(fw, 'flash', 'copy the firmware to the board drive, else program it with st-flash or openocd')
    .option('--board <board>', `${REAL_BOARD_IDS.join(' | ')}`, 'nucleo-f401re')
    .option('--drive <path>', 'the board mass-storage drive (default: detected)')
    .action(async (_o, cmd: Command) => {
      const opts = optionsOf<CommonOptions & { board?: string; drive?: string }>(cmd);
      const { services } = await rt.open(opts);
      const board = realBoard(opts.board, true)!;
      const r = await services.firmware.flash({
        board,
        ...(opts.drive ? { drive: String(opts.drive) } : {}),
      });
      rt.print(opts, r, (v) => `${v.message} (${v.method}, ${v.ms} ms)`);
    });

  command(fw, 'build', 'make -C firmware for one board (or all)')
    .option('--board <board>', `${REAL_BOARD_IDS.join(' | ')} (default: every board)`)
    .action(async (_o, cmd: Command) => {
      const opts = optionsOf<CommonOptions & { board?: string; drive?: string }>(cmd);
      const { ctx, services } = await rt.open(opts);
      const board = realBoard(opts.board, false);
      const { jobId } = await services.firmware.build(board ? { board } : {});
      const r = (await rt.follow(ctx, jobId, opts)) as {
        board: string;
        log: string;
      };
      rt.print(opts, r, (v) => `${v.log}\nbuilt firmware for ${v.board}`);
    });
}
