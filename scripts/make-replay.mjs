#!/usr/bin/env node
// Writes the default sensor replay for the virtual boards (format: docs/replay-format.md).
//   node scripts/make-replay.mjs [out.bbrp] [--seconds 20] [--rate 50]
// A synthetic 6-axis IMU recording of someone standing, walking, standing (so the loop is
// seamless): accelerometer in m/s^2 (gravity on z), gyroscope in rad/s, quantised like a typical
// +-8 g / +-2000 dps IMU. Deterministic: the same arguments always produce the same bytes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const out = path.resolve(positional[0] ?? path.join(root, 'resources/replay/default.bbrp'));
const seconds = opt('--seconds', 20);
const rate = opt('--rate', 50);
if (!(seconds > 0 && rate > 0 && Number.isInteger(rate))) throw new Error('bad --seconds / --rate');

const G = 9.80665;
const ACC_SCALE = G / 4096; // m/s^2 per LSB (+-8 g)
const GYRO_SCALE = Math.PI / 180 / 16.4; // rad/s per LSB (+-2000 dps)
const scales = [ACC_SCALE, ACC_SCALE, ACC_SCALE, GYRO_SCALE, GYRO_SCALE, GYRO_SCALE];

// Small deterministic PRNG (mulberry32) for sensor noise and gait variability.
let seed = 0x0b17be4c;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

const n = Math.round(seconds * rate);
const walkStart = Math.min(3, seconds * 0.15);
const walkEnd = Math.max(seconds - 3, seconds * 0.85);
const samples = new Int16Array(n * 6);
let phase = 0; // gait phase in cycles (one cycle = one step)
let cadence = 1.9; // steps per second
for (let i = 0; i < n; i++) {
  const t = i / rate;
  // Smooth 1 s ramps in and out of walking.
  const w = Math.min(1, Math.max(0, t - walkStart), Math.max(0, walkEnd - t));
  cadence += (1.9 - cadence) * 0.02 + gauss() * 0.004;
  phase += (cadence * w) / rate;
  const s = 2 * Math.PI * phase;
  const v = [
    w * (1.3 * Math.sin(s + Math.PI / 3) + 0.4 * Math.sin(2 * s)) + 0.05 * gauss(), // forward
    w * (0.8 * Math.sin(s / 2)) + 0.05 * gauss(), // lateral sway, one cycle per stride
    G + w * (2.6 * Math.sin(s) + 0.9 * Math.sin(2 * s + 0.7)) + 0.05 * gauss(), // vertical
    w * (0.35 * Math.sin(s / 2 + 0.4)) + 0.01 * gauss(), // roll
    w * (0.6 * Math.sin(s + Math.PI / 4)) + 0.01 * gauss(), // pitch
    w * (0.25 * Math.sin(s / 2 + Math.PI / 2)) + 0.01 * gauss(), // yaw
  ];
  for (let c = 0; c < 6; c++)
    samples[i * 6 + c] = Math.max(-32768, Math.min(32767, Math.round(v[c] / scales[c])));
}

const crcTable = new Uint32Array(256).map((_, k) => {
  let c = k;
  for (let j = 0; j < 8; j++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

const nCh = 6;
const headerBytes = 32 + 4 * nCh;
const data = Buffer.alloc(n * nCh * 2);
for (let i = 0; i < samples.length; i++) data.writeInt16LE(samples[i], 2 * i);
const head = Buffer.alloc(headerBytes);
head.write('BBRP', 0, 'latin1');
head.writeUInt16LE(1, 4); // version
head.writeUInt16LE(headerBytes, 6);
head.writeUInt32LE(rate, 8);
head.writeUInt32LE(n, 12);
head[16] = nCh;
head[17] = 0x3f; // acc_x..gyro_z
head.writeUInt32LE(crc32(data), 20);
scales.forEach((sc, c) => head.writeFloatLE(sc, 32 + 4 * c));

fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, Buffer.concat([head, data]));
console.log(
  `wrote ${path.relative(process.cwd(), out)}: ${n} samples x ${nCh} ch at ${rate} Hz (${headerBytes + data.length} bytes)`,
);
