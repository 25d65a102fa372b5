import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CsvOptions, CsvPreview } from '../../shared/api/datasets';
import { BitbenchError } from '../../shared/errors';
import { parseCsvTable, type CsvRow, type CsvTable } from './csv-table';
import type { RecordingInput } from './dataset-writer';
import { SPLITS, type SplitName } from './splits';
import { inputError, isNumeric, parseNumber, readText } from './text-input';
import { cutWindows, defaultWindowing, type Segment } from './windowing';

/**
 * Generic CSV import, three layouts (docs/datasets.md, "CSV"):
 *  - per-recording: one file = one recording, label from its folder or file name;
 *  - label-column:  a column holds each row's label; runs of equal labels are segments;
 *  - per-class:     one file per class (label = file name) holding many recordings, separated by
 *                   blank lines and/or cut into blocks of `recordingLength` rows (Arduino IMU capture).
 * Blank lines always separate recordings. A folder's sub-folder is the subject when the label
 * comes from the file name (gesture-to-emoji/person-a/punch.csv → subject person-a, label punch).
 */

const DATA_FILE = /\.(csv|tsv|txt)(\.gz)?$/i;
const LABEL_COLUMN = /^(label|class|activity|gesture)$/i;
/** A header column naming the recording (or exported window) of each row: a new value starts a new recording. */
const RECORDING_COLUMN = /^(window|recording)$/i;
/** A header column `split` (as `datasets export --format csv` writes): each recording's train/val/test. */
const SPLIT_COLUMN = /^split$/i;
const TIME_COLUMN =
  /^(t|time|timestamp|ts|millis|micros|ms|us|seconds|secs?|time_?(ms|us|s)|timestamp_?(ms|us|s))$/i;

export type CsvLayout = 'per-recording' | 'label-column' | 'per-class';

export interface CsvAnalysis {
  root: string;
  tables: CsvTable[];
  layout: CsvLayout;
  labelFrom: 'file' | 'folder' | 'column';
  labelColumn: number | null;
  timeColumn: number | null;
  /** `window`/`recording` column: rows with a new value start a new recording (as a blank line does). */
  recordingColumn: number | null;
  /** `split` column: each recording keeps the train/val/test its rows name (import with split-by auto). */
  splitColumn: number | null;
  channelColumns: number[];
  rateHz: number | null;
  rateSource: 'option' | 'time column' | 'unknown';
  notes: string[];
}

export function findDataFiles(p: string): { root: string; files: string[] } {
  const abs = path.resolve(p);
  if (!existsSync(abs)) throw new BitbenchError('bad_request', `${abs}: no such file or folder.`);
  if (statSync(abs).isFile()) return { root: path.dirname(abs), files: [abs] };
  const files: string[] = [];
  // Symbolic links are followed (a folder of links to the data files is a common way to pick a
  // subset); each real folder is walked once, so a link back up cannot loop.
  const seen = new Set<string>();
  const walk = (dir: string) => {
    const real = realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      // Hidden entries are not data: a Mac's "._wave.csv" (AppleDouble metadata beside every file
      // copied from it), ".git", editor backups.
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const target = statSync(full, { throwIfNoEntry: false });
        if (!target) {
          if (DATA_FILE.test(e.name))
            throw new BitbenchError('bad_request', `${full}: a link to a file that does not exist.`);
          continue;
        }
        isDir = target.isDirectory();
        isFile = target.isFile();
      }
      if (isDir) walk(full);
      else if (isFile && DATA_FILE.test(e.name)) files.push(full);
    }
  };
  walk(abs);
  if (files.length === 0)
    throw new BitbenchError('bad_request', `${abs}: no .csv, .tsv or .txt files in this folder.`);
  return { root: abs, files };
}

function columnIndex(spec: string, columns: readonly string[], file: string, what: string): number {
  const byName = columns.flatMap((c, i) => (c.toLowerCase() === spec.toLowerCase() ? [i] : []));
  if (byName.length > 1)
    throw inputError(
      file,
      null,
      `${what} "${spec}" names ${byName.length} columns (${byName.join(', ')}, counting from 0): give the column's index instead, or rename the header`,
    );
  if (byName.length === 1) return byName[0]!;
  if (/^\d+$/.test(spec) && Number(spec) < columns.length) return Number(spec);
  throw inputError(file, null, `${what} "${spec}" is not a column (columns: ${columns.join(', ')})`);
}

function stem(file: string): string {
  return path
    .basename(file)
    .replace(/(\.gz)?$/i, '')
    .replace(/\.[^.]+$/, '');
}

