import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Tiny generated data sets in the real layouts (the real ones are read by the integration test). */

export function tmpDir(prefix = 'bb-ds-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A UCI-HAPT folder with `users` users, one experiment each, 50 Hz; each has a WALKING (1)
 * segment of 400 samples and a LAYING (6) one of 300, plus a transition (7) between.
 * Acceleration is gravity on x plus a 2 Hz wobble; gyro a 1 Hz sine.
 */
export function makeHapt(users = 4): string {
  const root = tmpDir('bb-hapt-');
  const raw = path.join(root, 'RawData');
  mkdirSync(raw);
  const labels: string[] = [];
  for (let u = 1; u <= users; u++) {
    const n = 800;
    const acc: string[] = [];
    const gyro: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = i / 50;
      acc.push(`${1 + 0.2 * Math.sin(2 * Math.PI * 2 * t)} ${0.1 * u} ${-0.05}`);
      gyro.push(`${0.3 * Math.sin(2 * Math.PI * t)} 0 ${0.01 * u}`);
    }
    const tag = `exp${String(u).padStart(2, '0')}_user${String(u).padStart(2, '0')}`;
    writeFileSync(path.join(raw, `acc_${tag}.txt.gz`), gzipSync(acc.join('\n') + '\n'));
    writeFileSync(path.join(raw, `gyro_${tag}.txt`), gyro.join('\n') + '\n');
    labels.push(`${u} ${u} 1 1 400`, `${u} ${u} 7 401 450`, `${u} ${u} 6 451 750`);
  }
  writeFileSync(path.join(raw, 'labels.txt'), labels.join('\n') + '\n');
  return root;
}

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** An MNIST folder with nTrain / nTest 28×28 images; image i is filled with value (i·7) % 256, label i % 10. */
export function makeMnist(nTrain = 30, nTest = 10): string {
  const root = tmpDir('bb-mnist-');
  const write = (prefix: string, n: number) => {
    const px = new Uint8Array(n * 784);
    const lab = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      px.fill((i * 7) % 256, i * 784, (i + 1) * 784);
      lab[i] = i % 10;
    }
    writeFileSync(path.join(root, `${prefix}-images-idx3-ubyte.gz`), gzipSync(idx(2051, [n, 28, 28], px)));
    writeFileSync(path.join(root, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(idx(2049, [n], lab)));
  };
  write('train', nTrain);
  write('t10k', nTest);
  return root;
}

export { idx as idxBytes };
