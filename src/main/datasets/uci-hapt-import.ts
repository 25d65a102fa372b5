import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { BitbenchError } from '../../shared/errors';
import type { SessionChannel } from '../store/sessions-repo';
import type { RecordingInput } from './dataset-writer';
import { butterworthLowpass, filtfilt, median3, type Biquad } from './filters';
import { inputError, parseNumber, readText, splitLines, yieldToLoop } from './text-input';
import type { Segment } from './windowing';

/**
 * UCI-HAPT raw recordings → UCI-HAR's nine inertial signals (docs/datasets.md, "UCI-HAR").
 * Per recording and axis: median filter (3), 3rd-order 20 Hz Butterworth low-pass, then the
 * acceleration is split into gravity (3rd-order 0.3 Hz Butterworth) and body (total − gravity).
 * Filters run zero-phase (forward-backward): the import is offline, and a causal filter would
 * delay the gravity estimate by ~1 s (group delay 2/ωc at DC) against the body signal and the labels.
 */

export const UCI_HAR_RATE_HZ = 50;
/** UCI-HAR's test subjects (uci-har-split/subject_test.txt holds the same set). */
export const UCI_HAR_TEST_SUBJECTS = ['2', '4', '9', '10', '12', '13', '18', '20', '24'];
export const UCI_HAR_CHANNELS: SessionChannel[] = [
  { name: 'body_acc_x', unit: 'g' },
  { name: 'body_acc_y', unit: 'g' },
  { name: 'body_acc_z', unit: 'g' },
  { name: 'body_gyro_x', unit: 'rad/s' },
  { name: 'body_gyro_y', unit: 'rad/s' },
  { name: 'body_gyro_z', unit: 'rad/s' },
  { name: 'total_acc_x', unit: 'g' },
  { name: 'total_acc_y', unit: 'g' },
  { name: 'total_acc_z', unit: 'g' },
];
const DEFAULT_ACTIVITIES = [
  'WALKING',
  'WALKING_UPSTAIRS',
  'WALKING_DOWNSTAIRS',
  'SITTING',
  'STANDING',
  'LAYING',
  'STAND_TO_SIT',
  'SIT_TO_STAND',
  'SIT_TO_LIE',
  'LIE_TO_SIT',
  'STAND_TO_LIE',
  'LIE_TO_STAND',
];
/** UCI-HAR's six classes are activities 1–6. */
export const UCI_HAR_ACTIVITY_IDS = [1, 2, 3, 4, 5, 6];

export interface HaptLayout {
  root: string;
  rawDir: string;
  labelsFile: string;
  experiments: Array<{ exp: number; user: number; acc: string; gyro: string }>;
  activityNames: Map<number, string>;
  testSubjects: string[];
  testSubjectsSource: string;
}

const RAW_FILE = /^(acc|gyro)_exp(\d+)_user(\d+)\.txt(\.gz)?$/;