/** Samples per second from a time column: median step, unit from the name or else the magnitude. */
export function rateFromTimes(times: readonly number[], columnName: string): number | null {
  const steps: number[] = [];
  for (let i = 1; i < times.length; i++) steps.push(times[i]! - times[i - 1]!);
  const pos = steps.filter((s) => s > 0).sort((a, b) => a - b);
  if (pos.length === 0) return null;
  const step = pos[Math.floor(pos.length / 2)]!;
  const n = columnName.toLowerCase();
  let unit: number;
  if (/(^|_)(us|micros)$/.test(n)) unit = 1e-6;
  else if (/(^|_)(ms|millis)$/.test(n)) unit = 1e-3;
  else if (/(^|_)(s|secs?|seconds)$/.test(n)) unit = 1;
  else unit = step < 0.5 ? 1 : step < 500 ? 1e-3 : 1e-6; // a bare "time": guess seconds, ms or µs
  return Math.round((1 / (step * unit)) * 1000) / 1000;
}

/**
 * The sample rate every block's time column gives; refuses when they disagree (more than 2 %), since
 * the windows of one dataset must share one rate. Blocks too short to have a step are not counted.
 */
function agreedRate(tables: readonly CsvTable[], timeColumn: number): number | null {
  const found: Array<{ where: string; rate: number }> = [];
  for (const t of tables) {
    for (const block of t.blocks) {
      const times = block.map((r) =>
        parseNumber(r.fields[timeColumn]!, t.file, r.line, t.columns[timeColumn]!),
      );
      // Time that goes back is rows out of order or two recordings run together (logs pasted one
      // after the other): windows across that point would mix them. Said, not measured around.
      const back = times.findIndex((v, i) => i > 0 && v < times[i - 1]!);
      if (back > 0)
        throw inputError(
          t.file,
          block[back]!.line,
          `time column "${t.columns[timeColumn]}" goes back from ${times[back - 1]} to ${times[back]}: rows out of order, ` +
            'or two recordings run together (put a blank line between recordings). --rate imports the rows as they are.',
        );
      const rate = rateFromTimes(times, t.columns[timeColumn]!);
      if (rate !== null) found.push({ where: `${path.basename(t.file)} (line ${block[0]!.line})`, rate });
    }
  }
  if (found.length === 0) return null;
  const rates = found.map((f) => f.rate);
  const lo = Math.min(...rates);
  const hi = Math.max(...rates);
  if (hi > lo * 1.02) {
    const byRate = new Map<number, string[]>();
    for (const f of found) byRate.set(f.rate, [...(byRate.get(f.rate) ?? []), f.where]);
    const described = [...byRate]
      .sort((a, b) => a[0] - b[0])
      .map(
        ([rate, where]) =>
          `${rate} Hz in ${where.slice(0, 3).join(', ')}${where.length > 3 ? ` and ${where.length - 3} more` : ''}`,
      );
    throw new BitbenchError(
      'bad_request',
      `The time column "${tables[0]!.columns[timeColumn]}" gives different sample rates: ${described.join('; ')}. ` +
        'Import recordings made at one rate together (one dataset per rate), or set the sample rate (--rate) if the time column is wrong.',
    );
  }
  return found[0]!.rate;
}

/**
 * A label column of fractional numbers is a measurement picked by mistake (`--label-column ay`):
 * every row would be its own class. Refused, naming a value and its line.
 */
function refuseMeasuredLabels(tables: readonly CsvTable[], col: number): void {
  let fractional: { t: CsvTable; line: number; value: string } | undefined;
  const distinct = new Set<string>();
  for (const t of tables)
    for (const b of t.blocks)
      for (const r of b) {
        const v = r.fields[col]!;
        if (v === '') continue;
        if (!isNumeric(v)) return; // class names (or a mix): labels
        distinct.add(v);
        if (!fractional && !Number.isInteger(Number(v))) fractional = { t, line: r.line, value: v };
      }
  if (fractional)
    throw inputError(
      fractional.t.file,
      fractional.line,
      `the label column "${fractional.t.columns[col]}" holds measurements, not classes ("${fractional.value}"; ` +
        `${distinct.size} different values): pick the column of class names with --label-column, or label by file or folder (--label-from)`,
    );
}

