import { afterEach, describe, expect, it } from 'vitest';
import { recordingContext } from '../../support/recording-context';

const open: Array<{ ctx: { close(): Promise<void> } }> = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.ctx.close();
});

async function recorded(frames = 10, opts: { label?: string; name?: string } = {}) {
  const r = recordingContext();
  open.push(r);
  await r.service.start({ board: 'fake', rateHz: 100, ...opts });
  for (let i = 0; i < frames; i++) r.stream.emit();
  const s = (await r.service.stop())!;
  return { ...r, s };
}

describe('labelling and editing sessions', () => {
  it('labels a whole session and segments [start, end), and undoes the last change', async () => {
    const { service, s } = await recorded(10, { name: 'walk' });
    let d = await service.label({ id: s.id, label: 'walking' });
    expect(d.label).toBe('walking');
    d = await service.addSegment({ id: s.id, label: 'step', start: 10, end: 40 });
    expect(d.labels).toEqual([
      expect.objectContaining({ label: 'walking', start: 0, end: null }),
      expect.objectContaining({ label: 'step', start: 10, end: 40 }),
    ]);
    expect(d.segments).toBe(1);
    const seg = d.labels.find((l) => l.label === 'step')!;
    d = await service.updateSegment({ labelId: seg.id, end: 60, label: 'stride' });
    expect(d.labels[1]).toMatchObject({ label: 'stride', start: 10, end: 60 });
    expect((await service.undoInfo()).description).toBe('segment back to "step" samples [10, 40)');
    await service.undo();
    expect((await service.session({ id: s.id })).labels[1]).toMatchObject({
      label: 'step',
      start: 10,
      end: 40,
    });
    // Undo is one step: nothing more to undo now.
    expect(await service.undo()).toEqual({ action: null, description: null });

    await service.deleteSegment({ labelId: seg.id });
    expect((await service.session({ id: s.id })).labels).toHaveLength(1);
    await service.undo();
    expect((await service.session({ id: s.id })).labels.map((l) => l.id)).toContain(seg.id);

    await service.label({ id: s.id, label: 'running' });
    expect((await service.session({ id: s.id })).label).toBe('running');
    await service.undo();
    expect((await service.session({ id: s.id })).label).toBe('walking');
  });

  it('refuses segments outside the session or reversed, naming the session', async () => {
    const { service, s } = await recorded(5);
    await expect(service.addSegment({ id: s.id, label: 'x', start: 40, end: 51 })).rejects.toThrow(
      /has 50 samples/,
    );
    await expect(service.addSegment({ id: s.id, label: 'x', start: 30, end: 20 })).rejects.toThrow(
      /start < end/,
    );
    await expect(service.addSegment({ id: s.id, label: 'a,b', start: 0, end: 2 })).rejects.toThrow(
      /no commas/,
    );
    await expect(service.label({ id: 999, label: 'x' })).rejects.toThrow(/No session with id 999/);
  });

  it('renames, deletes (soft, undoable) and purges a deleted session when the next delete takes the undo', async () => {
    const r = recordingContext();
    open.push(r);
    const ids: number[] = [];
    for (const name of ['one', 'two', 'three']) {
      await r.service.start({ board: 'fake', rateHz: 100, name });
      r.stream.emit();
      ids.push((await r.service.stop())!.id);
    }
    expect((await r.service.rename({ id: ids[0]!, name: 'uno' })).name).toBe('uno');
    await r.service.undo();
    expect((await r.service.session({ id: ids[0]! })).name).toBe('one');

    const del = await r.service.delete({ id: ids[1]! });
    expect(del.undo).toBe(`restore session ${ids[1]} "two"`);
    expect((await r.service.sessions()).map((s) => s.name)).toEqual(['three', 'one']);
    await expect(r.service.session({ id: ids[1]! })).rejects.toThrow(/No session/);
    await r.service.undo();
    expect((await r.service.sessions()).map((s) => s.name)).toEqual(['three', 'two', 'one']);
    expect((await r.service.samples({ id: ids[1]! })).total).toBe(10);

    await r.service.delete({ id: ids[1]! });
    await r.service.delete({ id: ids[2]! });
    // The first delete can no longer be undone: its rows and samples are gone for good.
    const gone = r.ctx.db
      .prepare('SELECT COUNT(*) AS n FROM sample_chunks WHERE session_id = ?')
      .get(ids[1]!) as { n: number };
    expect(gone.n).toBe(0);
    await r.service.undo();
    expect((await r.service.sessions()).map((s) => s.name)).toEqual(['three', 'one']);
  });

  it('refuses to delete the session being recorded', async () => {
    const r = recordingContext();
    open.push(r);
    const st = await r.service.start({ board: 'fake', rateHz: 100 });
    await expect(r.service.delete({ id: st.sessionId! })).rejects.toThrow(/still recording/);
    await r.service.stop();
  });

  it('returns samples thinned for plotting, with min/max envelopes', async () => {
    const { service, s } = await recorded(100); // 1000 samples
    const all = await service.samples({ id: s.id, maxPoints: 2000 });
    expect(all).toMatchObject({
      total: 1000,
      start: 0,
      end: 1000,
      bucket: 1,
      channels: ['acc_x', 'acc_y', 'acc_z', 'gyro_x', 'gyro_y', 'gyro_z'],
    });
    expect(all.index).toHaveLength(1000);
    const thin = await service.samples({ id: s.id, maxPoints: 100 });
    expect(thin.bucket).toBe(20);
    expect(thin.index).toHaveLength(100);
    expect(thin.values[0]).toHaveLength(100);
    // each bucket's two points are the min and max of the full-resolution values in it
    const full = all.values[3]!;
    for (let b = 0; b < 50; b++) {
      const pair = [thin.values[3]![2 * b]!, thin.values[3]![2 * b + 1]!].sort((x, y) => x - y);
      const slice = full.slice(b * 20, b * 20 + 20);
      expect(pair).toEqual([Math.min(...slice), Math.max(...slice)]);
    }
    const part = await service.samples({ id: s.id, start: 100, end: 150 });
    expect(part.index[0]).toBe(100);
    expect(part.values[0]).toEqual(all.values[0]!.slice(100, 150));
  });
});