/** Finds the files; a folder that is not UCI-HAPT gets a message that says what was expected. */
export function locateHapt(dir: string): HaptLayout {
  const root = path.resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new BitbenchError(
      'bad_request',
      `${root}: no such folder. Point to the UCI-HAPT folder (the one holding RawData/).`,
    );
  }
  const rawDir = existsSync(path.join(root, 'RawData')) ? path.join(root, 'RawData') : root;
  const labelsFile = path.join(rawDir, 'labels.txt');
  const files = readdirSync(rawDir);
  const acc = new Map<string, string>();
  const gyro = new Map<string, string>();
  for (const f of files) {
    const m = RAW_FILE.exec(f);
    if (!m) continue;
    (m[1] === 'acc' ? acc : gyro).set(`${Number(m[2])}:${Number(m[3])}`, path.join(rawDir, f));
  }
  if (acc.size === 0 || !existsSync(labelsFile)) {
    throw new BitbenchError(
      'bad_request',
      `${root} is not a UCI-HAPT folder: expected RawData/labels.txt and RawData/acc_expXX_userYY.txt(.gz) + gyro_expXX_userYY.txt(.gz) files` +
        ` (found ${acc.size} acc files${existsSync(labelsFile) ? '' : ', no labels.txt'}).`,
    );
  }
  const experiments: HaptLayout['experiments'] = [];
  for (const [key, accFile] of acc) {
    const gyroFile = gyro.get(key);
    if (!gyroFile)
      throw inputError(
        accFile,
        null,
        `no matching gyro file (${path.basename(accFile).replace(/^acc/, 'gyro')})`,
      );
    const [exp, user] = key.split(':').map(Number) as [number, number];
    experiments.push({ exp, user, acc: accFile, gyro: gyroFile });
  }
  experiments.sort((a, b) => a.exp - b.exp);

  const activityNames = new Map<number, string>(DEFAULT_ACTIVITIES.map((n, i) => [i + 1, n]));
  const actFile = path.join(root, 'activity_labels.txt');
  if (existsSync(actFile)) {
    splitLines(readText(actFile)).forEach((line, i) => {
      const t = line.trim();
      if (!t) return;
      const m = /^(\d+)\s+(\S+)$/.exec(t);
      if (!m) throw inputError(actFile, i + 1, `expected "<id> <NAME>", got "${t}"`);
      activityNames.set(Number(m[1]), m[2]!);
    });
  }

  let testSubjects = UCI_HAR_TEST_SUBJECTS;
  let testSubjectsSource = 'built-in UCI-HAR list';
  const subjFile = path.join(root, 'uci-har-split', 'subject_test.txt');
  if (existsSync(subjFile)) {
    const set = new Set<string>();
    splitLines(readText(subjFile)).forEach((line, i) => {
      const t = line.trim();
      if (!t) return;
      if (!/^\d+$/.test(t)) throw inputError(subjFile, i + 1, `expected a subject number, got "${t}"`);
      set.add(String(Number(t)));
    });
    testSubjects = [...set].sort((a, b) => Number(a) - Number(b));
    testSubjectsSource = path.relative(root, subjFile);
  }
  return { root, rawDir, labelsFile, experiments, activityNames, testSubjects, testSubjectsSource };
}

export interface HaptLabel {
  exp: number;
  user: number;
  activity: number;
  /** 0-based, inclusive. */
  start: number;
  /** 0-based, exclusive. */
  end: number;
  line: number;
}

/** labels.txt: "exp user activity start end", 1-based inclusive sample indexes (checked: every end ≤ file length). */
export function parseHaptLabels(file: string): HaptLabel[] {
  const out: HaptLabel[] = [];
  splitLines(readText(file)).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (!t) return;
    const f = t.split(/\s+/);
    if (f.length !== 5)
      throw inputError(file, line, `expected 5 fields (exp user activity start end), found ${f.length}`);
    const v = f.map((x, c) => parseNumber(x, file, line, String(c + 1)));
    if (!v.every((x) => Number.isInteger(x) && x >= 0))
      throw inputError(file, line, 'fields must be non-negative integers');
    const [exp, user, activity, start, end] = v as [number, number, number, number, number];
    if (start < 1 || end < start) throw inputError(file, line, `bad segment ${start}..${end}`);
    out.push({ exp, user, activity, start: start - 1, end, line });
  });
  if (out.length === 0) throw inputError(file, null, 'empty: no labelled segments');
  return out;
}

/** An n × 3 whitespace-separated numeric file → three Float64 columns. */
export function parseTriaxial(file: string): [Float64Array, Float64Array, Float64Array] {
  const lines = splitLines(readText(file));
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw inputError(file, null, 'empty file');
  const n = lines.length;
  const cols: [Float64Array, Float64Array, Float64Array] = [
    new Float64Array(n),
    new Float64Array(n),
    new Float64Array(n),
  ];
  for (let i = 0; i < n; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length !== 3)
      throw inputError(file, i + 1, `expected 3 numbers (x y z), found ${f[0] === '' ? 0 : f.length}`);
    cols[0][i] = parseNumber(f[0]!, file, i + 1, 'x');
    cols[1][i] = parseNumber(f[1]!, file, i + 1, 'y');
    cols[2][i] = parseNumber(f[2]!, file, i + 1, 'z');
  }
  return cols;
}

