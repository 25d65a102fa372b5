import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BitbenchError } from '../../shared/errors';
import { inputError } from './text-input';

/**
 * MNIST idx files (big-endian header; images magic 2051 + count, rows, cols; labels magic 2049 +
 * count; then uint8 data). Pixels stay uint8 in the store (784 B per image) and are scaled by
 * 1/255 when read, so a window is [28, 28, 1] in 0..1.
 */

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes. */
  pixels: Uint8Array;
}

function readMaybeGz(file: string): Buffer {
  const buf = readFileSync(file);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return gunzipSync(buf);
    } catch (err) {
      throw inputError(file, null, `corrupt gzip data (${(err as Error).message})`);
    }
  }
  return buf;
}

export function parseIdxImages(file: string, buf: Buffer): IdxImages {
  if (buf.length < 16) throw inputError(file, null, `too short for an idx3 header (${buf.length} bytes)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== 2051) throw inputError(file, null, `not an idx3 image file (magic ${magic}, expected 2051)`);
  const count = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  const need = 16 + count * rows * cols;
  if (buf.length !== need)
    throw inputError(
      file,
      null,
      `holds ${buf.length} bytes; the header (${count}×${rows}×${cols}) needs ${need}`,
    );
  return { count, rows, cols, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * rows * cols) };
}

export function parseIdxLabels(file: string, buf: Buffer): Uint8Array {
  if (buf.length < 8) throw inputError(file, null, `too short for an idx1 header (${buf.length} bytes)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== 2049) throw inputError(file, null, `not an idx1 label file (magic ${magic}, expected 2049)`);
  const count = buf.readUInt32BE(4);
  if (buf.length !== 8 + count)
    throw inputError(
      file,
      null,
      `holds ${buf.length} bytes; the header (${count} labels) needs ${8 + count}`,
    );
  const labels = new Uint8Array(buf.buffer, buf.byteOffset + 8, count);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) throw inputError(file, null, `label ${labels[bad]} at index ${bad} is not a digit 0..9`);
  return labels;
}

function findFile(dir: string, base: string): string {
  for (const name of [`${base}.gz`, base, base.replace(/-idx(\d)-/, '.idx$1-')]) {
    const f = path.join(dir, name);
    if (existsSync(f)) return f;
  }
  throw new BitbenchError('bad_request', `${dir} is not an MNIST folder: ${base}(.gz) is missing.`);
}

export interface MnistSet {
  train: { images: IdxImages; labels: Uint8Array };
  test: { images: IdxImages; labels: Uint8Array };
}

export function loadMnist(dir: string): MnistSet {
  const root = path.resolve(dir);
  if (!existsSync(root)) throw new BitbenchError('bad_request', `${root}: no such folder.`);
  const load = (img: string, lab: string) => {
    const fi = findFile(root, img);
    const fl = findFile(root, lab);
    const images = parseIdxImages(fi, readMaybeGz(fi));
    const labels = parseIdxLabels(fl, readMaybeGz(fl));
    if (images.count !== labels.length) {
      throw inputError(
        fl,
        null,
        `${labels.length} labels for ${images.count} images in ${path.basename(fi)}`,
      );
    }
    return { images, labels };
  };
  const train = load('train-images-idx3-ubyte', 'train-labels-idx1-ubyte');
  const test = load('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte');
  // Every window of a dataset has one shape: test images of another size would be cut at the
  // train images' size, each window a misaligned slice of two images.
  if (test.images.rows !== train.images.rows || test.images.cols !== train.images.cols)
    throw inputError(
      findFile(root, 't10k-images-idx3-ubyte'),
      null,
      `images are ${test.images.rows}×${test.images.cols}, but ${path.basename(findFile(root, 'train-images-idx3-ubyte'))}'s are ` +
        `${train.images.rows}×${train.images.cols}: train and test images must have one size`,
    );
  if (train.images.rows === 0 || train.images.cols === 0 || train.images.count === 0)
    throw inputError(
      findFile(root, 'train-images-idx3-ubyte'),
      null,
      `holds ${train.images.count} images of ${train.images.rows}×${train.images.cols}: nothing to train on`,
    );
  return { train, test };
}
