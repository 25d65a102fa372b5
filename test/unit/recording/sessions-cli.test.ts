import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/main/cli/program';
import { CliRuntime } from '../../../src/main/cli/runtime';
import { recordingContext } from '../../support/recording-context';

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  // Errors are printed by runCli itself, straight to process.stdout / stderr.
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await runCli(args, new CliRuntime((s) => (out += s)));
    return { code, out };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('bitbench sessions', () => {
  it('lists, shows, labels, renames, deletes and undoes, with JSON output', async () => {
    const r = recordingContext();
    await r.service.start({ board: 'fake', rateHz: 100, name: 'walk 1', label: 'walk', dataset: 'gait' });
    for (let i = 0; i < 20; i++) r.stream.emit();
    const s = (await r.service.stop())!;
    await r.ctx.close();
    const db = ['--db', r.dbPath];

    const list = await cli(['sessions', 'list', '--json', ...db]);
    expect(list.code).toBe(0);
    const [row] = JSON.parse(list.out);
    // The public field names of the session summary.
    expect(row).toMatchObject({
      id: s.id,
      name: 'walk 1',
      samples: 200,
      rate_hz: 100,
      duration_s: 2,
      gaps: 0,
      dropped_frames: 0,
      state: 'complete',
    });

    const seg = await cli([
      'sessions',
      'label',
      String(s.id),
      'step',
      '--start',
      '50',
      '--end',
      '80',
      '--json',
      ...db,
    ]);
    expect(JSON.parse(seg.out).labels).toEqual([
      expect.objectContaining({ label: 'walk', start: 0, end: null }),
      expect.objectContaining({ label: 'step', start: 50, end: 80 }),
    ]);
    const human = await cli(['sessions', 'show', String(s.id), ...db]);
    expect(human.out).toMatch(/session \d+ "walk 1" — complete/);
    expect(human.out).toMatch(/step\s+\[50, 80\)/);

    expect((await cli(['sessions', 'rename', String(s.id), 'walk A', ...db])).out).toMatch(/"walk A"/);
    const del = await cli(['sessions', 'delete', String(s.id), ...db]);
    expect(del.out).toMatch(
      /Deleted session \d+\. To undo: bitbench sessions undo \(restore session \d+ "walk A"\)/,
    );
    expect(JSON.parse((await cli(['sessions', 'list', '--json', ...db])).out)).toEqual([]);
    expect((await cli(['sessions', 'undo', ...db])).out).toMatch(/Undone: restore session/);
    expect(
      JSON.parse((await cli(['sessions', 'list', '--json', '--dataset', 'gait', ...db])).out),
    ).toHaveLength(1);
  });

  it('reports bad input clearly, without touching anything', async () => {
    const r = recordingContext();
    await r.ctx.close();
    const db = ['--db', r.dbPath];
    const bad = await cli(['sessions', 'label', '1', 'x', '--start', '5', ...db]);
    expect(bad.code).toBe(1);
    const missing = await cli(['sessions', 'show', '42', '--json', ...db]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out)).toEqual({
      error: { code: 'not_found', message: 'No session with id 42.' },
    });
    const seconds = await cli(['record', '--board', 'virtual:m4', '--seconds', 'ten', '--json', ...db]);
    expect(seconds.code).toBe(1);
    expect(JSON.parse(seconds.out).error.message).toBe('--seconds needs a number, got "ten".');
    const channel = await cli([
      'record',
      '--board',
      'virtual:m4',
      '--channels',
      'acc_x,acc_w',
      '--json',
      ...db,
    ]);
    expect(JSON.parse(channel.out).error.message).toMatch(/Unknown channel "acc_w"/);
    const board = await cli(['record', '--board', 'bogus', '--json', ...db]);
    expect(JSON.parse(board.out).error.message).toMatch(/Unknown board specifier "bogus"/);
  });
});
