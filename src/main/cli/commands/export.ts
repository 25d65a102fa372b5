import type { Command } from 'commander';
import type { ExportResult, FootprintResult, VerifyResult } from '../../../shared/api/engine';
import { command, fail, optionsOf, type CliRuntime, type CommonOptions } from '../runtime';

/**
 * `bitbench export --model har-w4 --format blob|c --out …`,
 * `bitbench verify --model har-w4 --board virtual:m4 --split test --limit 200 --json` and
 * `bitbench footprint --model gesture-w1 --board virtual:m0 [--build size|speed] [--keep dir] --json`.
 */
interface FootprintFlags extends CommonOptions {
  model: string;
  board: string;
  build: string;
  check: string;
  keep?: string;
}
interface ExportFlags extends CommonOptions {
  model: string;
  format: string;
  out?: string;
}
interface VerifyFlags extends CommonOptions {
  model: string;
  board?: string;
  split: string;
  limit: string;
  dataset?: string;
}

export function registerExportCommands(program: Command, rt: CliRuntime): void {
  command(program, 'export', 'export a quantized model as a device blob or a C header/source pair')
    .requiredOption('--model <name>', 'quantized variant name')
    .option('--format <blob|c>', 'blob (the bytes MODEL_LOAD sends) or c (header + source)', 'blob')
    .option('--out <path>', 'output file (blob) or directory (c); default exports/ beside the database')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<ExportFlags>(cmd);
      if (o.format !== 'blob' && o.format !== 'c') fail(`--format must be blob or c, got "${o.format}".`);
      const { services } = await rt.open(o);
      const r = await services.engine.export({ model: o.model, format: o.format, out: o.out });
      rt.print(o, r, (v: ExportResult) =>
        [
          `${v.model}: ${v.bytes} B blob, ${v.layers} layers, arena ${v.arena_bytes} B, crc32 ${v.crc32}, hash ${v.hash}`,
          ...v.files.map((f) => `  wrote ${f}`),
        ].join('\n'),
      );
    });

  command(
    program,
    'footprint',
    'build the standalone inference image of a model (only its kernels, no protocol), size it and run it once',
  )
    .requiredOption('--model <name>', 'quantized variant name')
    .option('--board <spec>', 'virtual:m0 (Cortex-M0) or virtual:m4 (Cortex-M4)', 'virtual:m0')
    .option(
      '--build <size|speed>',
      'kernels -Os and refusals named by check line (size), or -O2 and messages (speed, as the serial firmware)',
      'size',
    )
    .option(
      '--check <device|host>',
      'device: every blob check on the board; host: bitbench checked it, the board verifies its CRC only',
      'device',
    )
    .option('--keep <dir>', 'keep the build (model.c/h, standalone.elf, standalone.map) in this directory')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<FootprintFlags>(cmd);
      // Spelled as for flash or profile: `virtual:M0` is the M0 too.
      const board = o.board.trim().toLowerCase();
      if (board !== 'virtual:m0' && board !== 'virtual:m4')
        fail(`--board must be virtual:m0 or virtual:m4, got "${o.board}".`);
      if (o.build !== 'size' && o.build !== 'speed') fail(`--build must be size or speed, got "${o.build}".`);
      if (o.check !== 'device' && o.check !== 'host')
        fail(`--check must be device or host, got "${o.check}".`);
      const { ctx, services } = await rt.open(o);
      const { jobId } = await services.engine.footprintJob({
        model: o.model,
        board,
        build: o.build,
        check: o.check,
        ...(o.keep ? { keep: o.keep } : {}),
      });
      const r = await rt.follow<FootprintResult>(ctx, jobId, o);
      rt.print(o, r, (v: FootprintResult) =>
        [
          `${v.model} standalone image on ${v.board} (${v.build} build, blob checked by the ${v.check}): ${v.model_total_bytes} B = engine code ${v.engine.flash} + engine RAM ${v.engine.ram} + model ${v.model_bytes} + arena ${v.arena_bytes}`,
          `  seed 000 budget ${v.budget_bytes} B: ${v.fits_budget ? 'fits' : `over by ${v.model_total_bytes - v.budget_bytes} B`}`,
          `  board support ${v.board_support.flash} B flash / ${v.board_support.ram} B RAM, stack high-water ${v.run.stack_bytes} B; image text ${v.image.text} data ${v.image.data} bss ${v.image.bss}`,
          `  one inference (${v.run.input}): ${v.run.elapsed} ${v.run.unit}, ${v.run.bit_exact ? 'bit-exact with the host reference' : 'DIFFERS from the host reference'}`,
          ...v.files.map((f) => `  kept ${f}`),
        ].join('\n'),
      );
    });

  command(
    program,
    'verify',
    'run a quantized model on the host reference and on a board, and compare bit for bit',
  )
    .requiredOption('--model <name>', 'quantized variant name')
    .option(
      '--board <spec>',
      'virtual:m4, virtual:m0 or a serial port (omit: host reference vs integer simulation only)',
    )
    .option('--split <split>', 'train, val or test', 'test')
    .option('--limit <n>', 'number of windows', '200')
    .option('--dataset <name>', 'dataset (default: the parent model’s training dataset)')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<VerifyFlags>(cmd);
      if (!['train', 'val', 'test'].includes(o.split))
        fail(`--split must be train, val or test, got "${o.split}".`);
      if (!/^\d+$/.test(o.limit) || Number(o.limit) < 1)
        fail(`--limit must be a whole number ≥ 1, got "${o.limit}".`);
      const { ctx, services } = await rt.open(o);
      // A job, as on the Deploy page: a progress line on stderr, Ctrl-C cancels between windows.
      const { jobId } = await services.engine.verifyJob({
        model: o.model,
        board: o.board,
        split: o.split as 'train' | 'val' | 'test',
        limit: Number(o.limit),
        dataset: o.dataset,
      });
      const r = await rt.follow<VerifyResult>(ctx, jobId, o);
      rt.print(o, r, (v: VerifyResult) =>
        [
          `${v.model} on ${v.board ?? 'host only'} (${v.split}): ${v.compared} windows, ${v.mismatches} mismatches — ${v.bit_exact ? 'bit-exact' : 'NOT bit-exact'}`,
          `host reference vs PTQ integer simulation: ${v.reference_vs_integer_sim.prediction_mismatches} prediction / ${v.reference_vs_integer_sim.logit_mismatches} logit mismatches in ${v.reference_vs_integer_sim.compared}`,
          v.latency
            ? `latency mean ${Math.round(v.latency.mean)} ${v.latency.unit} (min ${v.latency.min}, max ${v.latency.max})`
            : '',
          v.first_mismatch
            ? `first mismatch: window ${v.first_mismatch.window}, layer ${v.first_mismatch.layer ?? '?'}: ${v.first_mismatch.detail}`
            : '',
          v.device_note ?? '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}