export function analyzeCsv(p: string, opts: CsvOptions): CsvAnalysis {
  const { root, files } = findDataFiles(p);
  const tables = files.map((f) => parseCsvTable(f, readText(f)));
  const first = tables[0]!;
  for (const t of tables.slice(1)) {
    if (
      t.columns.length !== first.columns.length ||
      (t.header && first.header && t.columns.join() !== first.columns.join())
    ) {
      throw inputError(
        t.file,
        null,
        `columns [${t.columns.join(', ')}] differ from ${path.basename(first.file)}'s [${first.columns.join(', ')}]`,
      );
    }
  }
  const notes: string[] = [];
  // A header column named like a label holds the class of each row: use it (never as a channel).
  const namedLabel = first.header ? first.columns.findIndex((c) => LABEL_COLUMN.test(c.trim())) : -1;
  let labelColumn: number | null = null;
  if (opts.labelColumn !== undefined) {
    labelColumn = columnIndex(opts.labelColumn, first.columns, first.file, '--label-column');
  } else if (namedLabel >= 0 && opts.labelFrom === 'auto') {
    labelColumn = namedLabel;
    notes.push(`label of each row from column "${first.columns[namedLabel]}" (found by its name)`);
  }
  if (labelColumn !== null) refuseMeasuredLabels(tables, labelColumn);
  const notChannel = (i: number) =>
    i === labelColumn ||
    (i === namedLabel && opts.channels === undefined) ||
    i === recordingColumn ||
    i === sampleColumn ||
    i === splitColumn;
  const timeColumn = first.header
    ? first.columns.findIndex((c, i) => i !== labelColumn && TIME_COLUMN.test(c))
    : -1;
  // A `window` column (as `datasets export --format csv` writes) or `recording` column separates
  // recordings: without it the exported windows of one class ran together into one recording,
  // cut again into 128-sample windows across gesture boundaries.
  const recordingColumn = first.header
    ? first.columns.findIndex(
        (c, i) =>
          i !== labelColumn &&
          i !== timeColumn &&
          RECORDING_COLUMN.test(c.trim()) &&
          !opts.channels?.includes(c),
      )
    : -1;
  // Beside it, an exported file's `sample` column is the index within the window, not a channel.
  const sampleColumn =
    recordingColumn >= 0 && opts.channels === undefined
      ? first.columns.findIndex((c) => c.trim().toLowerCase() === 'sample')
      : -1;
  if (recordingColumn >= 0)
    notes.push(
      `recordings from column "${first.columns[recordingColumn]}" (a new value starts a new recording)` +
        (sampleColumn >= 0
          ? `; column "${first.columns[sampleColumn]}" is the sample index, not a channel`
          : ''),
    );
  // The `split` column an exported file carries: the split travels with the data (not drawn again),
  // so the same windows land in the same train/val/test. Never a channel.
  const splitColumn = first.header
    ? first.columns.findIndex(
        (c, i) =>
          i !== labelColumn &&
          i !== timeColumn &&
          i !== recordingColumn &&
          SPLIT_COLUMN.test(c.trim()) &&
          !opts.channels?.includes(c),
      )
    : -1;
  if (splitColumn >= 0)
    notes.push(
      `column "${first.columns[splitColumn]}" names each recording's split (train/val/test); it is not a channel`,
    );
  let channelColumns: number[];
  if (opts.channels?.length) {
    channelColumns = opts.channels.map((c) => columnIndex(c, first.columns, first.file, '--channels'));
  } else {
    // A column is a channel when it holds a number anywhere, not only in the first row: a missing
    // value there ("", NaN, n/a) would otherwise drop the whole channel with only a note, where the
    // same gap one row later is an error naming the line. Here it is that error.
    const numeric = (i: number) => first.blocks.some((b) => b.some((r) => isNumeric(r.fields[i]!)));
    channelColumns = first.columns
      .map((_, i) => i)
      .filter((i) => !notChannel(i) && i !== timeColumn && numeric(i));
    const skipped = first.columns.filter(
      (_, i) => !notChannel(i) && i !== timeColumn && !channelColumns.includes(i),
    );
    if (skipped.length) notes.push(`skipped non-numeric column(s): ${skipped.join(', ')}`);
    if (namedLabel >= 0 && labelColumn !== namedLabel)
      notes.push(
        `column "${first.columns[namedLabel]}" not used: labels come from the ${opts.labelFrom === 'auto' ? 'label column' : `${opts.labelFrom} names`}`,
      );
  }
  if (channelColumns.length === 0)
    throw inputError(first.file, null, 'no numeric column to use as a channel');
  // Channels are stored and picked by name: two with one name could not be told apart afterwards.
  if (first.header) {
    const used = [...channelColumns, ...(timeColumn >= 0 ? [timeColumn] : [])];
    for (const [k, i] of used.entries()) {
      const j = used.findIndex(
        (o, m) => m !== k && first.columns[o]!.toLowerCase() === first.columns[i]!.toLowerCase(),
      );
      if (j >= 0)
        throw inputError(
          first.file,
          null,
          `columns ${Math.min(i, used[j]!)} and ${Math.max(i, used[j]!)} (counting from 0) are both named "${first.columns[i]}": rename one in the header, or pick one of them with --channels (by index)`,
        );
    }
  }

  let rateHz: number | null = null;
  let rateSource: CsvAnalysis['rateSource'] = 'unknown';
  if (opts.rate !== undefined) {
    rateHz = opts.rate;
    rateSource = 'option';
  } else if (timeColumn >= 0) {
    rateHz = agreedRate(tables, timeColumn);
    if (rateHz !== null) rateSource = 'time column';
  }
  if (rateHz === null) notes.push('sample rate unknown: no time column, and none was given');

  const multi =
    opts.recordingLength !== undefined || recordingColumn >= 0 || tables.some((t) => t.blocks.length > 1);
  const layout: CsvLayout = labelColumn !== null ? 'label-column' : multi ? 'per-class' : 'per-recording';
  let labelFrom: CsvAnalysis['labelFrom'];
  if (layout === 'label-column') labelFrom = 'column';
  else if (opts.labelFrom !== 'auto') labelFrom = opts.labelFrom;
  else
    labelFrom =
      layout === 'per-class' || tables.every((t) => path.dirname(t.file) === root) ? 'file' : 'folder';
  return {
    root,
    tables,
    layout,
    labelFrom,
    labelColumn,
    timeColumn: timeColumn >= 0 ? timeColumn : null,
    recordingColumn: recordingColumn >= 0 ? recordingColumn : null,
    splitColumn: splitColumn >= 0 ? splitColumn : null,
    channelColumns,
    rateHz,
    rateSource,
    notes,
  };
}

