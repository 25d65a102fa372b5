import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyzeCsv, csvRecordings, previewCsv, rateFromTimes } from '../../../src/main/datasets/csv-import';
import { detectDelimiter, parseCsvTable, splitFields } from '../../../src/main/datasets/csv-table';
import { MAX_TEXT_BYTES, parseNumber, readText } from '../../../src/main/datasets/text-input';
import { BitbenchError } from '../../../src/shared/errors';
import { sharedDataset, sharedDatasetMissing } from '../../helpers/shared-datasets';

const defaults = { labelFrom: 'auto' as const };

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'bb-csv-'));
}

function write(dir: string, rel: string, text: string | Buffer): string {
  const f = path.join(dir, rel);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, text);
  return f;
}

function rows(n: number, f: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => f(i)).join('\n');
}

/** Runs `fn` and returns the BitbenchError it throws. */
function errorOf(fn: () => unknown): BitbenchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BitbenchError);
    return err as BitbenchError;
  }
  throw new Error('expected an error');
}

describe('fields and numbers', () => {
  it('detects comma, tab, semicolon and whitespace delimiters', () => {
    expect(detectDelimiter(['a,b,c', '1,2,3'])).toBe(',');
    expect(detectDelimiter(['a\tb', '1\t2'])).toBe('\t');
    expect(detectDelimiter(['1;2,5;3', '4;5;6'])).toBe(';');
    expect(detectDelimiter(['1 2   3', ' 4 5 6'])).toBe(' ');
    expect(detectDelimiter(['1', '2'])).toBe(',');
  });

  it('splits quoted fields and reports an unclosed quote with its line', () => {
    expect(splitFields('"a, b",2,"say ""hi"""', ',', 'f.csv', 1)).toEqual(['a, b', '2', 'say "hi"']);
    expect(errorOf(() => splitFields('"abc,1,2', ',', 'f.csv', 7)).message).toBe(
      'f.csv:7: malformed line: a quoted field is not closed',
    );
  });

  it('parses numbers strictly: no prefixes, no NaN/Inf, no float32 overflow', () => {
    expect(parseNumber(' -1.5e-3 ', 'f', 1, 'x')).toBe(-0.0015);
    expect(parseNumber('.5', 'f', 1, 'x')).toBe(0.5);
    expect(errorOf(() => parseNumber('12abc', 'f.csv', 3, '"aX"')).message).toBe(
      'f.csv:3: column "aX": "12abc" is not a number',
    );
    expect(errorOf(() => parseNumber('NaN', 'f.csv', 4, 'x')).message).toMatch(
      /^f\.csv:4: .*"NaN" is not a finite number/,
    );
    expect(errorOf(() => parseNumber('-inf', 'f.csv', 4, 'x')).message).toMatch(/not a finite number/);
    expect(errorOf(() => parseNumber('Infinity', 'f.csv', 4, 'x')).message).toMatch(/not a finite number/);
    expect(errorOf(() => parseNumber('1e39', 'f.csv', 5, 'x')).message).toMatch(/out of range/);
    expect(errorOf(() => parseNumber('', 'f.csv', 6, 'x')).message).toMatch(/^f\.csv:6: .*empty field/);
  });

  it('reads gzip by its magic bytes and drops a BOM', () => {
    const dir = tmp();
    const f = write(dir, 'a.csv.gz', gzipSync(Buffer.from('\ufeffx,y\n1,2\n')));
    expect(readText(f)).toBe('x,y\n1,2\n');
  });

  it('rate from a time column: unit from the name, else from the step size', () => {
    expect(rateFromTimes([0, 10, 20, 30], 'timestamp_ms')).toBe(100);
    expect(rateFromTimes([0, 1000, 2000], 'time_us')).toBe(1000);
    expect(rateFromTimes([0, 0.02, 0.04], 'time')).toBe(50);
    expect(rateFromTimes([0, 20, 40, 61, 80], 'time')).toBe(50);
    expect(rateFromTimes([5, 5], 't')).toBeNull();
  });
});

