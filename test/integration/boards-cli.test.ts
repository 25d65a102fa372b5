// `bitbench boards …` end to end on the virtual boards, through the same services as the UI.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/main/cli/program';
import { CliRuntime } from '../../src/main/cli/runtime';
import { BoardInfoSchema, BoardListSchema, PingStatsSchema } from '../../src/shared/api/boards';
import { skipNote, virtualBoardsUnavailable } from './helpers/virtual-boards';

const unavailable = virtualBoardsUnavailable();
skipNote(unavailable, 'boards-cli integration tests');

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-boards-cli-')), 'a.db');
  let out = '';
  const code = await runCli([...args, '--db', db], new CliRuntime((s) => (out += s)));
  return { code, out };
}

describe.skipIf(unavailable !== null)('bitbench boards (virtual)', () => {
  it('ping --json prints latency stats and labels the counter as instructions', async () => {
    const { code, out } = await cli(['boards', 'ping', '--board', 'virtual:m0', '--count', '30', '--json']);
    expect(code).toBe(0);
    const stats = PingStatsSchema.parse(JSON.parse(out));
    expect(stats).toMatchObject({
      spec: 'virtual:m0',
      count: 30,
      failures: 0,
      counter: { kind: 'instructions' },
    });
    expect(stats.p50Ms).toBeGreaterThan(0);
    expect(stats.p99Ms).toBeGreaterThanOrEqual(stats.p50Ms);
    // snake_case as every other command's JSON, beside the camelCase names scripts already use.
    const raw = JSON.parse(out) as Record<string, unknown>;
    for (const [camel, snake] of <Array<[string, string]>>[
      ['p50Ms', 'p50_ms'],
      ['p99Ms', 'p99_ms'],
      ['meanMs', 'mean_ms'],
      ['minMs', 'min_ms'],
      ['maxMs', 'max_ms'],
      ['payloadBytes', 'payload_bytes'],
    ])
      expect(raw[snake], snake).toBe(raw[camel]);
  });

  it('info prints the board, the counter unit and memory in human form', async () => {
    const { code, out } = await cli(['boards', 'info', '--board', 'virtual:m4']);
    expect(code).toBe(0);
    expect(out).toMatch(/^virtual:m4 on \/dev\/pts\/\d+ — connected/);
    expect(out).toMatch(/board +qemu-mps2-an386 \(cortex-m4 @ 25 MHz\)/);
    expect(out).toMatch(/counter +instructions \(QEMU -icount shift=\d+, not cycles\)/);
    const json = await cli(['boards', 'info', '--board', 'virtual:m4', '--json']);
    expect(BoardInfoSchema.parse(JSON.parse(json.out)).info.cpu).toBe('cortex-m4');
    const info = (JSON.parse(json.out) as { info: Record<string, unknown> }).info;
    expect(info['firmware_version']).toBe(info['firmwareVersion']);
    expect(info['ram_bytes']).toBe(info['ramBytes']);
    expect(info['model_slot_bytes']).toBe(info['modelSlotBytes']);
  });

  it('list --json lists both virtual boards; a bad specifier exits 1 naming it', async () => {
    const { code, out } = await cli(['boards', 'list', '--json']);
    expect(code).toBe(0);
    const list = BoardListSchema.parse(JSON.parse(out));
    expect(list.boards.filter((b) => b.kind === 'virtual').map((b) => b.spec)).toEqual([
      'virtual:m4',
      'virtual:m0',
    ]);
    const entries = (JSON.parse(out) as { boards: Array<Record<string, unknown>> }).boards;
    for (const b of entries) expect(b['running_elsewhere']).toEqual(b['runningElsewhere']);
    // runCli prints errors on the process streams, not through the runtime.
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const bad = await cli(['boards', 'ping', '--board', 'virtual:m5', '--json']);
      expect(bad.code).toBe(1);
      expect(JSON.parse(String(stdout.mock.calls[0]?.[0])).error.message).toMatch(
        /Unknown virtual board "virtual:m5"/,
      );
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