/** Label and subject of a file from its place under the import root. */
function fileLabelAndSubject(a: CsvAnalysis, file: string): { label: string; subject: string | null } {
  const rel = path.relative(a.root, path.dirname(file));
  if (a.labelFrom === 'folder') {
    const label = path.basename(path.dirname(file));
    const parent = path.relative(a.root, path.dirname(path.dirname(file)));
    return { label, subject: rel && parent && !parent.startsWith('..') ? parent : null };
  }
  let label = stem(file);
  // "wave_03.csv" in a folder of single recordings is class "wave"
  if (a.layout === 'per-recording') label = label.replace(/[-_. ]*\d+$/, '') || label;
  return { label, subject: rel ? rel : null };
}

/** Splits blocks where the recording column's value changes. */
function byRecordingColumn(blocks: CsvRow[][], column: number | null): CsvRow[][] {
  if (column === null) return blocks;
  const out: CsvRow[][] = [];
  for (const b of blocks) {
    let from = 0;
    for (let i = 1; i <= b.length; i++) {
      if (i === b.length || b[i]!.fields[column] !== b[i - 1]!.fields[column]) {
        out.push(b.slice(from, i));
        from = i;
      }
    }
  }
  return out;
}

function blockRecordings(
  t: CsvTable,
  recordingLength: number | undefined,
  recordingColumn: number | null,
): CsvRow[][] {
  const blocks = byRecordingColumn(t.blocks, recordingColumn);
  if (recordingLength === undefined) return blocks;
  const out: CsvRow[][] = [];
  for (const b of blocks) {
    if (b.length % recordingLength !== 0) {
      throw inputError(
        t.file,
        b[0]!.line,
        `the block of rows starting here has ${b.length} rows, not a multiple of --recording-length ${recordingLength}` +
          ` (it ends at line ${b[b.length - 1]!.line})`,
      );
    }
    for (let i = 0; i < b.length; i += recordingLength) out.push(b.slice(i, i + recordingLength));
  }
  return out;
}

/**
 * The one split a recording's rows name in the `split` column; refuses (file:line) a value other than
 * train/val/test and a recording whose rows name two splits.
 */
function recordingSplit(t: CsvTable, rows: readonly CsvRow[], col: number): SplitName {
  let split: SplitName | undefined;
  let from = 0;
  for (const r of rows) {
    const raw = r.fields[col]!;
    const v = raw.trim().toLowerCase() as SplitName;
    if (!SPLITS.includes(v))
      throw inputError(
        t.file,
        r.line,
        `column "${t.columns[col]}" holds "${raw}": a split is train, val or test`,
      );
    if (split === undefined) {
      split = v;
      from = r.line;
    } else if (v !== split)
      throw inputError(
        t.file,
        r.line,
        `one recording's rows name two splits in column "${t.columns[col]}": "${split}" from line ${from}, "${v}" here. ` +
          'Each recording (an exported window) belongs to one split: fix the column, or separate the recordings (a blank line, or a window/recording column)',
      );
  }
  return split!;
}

