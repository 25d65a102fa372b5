#!/usr/bin/env node
// Talk to a virtual board over its pty and check the protocol end to end (no npm deps).
//   node firmware/scripts/probe.mjs <mps2-an386|microbit> [replay.bbrp] [--quick]
// Starts QEMU via run-qemu.sh, waits for the pty, then: HELLO (boot-to-hello time), PING round
// trips, STREAM at 1 kHz x 6 channels, a model load (resume, retried chunk, CRC mismatch keeps the
// old model), INFER / LAYER_OUTPUT answers, RESET and the boot HELLO event. Exits non-zero on failure.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const board = process.argv[2] ?? 'mps2-an386';
const replay = process.argv[3] && !process.argv[3].startsWith('--') ? path.resolve(process.argv[3]) : '';
const quick = process.argv.includes('--quick');

// ---- CRC-32 and COBS (mirrors firmware/core) ----
const crcTable = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function cobsEncode(src) {
  const out = [0];
  let codeAt = 0;
  let code = 1;
  for (const b of src) {
    if (b !== 0) {
      out.push(b);
      code++;
    }
    if (b === 0 || code === 0xff) {
      out[codeAt] = code;
      code = 1;
      codeAt = out.length;
      out.push(0);
    }
  }
  out[codeAt] = code;
  return Buffer.from(out);
}
function cobsDecode(src) {
  const out = [];
  let i = 0;
  while (i < src.length) {
    const code = src[i++];
    if (code === 0 || i + code - 1 > src.length) return null;
    for (let k = 1; k < code; k++) out.push(src[i++]);
    if (code !== 0xff && i < src.length) out.push(0);
  }
  return Buffer.from(out);
}

// ---- QEMU ----
const t0 = performance.now();
const qemu = spawn(path.join(here, 'run-qemu.sh'), replay ? [board, replay] : [board], { stdio: ['ignore', 'pipe', 'pipe'] });
let qemuLog = '';
const ptyPath = await new Promise((resolve, reject) => {
  const onData = (d) => {
    qemuLog += d;
    const m = /char device redirected to (\/dev\/pts\/\d+)/.exec(qemuLog);
    if (m) resolve(m[1]);
  };
  qemu.stdout.on('data', onData);
  qemu.stderr.on('data', onData);
  qemu.on('exit', (c) => reject(new Error(`qemu exited (${c}): ${qemuLog}`)));
});
const cleanup = () => {
  try {
    qemu.kill('SIGKILL');
  } catch {}
};
process.on('exit', cleanup);

// QEMU already puts its pty in raw mode; stty makes that explicit for any reader.
execFileSync('stty', ['-F', ptyPath, 'raw', '-echo']);
const fd = fs.openSync(ptyPath, 'r+');
const tOpen = performance.now();

let rxBuf = [];
const events = [];
const waiters = [];
const stats = { crcErrors: 0 };
fs.createReadStream(null, { fd, autoClose: false, highWaterMark: 4096 }).on('data', (chunk) => {
  for (const b of chunk) {
    if (b !== 0) {
      rxBuf.push(b);
      continue;
    }
    const m = cobsDecode(Buffer.from(rxBuf));
    rxBuf = [];
    if (!m || m.length < 8) continue;
    if (crc32(m.subarray(0, m.length - 4)) !== m.readUInt32LE(m.length - 4)) {
      stats.crcErrors++;
      continue;
    }
    const msg = { type: m[0], flags: m[1], seq: m.readUInt16LE(2), payload: m.subarray(4, m.length - 4), at: performance.now() };
    if (msg.flags & 4) events.push(msg);
    const w = waiters.findIndex((x) => msg.flags & 1 && x.seq === msg.seq);
    if (w >= 0) waiters.splice(w, 1)[0].resolve(msg);
  }
});