describe('table parsing: header detection and bad input', () => {
  it('detects a header and splits blocks at blank lines', () => {
    const t = parseCsvTable('g.csv', 'aX,aY\n1,2\n3,4\n\n\n5,6\n');
    expect(t.header).toBe(true);
    expect(t.columns).toEqual(['aX', 'aY']);
    expect(t.blocks.map((b) => b.map((r) => r.line))).toEqual([[2, 3], [6]]);
  });

  it('no header when the first line is data, even with a text label column', () => {
    const t = parseCsvTable('l.csv', '1,2,wave\n3,4,wave\n');
    expect(t.header).toBe(false);
    expect(t.columns).toEqual(['col0', 'col1', 'col2']);
    expect(t.blocks[0]).toHaveLength(2);
  });

  it('a first data row with a gap is data (its gap an error on line 1), not a header that takes the row away', () => {
    for (const gap of ['', 'NaN', 'n/a', 'inf']) {
      const t = parseCsvTable('g.csv', `1,${gap},3\n1,2,3\n4,5,6\n`);
      expect(t.header).toBe(false);
      expect(t.blocks[0]!.map((r) => r.line)).toEqual([1, 2, 3]);
    }
    const dir = tmp();
    const f = write(dir, 'g.csv', '1,,3\n1,2,3\n4,5,6\n');
    expect(errorOf(() => csvRecordings(analyzeCsv(f, defaults), defaults)).message).toBe(
      `${f}:1: column "col1": empty field where a number was expected`,
    );
    // a real header may still leave a column unnamed (a pandas index column)
    expect(parseCsvTable('h.csv', ',ax,ay\n0,1,2\n').header).toBe(true);
  });

  it('an inconsistent column count names the file and line', () => {
    expect(errorOf(() => parseCsvTable('bad.csv', 'a,b,c\n1,2,3\n4,5\n')).message).toBe(
      'bad.csv:3: expected 3 fields (as in the header), found 2',
    );
    expect(errorOf(() => parseCsvTable('bad.csv', '1,2,3\n1,2,3\n4,5,6,7\n')).message).toBe(
      'bad.csv:3: expected 3 fields (as in the first line), found 4',
    );
  });

  it('an empty file and a header-only file are errors', () => {
    expect(errorOf(() => parseCsvTable('e.csv', '')).message).toBe('e.csv: empty file (no data rows)');
    expect(errorOf(() => parseCsvTable('e.csv', '\n  \n')).message).toBe('e.csv: empty file (no data rows)');
    expect(errorOf(() => parseCsvTable('h.csv', 'a,b\n')).message).toBe(
      'h.csv: empty file: a header but no data rows',
    );
  });
});

