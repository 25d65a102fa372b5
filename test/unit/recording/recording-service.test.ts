import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { blobToF32 } from '../../../src/main/store/sessions-repo';
import { FAKE_SCALE, FakeSensorStream, rawValue } from '../../support/fake-sensor-stream';
import { recordingContext, sleep } from '../../support/recording-context';

const open: Array<{ ctx: { close(): Promise<void> } }> = [];
function setup(...args: Parameters<typeof recordingContext>) {
  const r = recordingContext(...args);
  open.push(r);
  return r;
}
afterEach(async () => {
  for (const r of open.splice(0)) await r.ctx.close();
});

describe('recording from a sensor stream', () => {
  it('stores every sample, scaled, in order, and labels the session', async () => {
    const { service, stream, dbPath } = setup();
    const st = await service.start({
      board: 'fake',
      rateHz: 200,
      label: 'wave',
      dataset: 'gestures',
      name: 'first',
    });
    expect(st.state).toBe('recording');
    expect(st.channels).toEqual(['acc_x', 'acc_y', 'acc_z', 'gyro_x', 'gyro_y', 'gyro_z']);
    expect(stream.cfg).toEqual({ rateHz: 200, channelMask: 0x3f });
    for (let i = 0; i < 25; i++) stream.emit();
    const s = await service.stop();
    expect(s).toMatchObject({
      name: 'first',
      samples: 250,
      rate_hz: 200,
      duration_s: 1.25,
      gaps: 0,
      dropped_frames: 0,
      state: 'complete',
      label: 'wave',
      dataset: 'gestures',
      board: 'fake',
      stream: 'bitbench',
      clock: 'board',
    });
    expect(stream.stopCalls).toBe(1);
    // Read back through a second connection: the values are the board's int16 × scale, as float32.
    const db = new Database(dbPath, { readonly: true });
    const rows = db
      .prepare(
        'SELECT first_sample, t0_us, n_samples, data FROM sample_chunks WHERE session_id = ? ORDER BY seq',
      )
      .all(s!.id) as Array<{
      first_sample: number;
      t0_us: number;
      n_samples: number;
      data: Buffer;
    }>;
    db.close();
    let expected = 0;
    for (const r of rows) {
      expect(r.first_sample).toBe(expected);
      expect(r.t0_us).toBe(r.first_sample * 5000);
      const v = blobToF32(r.data);
      for (let k = 0; k < r.n_samples; k++) {
        for (let c = 0; c < 6; c++)
          expect(v[k * 6 + c]).toBe(Math.fround(rawValue(expected + k, c) * Math.fround(FAKE_SCALE)));
      }
      expected += r.n_samples;
    }
    expect(expected).toBe(250);
  });

  it('records only the chosen channels', async () => {
    const { service, stream } = setup();
    await service.start({ board: 'fake', rateHz: 50, channels: ['acc_z', 'gyro_x'] });
    expect(stream.cfg!.channelMask).toBe(0b01100);
    stream.emit();
    const s = await service.stop();
    expect(s).toMatchObject({ channels: ['acc_z', 'gyro_x'], units: ['m/s²', 'rad/s'], samples: 10 });
    await expect(service.start({ board: 'fake', channels: ['acc_w'] })).rejects.toThrow(
      /Unknown channel "acc_w"/,
    );
  });

  it('stops by itself after a fixed duration, at exactly rate × seconds samples', async () => {
    const { service, stream } = setup();
    await service.start({ board: 'fake', rateHz: 100, durationS: 0.55 });
    for (let i = 0; i < 8; i++) stream.emit(); // 80 samples offered, 55 wanted
    const s = await service.wait();
    expect(s).toMatchObject({ samples: 55, state: 'complete' });
    expect((await service.status()).state).toBe('idle');
    expect((await service.status()).last?.id).toBe(s!.id);
  });

  it('counts dropped frames and clock jumps as gaps, and shows where they are', async () => {
    const { service, stream } = setup();
    await service.start({ board: 'fake', rateHz: 100 });
    stream.emit();
    stream.emit();
    stream.emit({ skipFrames: 3 }); // 30 samples lost on the wire
    stream.emit();
    stream.emit({ skipSamples: 4 }); // the board's sensor overran; frame numbers contiguous
    stream.emit();
    const status = await service.status();
    expect(status).toMatchObject({ gaps: 2, droppedFrames: 3 });
    const s = await service.stop();
    expect(s).toMatchObject({ samples: 60, gaps: 2, dropped_frames: 3 });
    const d = await service.session({ id: s!.id });
    expect(d.discontinuities).toEqual([
      { sample: 20, jump_us: 300_000 },
      { sample: 40, jump_us: 40_000 },
    ]);
    expect(d.state).toBe('complete');
  });

  it('commits while recording: samples reach the database within a few flush intervals', async () => {
    const { service, stream, dbPath } = setup();
    await service.start({ board: 'fake', rateHz: 1000 });
    for (let i = 0; i < 30; i++) stream.emit();
    await sleep(80); // flushMs is 20 in tests
    const db = new Database(dbPath, { readonly: true });
    const row = db.prepare("SELECT sample_count, state FROM sessions WHERE state = 'recording'").get() as {
      sample_count: number;
      state: string;
    };
    db.close();
    expect(row).toEqual({ sample_count: 300, state: 'recording' });
    await service.stop();
  });

  it('sends the live plot batched samples, not one event per frame', async () => {
    const r = setup();
    await r.service.start({ board: 'fake', rateHz: 1000 });
    for (let k = 0; k < 10; k++) {
      for (let i = 0; i < 10; i++) r.stream.emit();
      await sleep(5);
    }
    await r.service.stop();
    const batches = r.eventsOf('recordingSamples');
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThan(100); // 100 frames went in
    expect(batches.reduce((n, b) => n + b.nSamples, 0)).toBe(1000);
    let next = 0;
    for (const b of batches) {
      expect(b.firstIndex).toBe(next);
      next += b.nSamples;
    }
    expect(batches[0]!.data.slice(0, 2)).toEqual(
      [rawValue(0, 0) * FAKE_SCALE, rawValue(0, 1) * FAKE_SCALE].map((v) =>
        Number(Math.fround(v).toPrecision(6)),
      ),
    );
  });

  it('keeps the samples and marks the session interrupted when the board goes away', async () => {
    const { service, stream } = setup();
    await service.start({ board: 'fake', rateHz: 100, label: 'idle' });
    stream.emit();
    stream.emit();
    stream.lose(new Error('pty closed'));
    const s = await service.wait();
    expect(s).toMatchObject({ samples: 20, state: 'interrupted', label: 'idle' });
    const st = await service.status();
    expect(st.state).toBe('idle');
    expect(st.error).toMatch(/went away \(pty closed\)/);
    const d = await service.session({ id: s!.id });
    expect(d.notes.join(' ')).toMatch(/went away/);
  });

  it('counts down before streaming, and a stop during the countdown stores nothing', async () => {
    const { service, stream, eventsOf } = setup();
    const st = await service.start({ board: 'fake', rateHz: 100, countdownS: 1 });
    expect(st).toMatchObject({ state: 'countdown', countdownLeftS: 1 });
    expect(stream.startCalls).toBe(0);
    await sleep(1300);
    expect(stream.startCalls).toBe(1);
    expect((await service.status()).state).toBe('recording');
    stream.emit();
    expect(await service.stop()).toMatchObject({ samples: 10 });
    expect(eventsOf('recordingStatus').some((e) => e.state === 'countdown' && e.countdownLeftS === 1)).toBe(
      true,
    );

    await service.start({ board: 'fake', rateHz: 100, countdownS: 5 });
    expect(await service.stop()).toBeNull();
    expect(stream.startCalls).toBe(1);
    expect(await service.sessions()).toHaveLength(1);
  });

  it('refuses a second recording while one runs, and reports a stream that fails to start', async () => {
    const stream = new FakeSensorStream();
    const { service } = setup({ stream });
    await service.start({ board: 'fake', rateHz: 100 });
    await expect(service.start({ board: 'fake' })).rejects.toThrow(/already running/);
    await service.stop();
    stream.failStart = 'BAD_REQUEST: rate 7 Hz not supported';
    await expect(service.start({ board: 'fake', rateHz: 7 })).rejects.toThrow(/rate 7 Hz/);
    expect((await service.status()).state).toBe('idle');
    expect(await service.sessions()).toHaveLength(1);
  });

  it('keeps frames that arrive with the STREAM_START answer, and notes frames the board skipped before them', async () => {
    const stream = new FakeSensorStream();
    stream.framesDuringStart = 2;
    stream.frameNo = 3; // the board skipped frames 0–2 while starting
    stream.nextSample = 30;
    const { service } = setup({ stream });
    await service.start({ board: 'fake', rateHz: 100 });
    stream.emit();
    const s = (await service.stop())!;
    expect(s).toMatchObject({ samples: 30, gaps: 0, dropped_frames: 0 });
    const d = await service.session({ id: s.id });
    expect(d.notes.join(' ')).toMatch(/skipped 3 frames before the first one arrived/);
  });

  it('does not count what goes wrong after the last wanted sample', async () => {
    const { service, stream } = setup();
    await service.start({ board: 'fake', rateHz: 100, durationS: 0.2 });
    stream.emit();
    stream.emit(); // 20 samples: done
    stream.emit({ skipFrames: 5 }); // lost after the end: not the session's problem
    const s = await service.wait();
    expect(s).toMatchObject({ samples: 20, gaps: 0, dropped_frames: 0 });
  });

  it('ends a running recording cleanly when the app shuts down', async () => {
    const r = recordingContext();
    await r.service.start({ board: 'fake', rateHz: 100 });
    r.stream.emit();
    await r.ctx.close();
    expect(r.stream.stopCalls).toBe(1);
    const again = setup({ dbPath: r.dbPath });
    const [s] = await again.service.sessions();
    expect(s).toMatchObject({ state: 'complete', samples: 10 });
  });
});