let seq = 1;
function send(type, payload = Buffer.alloc(0), s = seq++) {
  const m = Buffer.alloc(8 + payload.length);
  m[0] = type;
  m.writeUInt16LE(s, 2);
  payload.copy(m, 4);
  m.writeUInt32LE(crc32(m.subarray(0, 4 + payload.length)), 4 + payload.length);
  fs.writeSync(fd, Buffer.concat([cobsEncode(m), Buffer.from([0])]));
  return s;
}
function request(type, payload, timeoutMs = 2000, s = undefined) {
  const id = send(type, payload, s);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout on 0x${type.toString(16)} seq ${id}`)), timeoutMs);
    waiters.push({ seq: id, resolve: (m) => (clearTimeout(timer), resolve(m)) });
  });
}
const errCode = (m) => (m.flags & 2 ? m.payload.readUInt16LE(0) : 0);
const errText = (m) => (m.flags & 2 ? m.payload.subarray(3, 3 + m.payload[2]).toString() : '');
let failed = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
}

// ---- HELLO until answered (QEMU drops output while nobody holds the pty) ----
let hello;
const deadline = performance.now() + 5000;
while (!hello && performance.now() < deadline) {
  const s = send(0x01);
  hello = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 100);
    waiters.push({ seq: s, resolve: (m) => (clearTimeout(timer), resolve(m)) });
  });
}
if (!hello) {
  console.error('no HELLO answer within 5 s');
  process.exit(1);
}
const p = hello.payload;
let o = 38;
const strs = [];
for (let i = 0; i < 4; i++) {
  strs.push(p.subarray(o + 1, o + 1 + p[o]).toString());
  o += 1 + p[o];
}
const info = {
  protocol: p.readUInt16LE(0), maxPayload: p.readUInt16LE(2), clockHz: p.readUInt32LE(4),
  ramBytes: p.readUInt32LE(8), ramFree: p.readUInt32LE(12), flashBytes: p.readUInt32LE(16), flashFree: p.readUInt32LE(20),
  slotBytes: p.readUInt32LE(24), arenaBytes: p.readUInt32LE(28), counterKind: p[32], icountShift: p[33],
  kernelMask: p.readUInt16LE(34), weightBits: p[36], board: strs[0], cpu: strs[1], version: strs[2], buildId: strs[3],
};
console.log('HELLO', JSON.stringify(info));
console.log(`boot-to-hello: ${(hello.at - t0).toFixed(0)} ms from spawn, ${(hello.at - tOpen).toFixed(0)} ms from pty open`);
check(info.protocol === 1 && o === p.length, 'HelloInfo layout');

// ---- PING ----
for (const size of [0, 16, info.maxPayload]) {
  const n = quick ? 10 : 100;
  const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff));
  let ok = true;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await request(0x02, data);
    ok &&= r.payload.equals(data) && r.flags === 1;
  }
  check(ok, `PING ${size} B x${n}: ${((performance.now() - start) / n).toFixed(2)} ms round trip`);
}

// ---- STREAM 1 kHz x 6 ----
{
  const sp = Buffer.alloc(3);
  sp.writeUInt16LE(1000, 0);
  sp[2] = 0x3f;
  events.length = 0;
  const r = await request(0x10, sp);
  check(r.flags === 1 && r.payload.length === 3 + 24, `STREAM_START 1000 Hz: scales ${[0, 1, 2, 3, 4, 5].map((i) => r.payload.readFloatLE(3 + 4 * i).toPrecision(3)).join(' ')}`);
  const secs = quick ? 1 : 3;
  await new Promise((res) => setTimeout(res, secs * 1000));
  const stop = await request(0x11);
  const frames = events.filter((e) => e.type === 0x12);
  let gaps = 0;
  let samples = 0;
  for (let i = 1; i < frames.length; i++) if (frames[i].payload.readUInt32LE(0) !== frames[i - 1].payload.readUInt32LE(0) + 1) gaps++;
  for (const f of frames) samples += f.payload.readUInt16LE(8);
  const first = frames[0]?.payload;
  const last = frames.at(-1)?.payload;
  const span = last && first ? (last.readUInt32LE(4) - first.readUInt32LE(4)) / 1e6 : 0;
  const z = first ? first.readInt16LE(12 + 4) : 0;
  console.log(`  ${frames.length} frames, ${samples} samples in ${secs} s wall; board-time span ${span.toFixed(3)} s; first acc_z ${z}; stop: sent ${stop.payload.readUInt32LE(0)} dropped ${stop.payload.readUInt32LE(4)}`);
  check(frames.length > 0 && gaps === 0 && first.readUInt16LE(8) === 20, `SAMPLES frames consecutive, 20 samples each (${gaps} gaps)`);
  if (replay) {
    // 1 kHz stream of a recording at rate R: stream sample k shows replay row floor(k * R / 1000).
    const file = fs.readFileSync(replay);
    const hdr = file.readUInt16LE(6);
    const rate = file.readUInt32LE(8);
    const row = (k) => Array.from({ length: 6 }, (_, c) => file.readInt16LE(hdr + 2 * (Math.floor((k * rate) / 1000) * 6 + c)));
    const got = (f, s) => Array.from({ length: 6 }, (_, c) => f.payload.readInt16LE(12 + 2 * (s * 6 + c)));
    const sameScales = [0, 1, 2, 3, 4, 5].every((c) => r.payload.readUInt32LE(3 + 4 * c) === file.readUInt32LE(32 + 4 * c));
    const bad = [];
    for (const f of frames.slice(0, 5))
      for (const s of [0, 19]) {
        const k = f.payload.readUInt32LE(0) * 20 + s;
        if (got(f, s).join() !== row(k).join()) bad.push(`k=${k}: got ${got(f, s).join(' ')} want ${row(k).join(' ')}`);
      }
    check(sameScales && frames.length > 2 && bad.length === 0, `replay preloaded by QEMU is streamed (row 0: ${row(0).join(' ')}) ${bad.slice(0, 2).join('; ')}`);
  }
  check(samples >= secs * 1000 * 0.8 && samples <= secs * 1000 * 1.3, `stream rate ~1 kHz (${(samples / secs).toFixed(0)} samples/s)`);
}

// ---- model load ----
{
  const before = await request(0x30, Buffer.from([4, 0, 0, 0, 1, 2, 3, 4]));
  const size = Math.min(quick ? 12000 : 40000, info.slotBytes);
  const blob = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + (i >> 8)) & 0xff));
  const crc = crc32(blob);
  const begin = (total, c) => {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(total, 0);
    b.writeUInt32LE(c, 4);
    return request(0x20, b);
  };
  const chunk = (off, len) => {
    const b = Buffer.alloc(4 + len);
    b.writeUInt32LE(off, 0);
    blob.copy(b, 4, off, off + len);
    return request(0x21, b);
  };
  const step = Math.min(1024, info.maxPayload - 4);
  let r = await begin(size, crc);
  check(r.payload.readUInt32LE(0) === 0, `MODEL_BEGIN ${size} B -> slot ${r.payload[4]}`);
  const t = performance.now();
  let off = 0;
  while (off < size / 2) off = (await chunk(off, Math.min(step, size - off))).payload.readUInt32LE(0);
  r = await chunk(0, step); // a stale retry: acked with the current next_offset
  check(r.flags === 1 && r.payload.readUInt32LE(0) === off, 'repeated chunk acked without rewrite');
  r = await chunk(off + step, step);
  check(errCode(r) === 3, `gap -> BAD_STATE "${errText(r)}"`);
  r = await begin(size, crc); // interrupted: host reconnects and resumes
  check(r.payload.readUInt32LE(0) === off, `resume_offset ${r.payload.readUInt32LE(0)}`);
  while (off < size) off = (await chunk(off, Math.min(step, size - off))).payload.readUInt32LE(0);
  r = await request(0x22);
  const ms = performance.now() - t;
  const rate = `${(size / 1024 / (ms / 1000)).toFixed(0)} KiB/s`;
  if (errCode(r) === 8) {
    // With the integer engine linked in, a random blob fails the blob-header check: the slot
    // mechanics worked (CRC verified), activation was refused. Nothing more to check here.
    check(true, `MODEL_COMMIT: CRC verified, engine refused the random blob ("${errText(r)}", ${rate})`);
    const mi = await request(0x23);
    check(mi.payload[0] === 0 || mi.payload[0] === 1, 'MODEL_INFO after refused blob');
  } else {
    check(r.flags === 1 && r.payload[0] === 1 && r.payload.readUInt32LE(8) === crc, `MODEL_COMMIT active slot ${r.payload[1]} (${rate})`);
    const activeSlot = r.payload[1];
    // a corrupted second load must leave the first active
    r = await begin(size, (crc ^ 1) >>> 0);
    off = 0;
    while (off < size) off = (await chunk(off, Math.min(step, size - off))).payload.readUInt32LE(0);
    r = await request(0x22);
    check(errCode(r) === 4, 'CRC mismatch rejected');
    r = await request(0x23);
    check(r.payload[0] === 1 && r.payload[1] === activeSlot && r.payload.readUInt32LE(8) === crc, 'old model still active');
    const after = await request(0x30, Buffer.from([4, 0, 0, 0, 1, 2, 3, 4]));
    check(errCode(before) === 6 && errCode(after) === 7, `INFER: NO_MODEL before load, NOT_IMPLEMENTED after ("${errText(after)}")`);
    const lo = await request(0x31, Buffer.alloc(8));
    check(errCode(lo) === 7, 'LAYER_OUTPUT: NOT_IMPLEMENTED');
  }
}

// ---- unknown command, RESET, boot event ----
{
  const r = await request(0x55);
  check(errCode(r) === 2, 'unknown command -> UNKNOWN_COMMAND');
  events.length = 0;
  const tr = performance.now();
  const rr = await request(0x40);
  check(rr.flags === 1, 'RESET answered');
  while (!events.some((e) => e.type === 0x01) && performance.now() - tr < 3000) await new Promise((res) => setTimeout(res, 10));
  const ev = events.find((e) => e.type === 0x01);
  check(!!ev, `boot HELLO event after RESET (${ev ? (ev.at - tr).toFixed(0) : '-'} ms)`);
  const mi = await request(0x23);
  console.log(`  after RESET: model state ${mi.payload[0]}, slot ${mi.payload[1]} (slots survive a RESET)`);
}

console.log(`${failed ? 'FAILED' : 'PASSED'} (${failed} failures, ${stats.crcErrors} CRC errors)`);
cleanup();
process.exit(failed ? 1 : 0);
