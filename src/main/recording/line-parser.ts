// The "data forwarder" text format: boards that run any firmware print one sample per line,
// numbers separated by commas, spaces or tabs, with an optional header line naming the columns.
// The parser never throws on a bad line: it reports it (with its line number) so the recording
// keeps going and the user sees exactly which line was dropped and why.

/** Longest line accepted; a longer one is almost surely a binary stream read as text. */
export const MAX_LINE_CHARS = 4096;

export type ParsedLine =
  | { kind: 'empty'; lineNo: number }
  | { kind: 'header'; lineNo: number; names: string[] }
  | { kind: 'sample'; lineNo: number; values: number[] }
  | { kind: 'bad'; lineNo: number; message: string };

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_.\-/()[\]]*$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

export function splitFields(line: string): string[] {
  const t = line.trim();
  if (t === '') return [];
  return t.split(/\s*[,;]\s*|\s+/);
}

/** Parses one field; returns a message instead of a number when it is not a finite decimal. */
export function parseField(field: string): number | string {
  if (field === '') return 'empty field';
  if (NON_FINITE.test(field)) return `"${field}" is not a finite number`;
  if (!NUMBER.test(field)) return `"${field.length > 24 ? field.slice(0, 24) + '…' : field}" is not a number`;
  const v = Number(field);
  // Samples are stored as float32: a value beyond its range would become ±Infinity there.
  return Number.isFinite(Math.fround(v)) ? v : `"${field}" is out of range for a 32-bit float sample`;
}

/**
 * Stateful: the first non-empty line fixes the column count (a header line names the columns;
 * a data line gets default names). Later lines with another count are reported, not guessed at.
 */
export class ForwarderLineParser {
  private lineNo = 0;
  private columns: string[] | undefined;
  private sawData = false;

  /** Column names, once known (after the header or the first data line). */
  get channelNames(): string[] | undefined {
    return this.columns;
  }

  get linesSeen(): number {
    return this.lineNo;
  }

  constructor(private readonly defaultNames: (n: number) => string[] = defaultChannelNames) {}

  parse(raw: string): ParsedLine {
    const lineNo = ++this.lineNo;
    if (raw.length > MAX_LINE_CHARS) {
      return {
        kind: 'bad',
        lineNo,
        message: `line is ${raw.length} characters long (limit ${MAX_LINE_CHARS}); is this a binary stream?`,
      };
    }
    const fields = splitFields(raw);
    if (fields.length === 0) return { kind: 'empty', lineNo };
    const parsed = fields.map(parseField);
    const firstBad = parsed.findIndex((p) => typeof p === 'string');
    if (firstBad < 0) {
      const values = parsed as number[];
      if (!this.columns) this.columns = this.defaultNames(values.length);
      if (values.length !== this.columns.length) {
        return { kind: 'bad', lineNo, message: `${values.length} fields, expected ${this.columns.length}` };
      }
      this.sawData = true;
      return { kind: 'sample', lineNo, values };
    }
    if (!this.sawData && !this.columns && fields.every((f) => NAME.test(f))) {
      if (new Set(fields).size !== fields.length) {
        return { kind: 'bad', lineNo, message: `header repeats a column name (${fields.join(', ')})` };
      }
      this.columns = fields;
      return { kind: 'header', lineNo, names: fields };
    }
    return { kind: 'bad', lineNo, message: `field ${firstBad + 1}: ${parsed[firstBad] as string}` };
  }
}

/** Without a header: 3 or 6 columns are taken as an IMU (acc, then gyro), anything else as ch0…chN-1. */
export function defaultChannelNames(n: number): string[] {
  const imu = ['acc_x', 'acc_y', 'acc_z', 'gyro_x', 'gyro_y', 'gyro_z'];
  if (n === 3 || n === 6) return imu.slice(0, n);
  return Array.from({ length: n }, (_, i) => `ch${i}`);
}

/**
 * Splits a byte stream into lines on \n, \r\n or \r. Keeps the unfinished tail; a tail longer than
 * MAX_LINE_CHARS is emitted as-is so the parser reports it instead of buffering without bound.
 */
export class LineSplitter {
  private tail = '';
  private skipLf = false;

  push(chunk: string): string[] {
    const out: string[] = [];
    let start = 0;
    let s = this.tail + chunk;
    this.tail = '';
    if (this.skipLf && s.startsWith('\n')) s = s.slice(1);
    this.skipLf = false;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 10 || c === 13) {
        out.push(s.slice(start, i));
        if (c === 13) {
          if (i + 1 < s.length) {
            if (s.charCodeAt(i + 1) === 10) i++;
          } else {
            this.skipLf = true;
          }
        }
        start = i + 1;
      }
    }
    this.tail = s.slice(start);
    if (this.tail.length > MAX_LINE_CHARS) {
      out.push(this.tail);
      this.tail = '';
    }
    return out;
  }

  /** The last line when the stream ends without a newline. */
  flush(): string[] {
    const t = this.tail;
    this.tail = '';
    return t === '' ? [] : [t];
  }
}
