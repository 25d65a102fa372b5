// `npm run bench -- boards [--board virtual:m4,virtual:m0] [--baud 115200] [--bytes N] [--runs 3] [--json]`
//
// Model-load throughput (bytes/s and as a share of the configured line rate) and ping round trips,
// measured in one run on each board. A pty ignores the baud rate, so on virtual boards the raw pty
// rate is reported as measured and the share of a real 115200-baud line is *projected* from the
// frame sizes and the measured turnaround; on a real UART the measured share is the real one.
import { createAppContext } from '../src/main/context';
import { boardManager } from '../src/main/device/board-manager';
import { cobsMaxEncodedLength } from '../src/main/device/cobs';
import { summarize } from '../src/main/device/ping-stats';
import { chunkDataBytes } from '../src/main/device/protocol-client';
import { MESSAGE_OVERHEAD } from '../src/shared/protocol';
// A valid blob (one int8 dense layer, random weights): the firmware checks the header at commit.
import { denseBlob } from '../test/integration/helpers/model-blobs';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const specs = opt('--board', 'virtual:m4,virtual:m0').split(',');
const baud = Number(opt('--baud', '115200'));
const runs = Number(opt('--runs', '3'));
const json = args.includes('--json');
const lineBytesPerSec = baud / 10; // 8N1: 10 bits on the wire per byte

function rand(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const frameBytes = (payload: number) => cobsMaxEncodedLength(payload + MESSAGE_OVERHEAD) + 1;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
const results: unknown[] = [];
try {
  for (const spec of specs) {
    const conn = await boardManager(ctx).connect(spec);
    const virtual = spec.startsWith('virtual:');
    const info = conn.info;
    for (let i = 0; i < 20; i++) await conn.client.ping(); // warm-up
    const pings = async (payload: Uint8Array, n: number) => {
      const t: number[] = [];
      for (let k = 0; k < n; k++) t.push(await conn.client.ping(payload));
      return summarize(t);
    };
    const empty = await pings(new Uint8Array(0), 500);
    const full = await pings(rand(info.maxPayload, 3), 100);
    const chunk = chunkDataBytes(info.maxPayload);
    const size = Number(opt('--bytes', String(Math.min(64 * 1024, info.modelSlotBytes))));
    const rates: number[] = [];
    for (let r = 0; r < runs; r++) {
      const res = await conn.loadModel(denseBlob(size, 100 + r));
      rates.push(res.bytesPerSecond);
    }
    const measured = median(rates);
    // Stop-and-wait on a line that honours `baud`: each chunk costs its request frame and the
    // 4-byte ack frame on the wire plus the board's turnaround (the empty-ping round trip minus
    // its own two 8-byte frames at pty speed is ~all turnaround, so use p50 of the empty ping).
    const wirePerChunk = frameBytes(chunk + 4) + frameBytes(4);
    const turnaroundS = empty.p50Ms / 1000;
    const projected = chunk / (wirePerChunk / lineBytesPerSec + turnaroundS);
    const row = {
      spec,
      board: info.board,
      port: conn.port,
      counter: conn.counter.label,
      maxPayload: info.maxPayload,
      chunkDataBytes: chunk,
      modelBytes: denseBlob(size, 100).length,
      runs,
      loadBytesPerSec: Math.round(measured),
      loadBytesPerSecRuns: rates.map(Math.round),
      baud,
      lineBytesPerSec,
      measuredShareOfLine: measured / lineBytesPerSec,
      linkHonoursBaud: !virtual,
      projectedLoadBytesPerSecAtBaud: Math.round(projected),
      projectedShareOfLine: projected / lineBytesPerSec,
      framingEfficiency: chunk / wirePerChunk,
      pingEmpty: empty,
      pingMaxPayload: { payloadBytes: info.maxPayload, ...full },
    };
    results.push(row);
    if (!json) {
      const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
      const ms = (x: number) => `${x.toFixed(3)} ms`;
      console.log(
        `\n${spec} — ${info.board} on ${conn.port} (${virtual ? 'QEMU pty: the baud rate is ignored' : `serial at ${baud} baud`})`,
      );
      console.log(
        `  ping 0 B          p50 ${ms(empty.p50Ms)}  p99 ${ms(empty.p99Ms)}  mean ${ms(empty.meanMs)}  (n=${empty.count})`,
      );
      console.log(
        `  ping ${info.maxPayload} B       p50 ${ms(full.p50Ms)}  p99 ${ms(full.p99Ms)}  mean ${ms(full.meanMs)}  (n=${full.count})`,
      );
      console.log(
        `  model load        ${row.modelBytes} B in ${chunk}-byte chunks: ${(measured / 1024).toFixed(1)} KiB/s (median of ${runs}: ${rates.map((r) => (r / 1024).toFixed(1)).join(', ')})`,
      );
      if (virtual) {
        console.log(
          `  raw pty rate      ${(measured / lineBytesPerSec).toFixed(2)}× a ${baud}-baud line (${lineBytesPerSec} B/s) — not a line-rate figure`,
        );
        console.log(
          `  projected @${baud} ${(projected / 1024).toFixed(1)} KiB/s = ${pct(projected / lineBytesPerSec)} of line rate (framing ${pct(chunk / wirePerChunk)}, turnaround ${ms(empty.p50Ms)} per chunk)`,
        );
      } else {
        console.log(`  share of line     ${pct(measured / lineBytesPerSec)} of ${baud} baud (goal ≥ 90 %)`);
      }
      console.log(`  counter           ${conn.counter.label}`);
    }
  }
  if (json) console.log(JSON.stringify(results, null, 2));
} finally {
  await ctx.close();
}