/** Parses every number and returns one recording per block (or recording-length slice). */
export function csvRecordings(a: CsvAnalysis, opts: CsvOptions): RecordingInput[] {
  const out: RecordingInput[] = [];
  const names = a.channelColumns.map((i) => a.tables[0]!.columns[i]!);
  const channels = names.map((name) => ({ name }));
  const nch = channels.length;
  for (const t of a.tables) {
    const { label: fileLabel, subject } =
      a.labelFrom === 'column' ? { label: '', subject: null } : fileLabelAndSubject(a, t.file);
    const relSubject =
      a.labelFrom === 'column' ? path.relative(a.root, path.dirname(t.file)) || null : subject;
    blockRecordings(t, opts.recordingLength, a.recordingColumn).forEach((rows, k) => {
      const data = new Float32Array(rows.length * nch);
      rows.forEach((r, i) => {
        for (let c = 0; c < nch; c++) {
          const col = a.channelColumns[c]!;
          data[i * nch + c] = parseNumber(r.fields[col]!, t.file, r.line, `"${t.columns[col]}"`);
        }
      });
      let segments: Segment[];
      if (a.labelColumn !== null) {
        segments = [];
        rows.forEach((r, i) => {
          const l = r.fields[a.labelColumn!]!;
          if (l === '')
            throw inputError(t.file, r.line, `empty label in column "${t.columns[a.labelColumn!]}"`);
          const last = segments[segments.length - 1];
          if (last && last.label === l && last.end === i) last.end = i + 1;
          else segments.push({ start: i, end: i + 1, label: l });
        });
      } else {
        segments = [{ start: 0, end: rows.length, label: fileLabel }];
      }
      const rel = path.relative(a.root, t.file) || path.basename(t.file);
      out.push({
        name: `${rel}#${k + 1}`,
        subject: relSubject,
        rateHz: a.rateHz,
        channels,
        data,
        nSamples: rows.length,
        segments,
        wholeLabel: a.labelColumn === null,
        meta: { file: t.file, firstLine: rows[0]!.line, lastLine: rows[rows.length - 1]!.line },
        ...(a.splitColumn !== null ? { split: recordingSplit(t, rows, a.splitColumn) } : {}),
      });
    });
  }
  return out;
}

export function previewCsv(p: string, opts: CsvOptions): CsvPreview {
  const a = analyzeCsv(p, opts);
  const recs = csvRecordings(a, opts);
  const labels: Record<string, number> = {};
  for (const r of recs) for (const s of r.segments) labels[s.label] = (labels[s.label] ?? 0) + 1;
  const lengths = recs.map((r) => r.nSamples);
  const first = a.tables[0]!;
  // The windows an import with these options would cut (no --window-length/--stride here), and the
  // labelled recordings that would give none (a log cut short), as the import's warning names them.
  const { windowLength, stride } = defaultWindowing(recs);
  const classes = [...new Set(recs.flatMap((r) => r.segments.map((s) => s.label)))];
  const windowed = new Set(cutWindows(recs, windowLength, stride, classes).map((w) => w.recording));
  const short = recs.filter((r, i) => !windowed.has(i) && r.segments.length > 0);
  return {
    files: a.tables.map((t) => path.relative(a.root, t.file) || path.basename(t.file)),
    delimiter: first.delimiter === '\t' ? '\\t' : first.delimiter === ' ' ? 'whitespace' : first.delimiter,
    header: first.header,
    columns: first.columns,
    channels: a.channelColumns.map((i) => first.columns[i]!),
    label_column: a.labelColumn === null ? null : first.columns[a.labelColumn]!,
    time_column: a.timeColumn === null ? null : first.columns[a.timeColumn]!,
    split_column: a.splitColumn === null ? null : first.columns[a.splitColumn]!,
    split_recordings:
      a.splitColumn === null
        ? null
        : Object.fromEntries(SPLITS.map((s) => [s, recs.filter((r) => r.split === s).length])),
    rate_hz: a.rateHz,
    rate_source: a.rateSource,
    recordings: recs.length,
    samples: lengths.reduce((s, n) => s + n, 0),
    recording_lengths: lengths.length ? { min: Math.min(...lengths), max: Math.max(...lengths) } : null,
    labels,
    subjects: [...new Set(recs.map((r) => r.subject).filter((s): s is string => s !== null))].sort(),
    layout: a.layout,
    first_rows: first.blocks[0]!.slice(0, 5).map((r) => r.fields),
    window_length: windowLength,
    stride,
    windowless_recordings: short.map((r) => `${r.name} (${r.nSamples} samples)`),
  };
}
