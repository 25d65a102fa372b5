// `npm run bench -- recording [--seconds 3] [--frame 20] [--json]`
//
// Sustained ingest rate of the recording pipeline: SAMPLES frames (int16, 6 channels, 20 samples
// per frame as the firmware sends at 1 kHz) → scaling and gap checks → Float32 chunks committed to
// SQLite (file database, WAL, a transaction every 100 ms) with the live-plot stream attached (≤ 30
// batches/s, each serialised to JSON as the IPC / WebSocket transport does). The producer offers
// frames as fast as the pipeline takes them; the rate is what reached the database, divided by
// the wall time. Reported as a ratio to the real-time need of 1 kHz × 6 channels (goal ≥ 20×).
import { rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createAppContext } from '../src/main/context';
import { recordingManager } from '../src/main/recording/recording-service';
import { FakeSensorStream } from '../test/support/fake-sensor-stream';
import { tempDbPath } from '../test/support/recording-context';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const seconds = Number(opt('--seconds', '3'));
const perFrame = Number(opt('--frame', '20'));
const json = args.includes('--json');
const REALTIME = 1000; // 6-channel samples per second at 1 kHz

const dbPath = tempDbPath('bb-bench-rec-');
const ctx = createAppContext({ dbPath, shell: 'cli' });
const stream = new FakeSensorStream({ samplesPerFrame: perFrame });
const manager = recordingManager(ctx, {
  connector: { open: async () => ({ stream, release: async () => undefined }) },
});

// The UI stream: every batch is serialised as the transport does; count what reaches "the renderer".
let uiBatches = 0;
let uiSamples = 0;
let uiBytes = 0;
ctx.events.subscribe((name, payload) => {
  if (name !== 'recordingSamples') return;
  uiBatches++;
  uiSamples += (payload as { nSamples: number }).nSamples;
  uiBytes += JSON.stringify({ name, payload }).length;
});

// Run at a nominal 1 kHz so the chunking and UI thinning behave as in a real 1 kHz session; the
// frames simply come faster than real time.
await manager.start({
  board: 'bench',
  source: 'bitbench',
  rateHz: 1000,
  baudRate: 115200,
  countdownS: 0,
  name: 'bench',
});
const began = performance.now();
const endAt = began + seconds * 1000;
// Offer frames in bursts and yield between them, so the commit and UI timers run as they would
// with a serial port delivering data events.
await new Promise<void>((resolve) => {
  const burst = () => {
    if (performance.now() >= endAt) return resolve();
    for (let i = 0; i < 50; i++) stream.emit();
    setImmediate(burst);
  };
  burst();
});
const summary = await manager.stop();
const elapsed = (performance.now() - began) / 1000;
const db = new Database(dbPath, { readonly: true });
const stored = db
  .prepare('SELECT COALESCE(SUM(n_samples), 0) AS n, COUNT(*) AS chunks FROM sample_chunks')
  .get() as {
  n: number;
  chunks: number;
};
db.close();
await ctx.close();
rmSync(path.dirname(dbPath), { recursive: true, force: true });

const rate = stored.n / elapsed;
const result = {
  seconds: Number(elapsed.toFixed(3)),
  samples_stored: stored.n,
  session_samples: summary?.samples ?? 0,
  chunks: stored.chunks,
  samples_per_s: Math.round(rate),
  values_per_s: Math.round(rate * 6),
  ratio_to_1khz_6ch: Number((rate / REALTIME).toFixed(1)),
  goal: 20,
  ui_batches_per_s: Number((uiBatches / elapsed).toFixed(1)),
  ui_samples_per_s: Math.round(uiSamples / elapsed),
  ui_kib_per_s: Math.round(uiBytes / 1024 / elapsed),
  frame_samples: perFrame,
  node: process.versions.node,
};
if (json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `recording ingest: ${result.samples_per_s.toLocaleString('en')} samples/s × 6 channels into SQLite (${stored.n.toLocaleString('en')} samples in ${result.seconds} s, ${stored.chunks} chunks)`,
  );
  console.log(`  = ${result.ratio_to_1khz_6ch}× the real-time need of 1 kHz × 6 channels (goal ≥ 20×)`);
  console.log(
    `  UI stream attached: ${result.ui_batches_per_s} batches/s, ${result.ui_samples_per_s.toLocaleString('en')} plotted samples/s, ${result.ui_kib_per_s} KiB/s of JSON`,
  );
}
if (stored.n !== summary?.samples) {
  console.error(`mismatch: the session says ${summary?.samples} samples, the chunks hold ${stored.n}`);
  process.exit(1);
}