export interface HarFilters {
  noise: Biquad[];
  gravity: Biquad[];
}

export function harFilters(rateHz = UCI_HAR_RATE_HZ): HarFilters {
  return { noise: butterworthLowpass(3, 20, rateHz), gravity: butterworthLowpass(3, 0.3, rateHz) };
}

/** acc (g) and gyro (rad/s) axes → the nine UCI-HAR channels, interleaved by sample, Float32. */
export function harChannels(
  acc: readonly Float64Array[],
  gyro: readonly Float64Array[],
  filters: HarFilters,
  rateHz = UCI_HAR_RATE_HZ,
): Float32Array {
  const n = acc[0]!.length;
  const out = new Float32Array(n * 9);
  // Pad the forward-backward pass with ~3 time constants of the slow filter (3 / 0.3 Hz = 10 s).
  const slowPad = Math.round(10 * rateHz);
  for (let axis = 0; axis < 3; axis++) {
    const total = filtfilt(filters.noise, median3(acc[axis]!));
    const gravity = filtfilt(filters.gravity, total, slowPad);
    const body = filtfilt(filters.noise, median3(gyro[axis]!));
    for (let i = 0; i < n; i++) {
      out[i * 9 + axis] = total[i]! - gravity[i]!;
      out[i * 9 + 3 + axis] = body[i]!;
      out[i * 9 + 6 + axis] = total[i]!;
    }
  }
  return out;
}

/** Reads and processes every experiment: one recording per experiment with its labelled segments. */
export async function loadHaptRecordings(
  layout: HaptLayout,
  onProgress: (fraction: number, message: string) => void,
  checkCancel: () => void,
): Promise<RecordingInput[]> {
  const labels = parseHaptLabels(layout.labelsFile);
  const byExp = new Map<number, HaptLabel[]>();
  for (const l of labels) {
    if (!byExp.has(l.exp)) byExp.set(l.exp, []);
    byExp.get(l.exp)!.push(l);
  }
  const filters = harFilters();
  const out: RecordingInput[] = [];
  let i = 0;
  for (const e of layout.experiments) {
    checkCancel();
    onProgress(i / layout.experiments.length, `exp ${e.exp} user ${e.user}`);
    const acc = parseTriaxial(e.acc);
    const gyro = parseTriaxial(e.gyro);
    const n = acc[0].length;
    if (gyro[0].length !== n) {
      throw inputError(
        e.gyro,
        null,
        `has ${gyro[0].length} samples but ${path.basename(e.acc)} has ${n}; they must be the same length`,
      );
    }
    const segments: Segment[] = [];
    for (const l of byExp.get(e.exp) ?? []) {
      if (l.user !== e.user)
        throw inputError(
          layout.labelsFile,
          l.line,
          `experiment ${l.exp} is user ${e.user} in the file names, not ${l.user}`,
        );
      if (l.end > n)
        throw inputError(
          layout.labelsFile,
          l.line,
          `segment ends at sample ${l.end} but experiment ${l.exp} has ${n} samples`,
        );
      const name = layout.activityNames.get(l.activity);
      if (!name) throw inputError(layout.labelsFile, l.line, `unknown activity ${l.activity}`);
      segments.push({ start: l.start, end: l.end, label: name });
    }
    out.push({
      name: `exp${String(e.exp).padStart(2, '0')}_user${String(e.user).padStart(2, '0')}`,
      subject: String(e.user),
      rateHz: UCI_HAR_RATE_HZ,
      channels: UCI_HAR_CHANNELS,
      data: harChannels(acc, gyro, filters),
      nSamples: n,
      segments,
      meta: { experiment: e.exp, user: e.user, acc: path.basename(e.acc), gyro: path.basename(e.gyro) },
    });
    i++;
    await yieldToLoop();
  }
  for (const exp of byExp.keys()) {
    if (!layout.experiments.some((e) => e.exp === exp)) {
      throw inputError(
        layout.labelsFile,
        byExp.get(exp)![0]!.line,
        `labels experiment ${exp}, which has no acc/gyro files`,
      );
    }
  }
  return out;
}
