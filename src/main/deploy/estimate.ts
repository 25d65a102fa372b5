import type { Estimate, LayerEstimate } from '../../shared/api/deploy';
import type { HelloInfo } from '../../shared/protocol';
import type { Db } from '../store/database';
import { RunsRepo } from '../store/runs-repo';
import type { Artifact } from './artifact';
import { boardRef } from './board-info';
import { calibrate, estimateLayer, type Calibration } from './cost-model';
import { memoryFit } from './memory-fit';

export function boardCalibration(db: Db, info: HelloInfo, excludeRun?: number): Calibration {
  const history = new RunsRepo(db).layerHistory(info.board, info.counterKind, { excludeRun });
  return calibrate(
    info.cpu,
    history.map((h) => ({ ...h, runId: h.runId })),
  );
}

export function calibrationLabel(info: HelloInfo, cal: Calibration): string {
  return cal.runs === 0
    ? `default cost model for ${info.cpu} (no earlier profile on ${info.board})`
    : `calibrated from ${cal.runs} earlier profile${cal.runs === 1 ? '' : 's'} on ${info.board}`;
}

/** Latency and memory of `art` on the board described by `info`, before anything is flashed. */
export function buildEstimate(
  db: Db,
  art: Artifact,
  spec: string,
  info: HelloInfo,
  source: 'connected' | 'last-seen',
  excludeRun?: number,
): Estimate {
  const cal = boardCalibration(db, info, excludeRun);
  const perLayer: LayerEstimate[] = art.work.map((l) => {
    const e = estimateLayer(info.cpu, l, cal);
    return {
      index: l.index,
      name: l.name,
      op: l.op,
      kernel: l.kernel,
      weight_bits: l.weightBits,
      macs: l.macs,
      work: l.work,
      outputs: l.outputs,
      // Whole instructions (or cycles): the model is fitted in fractions of a count per MAC.
      estimate: Math.round(e.counts),
      estimate_source: e.source,
    };
  });
  const latency = perLayer.reduce((s, l) => s + l.estimate, 0);
  const macs = art.work.reduce((s, l) => s + l.macs, 0);
  return {
    model: art.name,
    board: boardRef(spec, info),
    board_info_source: source,
    per_layer: perLayer,
    latency,
    latency_us: info.counterKind === 'cycles' && info.clockHz > 0 ? (latency / info.clockHz) * 1e6 : null,
    macs,
    counts_per_mac: macs > 0 ? latency / macs : null,
    calibration: calibrationLabel(info, cal),
    calibration_runs: cal.runs,
    memory: memoryFit(art.name, art.blob, art.parsed, spec, info),
  };
}
