import { arch, platform } from 'node:os';
import type { RunRecord } from '../../shared/api/deploy';
import type { HelloInfo } from '../../shared/protocol';
import type { DatasetTensors } from '../datasets/dataset-reader';
import { appVersion } from '../version';
import { sha256, type Artifact } from './artifact';
import { boardRef } from './board-info';

/** SHA-256 over the first `count` windows (float32, as fed to the model) and their labels. */
export function datasetSha(data: DatasetTensors, count: number): string {
  const per = data.x.length / Math.max(1, data.count);
  const x = data.x.subarray(0, count * per);
  const y = data.y.subarray(0, count);
  const buf = new Uint8Array(x.byteLength + y.byteLength);
  buf.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), 0);
  buf.set(new Uint8Array(y.buffer, y.byteOffset, y.byteLength), x.byteLength);
  return sha256(buf);
}

/** Everything a run depends on, written when the run starts (host outputs hash when it completes). */
export function buildRecord(
  art: Artifact,
  data: DatasetTensors,
  dataset: { name: string; split: 'train' | 'val' | 'test' },
  count: number,
  spec: string,
  info: HelloInfo,
): RunRecord {
  return {
    model: {
      name: art.name,
      id: art.prov.modelId,
      parent: art.prov.parentName,
      family: art.prov.family,
      method: art.prov.method,
      weights_bits: art.prov.weightBits,
      acts_bits: art.prov.actBits,
      spec: art.prov.parentSpec,
      float_weights_sha256: art.floatWeightsSha256,
      integer_model_sha256: art.integerModelSha256,
      blob: { bytes: art.blob.length, crc32: art.crc32Hex, hash: art.parsed.hash },
      quantization: { config: art.prov.config, settings_sha256: sha256(JSON.stringify(art.prov.settings)) },
    },
    dataset: {
      name: dataset.name,
      version: data.version,
      split: dataset.split,
      windows: count,
      sha256: datasetSha(data, count),
    },
    board: boardRef(spec, info),
    host: { bitbench_version: appVersion(), node: process.version, platform: `${platform()}-${arch()}` },
    host_outputs_sha256: null,
  };
}