describe('CSV layouts', () => {
  it('(a) one file per recording, label from the folder', () => {
    const dir = tmp();
    write(dir, 'wave/001.csv', 'ax,ay\n' + rows(50, (i) => `${i},${-i}`));
    write(dir, 'wave/002.csv', 'ax,ay\n' + rows(60, (i) => `${i},${i}`));
    write(dir, 'idle/001.csv', 'ax,ay\n' + rows(55, () => '0,0'));
    const a = analyzeCsv(dir, { ...defaults, rate: 100 });
    expect(a.layout).toBe('per-recording');
    expect(a.labelFrom).toBe('folder');
    const recs = csvRecordings(a, defaults);
    expect(recs.map((r) => [r.segments[0]!.label, r.nSamples])).toEqual([
      ['idle', 55],
      ['wave', 50],
      ['wave', 60],
    ]);
    expect(recs[1]!.data.subarray(0, 4)).toEqual(new Float32Array([0, 0, 1, -1]));
  });

  it('(a) label from the file name, trailing numbers dropped', () => {
    const dir = tmp();
    write(dir, 'wave_01.csv', 'x\n1\n2\n');
    write(dir, 'wave_02.csv', 'x\n1\n2\n');
    write(dir, 'idle-7.csv', 'x\n1\n2\n');
    const recs = csvRecordings(analyzeCsv(dir, defaults), defaults);
    expect(recs.map((r) => r.segments[0]!.label)).toEqual(['idle', 'wave', 'wave']);
  });

  it('(b) a label column: runs of equal labels become segments; a time column gives the rate', () => {
    const dir = tmp();
    const f = write(
      dir,
      'log.tsv',
      'timestamp_ms\tax\tlabel\n' +
        rows(10, (i) => `${i * 10}\t${i}\t${i < 4 ? 'idle' : i < 7 ? 'wave' : 'idle'}`),
    );
    const opts = { ...defaults, labelColumn: 'label' };
    const a = analyzeCsv(f, opts);
    expect(a.layout).toBe('label-column');
    expect(a.rateHz).toBe(100);
    expect(a.rateSource).toBe('time column');
    const [rec] = csvRecordings(a, opts);
    expect(rec!.channels.map((c) => c.name)).toEqual(['ax']);
    expect(rec!.segments).toEqual([
      { start: 0, end: 4, label: 'idle' },
      { start: 4, end: 7, label: 'wave' },
      { start: 7, end: 10, label: 'idle' },
    ]);
    // the label column by index works too
    expect(analyzeCsv(f, { ...defaults, labelColumn: '2' }).labelColumn).toBe(2);
    expect(errorOf(() => analyzeCsv(f, { ...defaults, labelColumn: 'nope' })).message).toMatch(
      /--label-column "nope" is not a column/,
    );
  });

  it('(b) a column named "label" is the label column without being asked; the file name is not the class', () => {
    const dir = tmp();
    const f = write(
      dir,
      'walk_and_run.csv',
      'time_ms,ax,ay,label\n' + rows(12, (i) => `${i * 20},${i},${-i},${i < 6 ? 'walk' : 'run'}`),
    );
    const a = analyzeCsv(f, defaults);
    expect(a.layout).toBe('label-column');
    expect(a.notes).toContain('label of each row from column "label" (found by its name)');
    expect(a.notes.join()).not.toMatch(/skipped/);
    const [rec] = csvRecordings(a, defaults);
    expect(rec!.channels.map((c) => c.name)).toEqual(['ax', 'ay']);
    expect(rec!.segments).toEqual([
      { start: 0, end: 6, label: 'walk' },
      { start: 6, end: 12, label: 'run' },
    ]);
    expect(previewCsv(f, defaults)).toMatchObject({ label_column: 'label', labels: { walk: 1, run: 1 } });
    // labels asked from the file name: the column is neither the class nor a channel
    const byFile = analyzeCsv(f, { labelFrom: 'file' });
    expect(byFile.labelColumn).toBeNull();
    expect(byFile.channelColumns).toEqual([1, 2]);
    expect(byFile.notes).toContain('column "label" not used: labels come from the file names');
  });

  it('(b) a label column of measurements (--label-column on a channel) is refused, not 1 class per row', () => {
    const dir = tmp();
    const f = write(dir, 'log.csv', 'ax,ay,az\n' + rows(40, (i) => `${i},${(i * 0.37) % 1},${-i}`));
    expect(errorOf(() => analyzeCsv(f, { ...defaults, labelColumn: 'ay' })).message).toBe(
      `${f}:3: the label column "ay" holds measurements, not classes ("0.37"; 40 different values): pick the column of class names with --label-column, or label by file or folder (--label-from)`,
    );
    // whole numbers are class ids, also when written as floats (pandas writes 1.0 for 1)
    const g = write(dir, 'ids.csv', 'ax,cls\n' + rows(6, (i) => `${i},${i < 3 ? '1.0' : '2'}`));
    const [rec] = csvRecordings(analyzeCsv(g, { ...defaults, labelColumn: 'cls' }), defaults);
    expect(rec!.segments.map((s) => s.label)).toEqual(['1.0', '2']);
  });

  it('refuses files whose time columns give different sample rates, naming them', () => {
    const dir = tmp();
    write(dir, 'slow.csv', 'time_ms,ax\n' + rows(10, (i) => `${i * 40},${i}`));
    write(dir, 'fast.csv', 'time_ms,ax\n' + rows(10, (i) => `${i * 10},${i}`));
    expect(errorOf(() => analyzeCsv(dir, defaults)).message).toBe(
      'The time column "time_ms" gives different sample rates: 25 Hz in slow.csv (line 2); 100 Hz in fast.csv (line 2). ' +
        'Import recordings made at one rate together (one dataset per rate), or set the sample rate (--rate) if the time column is wrong.',
    );
    // blocks of one file disagreeing are refused the same way; a given rate is taken as said
    const f = write(
      tmp(),
      'two.csv',
      'time_ms,ax\n' + rows(5, (i) => `${i * 40},${i}`) + '\n\n' + rows(5, (i) => `${i * 10},${i}`),
    );
    expect(errorOf(() => analyzeCsv(f, defaults)).message).toMatch(
      /25 Hz in two.csv \(line 2\); 100 Hz in two.csv \(line 8\)/,
    );
    expect(analyzeCsv(f, { ...defaults, rate: 50 }).rateHz).toBe(50);
    // steps that agree within 2 % (timestamps with jitter) are one rate
    write(dir, 'fast.csv', 'time_ms,ax\n' + rows(10, (i) => `${i * 40 + (i % 2) * 0.4},${i}`));
    expect(analyzeCsv(dir, defaults).rateHz).toBeCloseTo(24.75, 2);
  });

  it('a time column that goes back (two logs run together) is refused naming the line; --rate takes the rows as they are', () => {
    const dir = tmp();
    // two 50 Hz logs pasted one after the other, the second header removed: windows would straddle them
    const f = write(
      dir,
      'walk.csv',
      'time_ms,ax\n' + rows(6, (i) => `${i * 20},${i}`) + '\n' + rows(6, (i) => `${i * 20},${-i}`) + '\n',
    );
    expect(errorOf(() => analyzeCsv(f, defaults)).message).toBe(
      `${f}:8: time column "time_ms" goes back from 100 to 0: rows out of order, or two recordings run together (put a blank line between recordings). --rate imports the rows as they are.`,
    );
    expect(analyzeCsv(f, { ...defaults, rate: 50 }).rateHz).toBe(50);
    // with the blank line between them, both are recordings at 50 Hz
    const g = write(
      dir,
      'walk2.csv',
      'time_ms,ax\n' + rows(6, (i) => `${i * 20},${i}`) + '\n\n' + rows(6, (i) => `${i * 20},${-i}`) + '\n',
    );
    expect(analyzeCsv(g, defaults).rateHz).toBe(50);
  });

  it('(c) one file per class, fixed-length recordings; the subfolder is the subject', () => {
    const dir = tmp();
    const block = (k: number) => rows(6, (i) => `${k}.${i},1,2`);
    write(dir, 'p1/punch.csv', 'aX,aY,aZ\n' + [block(1), block(2)].join('\n') + '\n\n' + block(3) + '\n');
    write(dir, 'p1/flex.csv', 'aX,aY,aZ\n' + block(4) + '\n');
    write(dir, 'p2/punch.csv', 'aX,aY,aZ\n' + block(5) + '\n\n' + block(6));
    const opts = { ...defaults, recordingLength: 6, rate: 119 };
    const p = previewCsv(dir, opts);
    expect(p.layout).toBe('per-class');
    expect(p.recordings).toBe(6);
    expect(p.labels).toEqual({ flex: 1, punch: 5 });
    expect(p.subjects).toEqual(['p1', 'p2']);
    expect(p.recording_lengths).toEqual({ min: 6, max: 6 });
    expect(p.rate_hz).toBe(119);
    const recs = csvRecordings(analyzeCsv(dir, opts), opts);
    expect(recs.map((r) => [r.subject, r.segments[0]!.label])).toEqual([
      ['p1', 'flex'],
      ['p1', 'punch'],
      ['p1', 'punch'],
      ['p1', 'punch'],
      ['p2', 'punch'],
      ['p2', 'punch'],
    ]);
    expect(recs.map((r) => Math.round(r.data[0]!))).toEqual([4, 1, 2, 3, 5, 6]);
  });

  it('(c) the preview says which windows an import would cut and names a recording cut short', () => {
    const dir = tmp();
    const block = (n: number) => rows(n, (i) => `${i},1,2`);
    write(dir, 'flex.csv', 'aX,aY,aZ\n' + [block(20), block(20), block(20)].join('\n\n') + '\n');
    // the last punch recording stops after 7 of its 20 rows
    write(dir, 'punch.csv', 'aX,aY,aZ\n' + [block(20), block(20), block(7)].join('\n\n') + '\n');
    const p = previewCsv(dir, defaults);
    expect(p.recording_lengths).toEqual({ min: 7, max: 20 });
    expect([p.window_length, p.stride]).toEqual([20, 20]);
    expect(p.windowless_recordings).toEqual(['punch.csv#3 (7 samples)']);
    // all of one length: one window each, nothing left out
    write(dir, 'punch.csv', 'aX,aY,aZ\n' + [block(20), block(20)].join('\n\n') + '\n');
    expect(previewCsv(dir, defaults)).toMatchObject({
      window_length: 20,
      stride: 20,
      windowless_recordings: [],
    });
  });

  it('(c) a block that is not a multiple of --recording-length names the file and line', () => {
    const dir = tmp();
    const f = write(dir, 'punch.csv', 'a,b\n' + rows(7, () => '1,2'));
    const opts = { ...defaults, recordingLength: 3 };
    expect(errorOf(() => csvRecordings(analyzeCsv(f, opts), opts)).message).toBe(
      `${f}:2: the block of rows starting here has 7 rows, not a multiple of --recording-length 3 (it ends at line 8)`,
    );
  });

  it('non-numeric and NaN/Inf fields in a data row name file, line and column', () => {
    const dir = tmp();
    const f = write(dir, 'x.csv', 'aX,aY\n1,2\n3,oops\n');
    expect(errorOf(() => csvRecordings(analyzeCsv(f, defaults), defaults)).message).toBe(
      `${f}:3: column "aY": "oops" is not a number`,
    );
    const g = write(dir, 'y.csv', 'aX,aY\n1,2\n3,nan\n');
    expect(errorOf(() => csvRecordings(analyzeCsv(g, defaults), defaults)).message).toMatch(
      new RegExp(`^${g}:3: column "aY": "nan" is not a finite number`),
    );
    const h = write(dir, 'z.csv', 'aX,aY\n1,2\nInf,1\n');
    expect(errorOf(() => csvRecordings(analyzeCsv(h, defaults), defaults)).message).toMatch(
      /z\.csv:3: column "aX": "Inf" is not a finite number/,
    );
  });

  it('bytes that are not UTF-8 are refused naming file, line and column, not turned into "�" labels', () => {
    const dir = tmp();
    // Latin-1: "été" and "ètè" would both decode to "�t�", one class instead of two.
    const latin1 = Buffer.concat([
      Buffer.from('ax,label\n1,'),
      Buffer.from([0xe9, 0x74, 0xe9]),
      Buffer.from('\n2,'),
      Buffer.from([0xe8, 0x74, 0xe8]),
      Buffer.from('\n'),
    ]);
    const f = write(dir, 'latin1.csv', latin1);
    expect(errorOf(() => analyzeCsv(f, defaults)).message).toBe(
      `${f}:2: not UTF-8 text: byte 0xE9 at column 3 (a Latin-1 or Windows-1252 file?). Save it as UTF-8 and import again.`,
    );
    // CR-only line ends count as lines too; a real U+FFFD in UTF-8 is kept.
    const g = write(
      dir,
      'cr.csv',
      Buffer.concat([Buffer.from('ax,label\r1,a\r2,b'), Buffer.from([0xff]), Buffer.from('\r')]),
    );
    expect(errorOf(() => analyzeCsv(g, defaults)).message).toMatch(
      /cr\.csv:3: not UTF-8 text: byte 0xFF at column 4/,
    );
    const h = write(dir, 'ok.csv', 'ax,label\n1,\ufffd\n2,b\n');
    expect(csvRecordings(analyzeCsv(h, defaults), defaults)[0]!.segments.map((s) => s.label)).toEqual([
      '\ufffd',
      'b',
    ]);
  });

  it('a folder of links to the data files imports them, a link loop is walked once, a dangling link is named', () => {
    const data = tmp();
    write(data, 'wave_1.csv', 'x\n1\n2\n');
    write(data, 'idle_1.csv', 'x\n3\n4\n');
    const dir = tmp();
    symlinkSync(path.join(data, 'wave_1.csv'), path.join(dir, 'wave_1.csv'));
    mkdirSync(path.join(dir, 'more'));
    symlinkSync(path.join(data, 'idle_1.csv'), path.join(dir, 'more', 'idle_1.csv'));
    symlinkSync(dir, path.join(dir, 'more', 'up')); // a loop back to the root
    const a = analyzeCsv(dir, { labelFrom: 'file' });
    expect(a.tables.map((t) => path.relative(dir, t.file))).toEqual(['more/idle_1.csv', 'wave_1.csv']);
    expect(csvRecordings(a, { labelFrom: 'file' }).map((r) => r.segments[0]!.label)).toEqual([
      'idle',
      'wave',
    ]);
    symlinkSync(path.join(data, 'gone.csv'), path.join(dir, 'gone.csv'));
    expect(errorOf(() => analyzeCsv(dir, defaults)).message).toBe(
      `${path.join(dir, 'gone.csv')}: a link to a file that does not exist.`,
    );
  });

  it("a folder copied from a Mac: the '._' metadata files and hidden folders are not read as recordings", () => {
    const dir = tmp();
    write(dir, 'wave_1.csv', 'x\n1\n2\n');
    // AppleDouble: a binary header, then bytes that are not text
    write(dir, '._wave_1.csv', Buffer.from([0, 5, 22, 7, 0, 2, 0, 0, 0x4d, 0x61, 0x63, 0xff, 0xfe, 0x80]));
    write(dir, '.git/x.csv', 'q\nnot,a,table\n');
    const a = analyzeCsv(dir, defaults);
    expect(a.tables.map((t) => path.basename(t.file))).toEqual(['wave_1.csv']);
    expect(csvRecordings(a, defaults).map((r) => r.segments[0]!.label)).toEqual(['wave']);
  });

  it('two columns of one name are refused, not stored as two channels nobody can tell apart', () => {
    const dir = tmp();
    const f = write(
      dir,
      'dup.csv',
      'ax,AX,ay,label\n' + rows(4, (i) => `${i},${-i},${2 * i},${i < 2 ? 'a' : 'b'}`),
    );
    expect(errorOf(() => analyzeCsv(f, defaults)).message).toBe(
      `${f}: columns 0 and 1 (counting from 0) are both named "ax": rename one in the header, or pick one of them with --channels (by index)`,
    );
    expect(errorOf(() => analyzeCsv(f, { ...defaults, channels: ['ax', 'ay'] })).message).toBe(
      `${f}: --channels "ax" names 2 columns (0, 1, counting from 0): give the column's index instead, or rename the header`,
    );
    // picking one of them by index works
    const [rec] = csvRecordings(analyzeCsv(f, { ...defaults, channels: ['1', 'ay'] }), defaults);
    expect(rec!.channels.map((c) => c.name)).toEqual(['AX', 'ay']);
  });

  it('a file too large for one string is refused naming it and the limit, plain or gzip', () => {
    const dir = tmp();
    const big = path.join(dir, 'big.csv');
    writeFileSync(big, '');
    truncateSync(big, MAX_TEXT_BYTES + 2 ** 20); // sparse: nothing is written to disk
    expect(errorOf(() => readText(big)).message).toMatch(
      /big\.csv: too large to read as one text file \(\d+ MiB; the limit is \d+ MiB\)\. Split it into several files/,
    );
    // gzip members decompress one after the other: 1 MiB of text each, past the limit in all
    const member = gzipSync(Buffer.alloc(2 ** 20, 0x31));
    const n = Math.ceil(MAX_TEXT_BYTES / 2 ** 20) + 1;
    const gz = write(dir, 'big.csv.gz', Buffer.concat(Array.from({ length: n }, () => member)));
    expect(errorOf(() => readText(gz)).message).toMatch(
      /big\.csv\.gz: too large to read as one text file once uncompressed \(the limit is \d+ MiB\)/,
    );
  }, 60_000);

  it('UTF-16 text with a byte-order mark (spreadsheet "Unicode text") reads like UTF-8', () => {
    const dir = tmp();
    const text = 'ax\tay\tlabel\r\n1\t2\tété\r\n3\t4\tété\r\n5\t6\tnaïve\r\n';
    const le = write(dir, 'le.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const be = write(
      dir,
      'be.txt',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]),
    );
    for (const f of [le, be]) {
      expect(readText(f)).toBe(text);
      const [rec] = csvRecordings(analyzeCsv(f, defaults), defaults);
      expect(rec!.channels.map((c) => c.name)).toEqual(['ax', 'ay']);
      expect(rec!.segments).toEqual([
        { start: 0, end: 2, label: 'été' },
        { start: 2, end: 3, label: 'naïve' },
      ]);
    }
    const cut = write(
      dir,
      'cut.txt',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le').subarray(0, 9)]),
    );
    expect(errorOf(() => readText(cut)).message).toMatch(/cut\.txt: UTF-16 text .* odd number of bytes/);
  });

  it('a missing value in the first row is the same error as anywhere else, not a channel dropped with a note', () => {
    const dir = tmp();
    for (const [name, gap, expected] of [
      ['empty.csv', '', 'empty field where a number was expected'],
      ['nan.csv', 'NaN', '"NaN" is not a finite number (NaN/Inf are not accepted)'],
      ['na.csv', 'n/a', '"n/a" is not a number'],
    ] as const) {
      const f = write(dir, name, `ax,ay,az\n1,${gap},3\n1,2,3\n4,5,6\n`);
      expect(errorOf(() => csvRecordings(analyzeCsv(f, defaults), defaults)).message).toBe(
        `${f}:2: column "ay": ${expected}`,
      );
    }
    // a column with no number at all is still text, skipped with a note
    const g = write(dir, 'notes.csv', 'ax,note,az\n1,ok,3\n1,,3\n');
    const a = analyzeCsv(g, defaults);
    expect(a.channelColumns).toEqual([0, 2]);
    expect(a.notes).toContain('skipped non-numeric column(s): note');
  });

  it('files with different columns, an empty folder and a missing path are clear errors', () => {
    const dir = tmp();
    write(dir, 'a.csv', 'x,y\n1,2\n');
    write(dir, 'b.csv', 'x,y,z\n1,2,3\n');
    expect(errorOf(() => analyzeCsv(dir, defaults)).message).toMatch(
      /b\.csv: columns \[x, y, z\] differ from a\.csv's \[x, y\]/,
    );
    const empty = tmp();
    expect(errorOf(() => analyzeCsv(empty, defaults)).message).toMatch(/no \.csv, \.tsv or \.txt files/);
    expect(errorOf(() => analyzeCsv(path.join(empty, 'nope.csv'), defaults)).message).toMatch(
      /no such file or folder/,
    );
    const e = write(empty, 'empty.csv', '');
    expect(errorOf(() => analyzeCsv(e, defaults)).message).toBe(`${e}: empty file (no data rows)`);
  });

  const gesturesMissing = sharedDatasetMissing('gesture-to-emoji');
  if (gesturesMissing) console.warn(`[skipped] real gesture CSV layout: ${gesturesMissing}`);
  it.skipIf(!!gesturesMissing)(
    'the real gesture-to-emoji layout previews as 2 classes, 41 recordings of 119 samples',
    () => {
      const root = sharedDataset('gesture-to-emoji');
      const p = previewCsv(root, { ...defaults, recordingLength: 119 });
      expect(p.columns).toEqual(['aX', 'aY', 'aZ', 'gX', 'gY', 'gZ']);
      expect(p.header).toBe(true);
      expect(p.delimiter).toBe(',');
      expect(p.labels).toEqual({ flex: 21, punch: 20 });
      expect(p.recordings).toBe(41);
      expect(p.recording_lengths).toEqual({ min: 119, max: 119 });
      expect(p.rate_source).toBe('unknown');
    },
  );
});
