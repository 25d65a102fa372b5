import { inputError, isNumeric, splitLines } from './text-input';

/**
 * One delimited text file as rows of string fields, grouped into blocks separated by blank lines,
 * with the delimiter and the header line detected. No numbers are parsed here (csv-import.ts
 * decides which columns are numeric), but every row's field count is checked against the header.
 */

export interface CsvRow {
  /** 1-based line number in the file, for error messages. */
  line: number;
  fields: string[];
}

export interface CsvTable {
  file: string;
  delimiter: string;
  header: boolean;
  columns: string[];
  /** Runs of consecutive non-blank data lines. */
  blocks: CsvRow[][];
}

const CANDIDATES = [',', '\t', ';', '|', ' '] as const;

/** Splits one line; supports "quoted, fields" with "" as an escaped quote. Whitespace delimiter = runs of spaces/tabs. */
export function splitFields(line: string, delimiter: string, file: string, lineNo: number): string[] {
  if (delimiter === ' ') return line.trim().split(/[ \t]+/);
  if (!line.includes('"')) return line.split(delimiter).map((f) => f.trim());
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inQuotes) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') inQuotes = false;
      else cur += ch;
    } else if (ch === '"' && cur.trim() === '') {
      inQuotes = true;
      cur = '';
    } else if (ch === delimiter) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (inQuotes) throw inputError(file, lineNo, 'malformed line: a quoted field is not closed');
  out.push(cur.trim());
  return out;
}

function countFields(line: string, d: string): number {
  if (d === ' ') return line.trim().split(/[ \t]+/).length;
  let n = 1;
  let q = false;
  for (const ch of line) {
    if (ch === '"') q = !q;
    else if (ch === d && !q) n++;
  }
  return n;
}

/** The delimiter that splits the sample lines into the same number (> 1) of fields; ',' for one column. */
export function detectDelimiter(sample: readonly string[]): string {
  let best: { d: string; agree: number } | undefined;
  for (const d of CANDIDATES) {
    const counts = sample.map((l) => countFields(l, d));
    const first = counts[0] ?? 1;
    if (first < 2) continue;
    const agree = counts.filter((c) => c === first).length;
    if (agree === counts.length) return d;
    if (!best || agree > best.agree) best = { d, agree };
  }
  return best && best.agree > sample.length / 2 ? best.d : ',';
}

/** How files write a missing value: never a column name, so never what makes a line a header. */
const MISSING = /^(|nan|na|n\/a|null|none|-|\?|[+-]?inf(inity)?)$/i;

/**
 * A header line is one with a name (a non-numeric field that is not a missing value) where the
 * next line has a number. A first data row with a gap (`1,,3`, `1,NaN,3`) is data, whose gap is
 * then an error naming line 1, not a header that silently takes the row away.
 */
export function looksLikeHeader(first: readonly string[], second: readonly string[] | undefined): boolean {
  const name = (f: string) => !isNumeric(f) && !MISSING.test(f.trim());
  if (!second) return first.some(name);
  return first.some((f, i) => name(f) && second[i] !== undefined && isNumeric(second[i]!));
}

export function parseCsvTable(file: string, text: string): CsvTable {
  const lines = splitLines(text);
  const nonBlank: Array<{ line: number; text: string }> = [];
  lines.forEach((t, i) => {
    if (t.trim() !== '') nonBlank.push({ line: i + 1, text: t });
  });
  if (nonBlank.length === 0) throw inputError(file, null, 'empty file (no data rows)');
  const delimiter = detectDelimiter(nonBlank.slice(0, 50).map((l) => l.text));
  const first = splitFields(nonBlank[0]!.text, delimiter, file, nonBlank[0]!.line);
  const second = nonBlank[1] ? splitFields(nonBlank[1].text, delimiter, file, nonBlank[1].line) : undefined;
  const header = looksLikeHeader(first, second);
  const columns = header ? first.map((c, i) => c || `col${i}`) : first.map((_, i) => `col${i}`);
  const startLine = header ? nonBlank[0]!.line : 0;
  const blocks: CsvRow[][] = [];
  let cur: CsvRow[] = [];
  lines.forEach((t, i) => {
    const lineNo = i + 1;
    if (lineNo <= startLine) return;
    if (t.trim() === '') {
      if (cur.length) blocks.push(cur);
      cur = [];
      return;
    }
    const fields = splitFields(t, delimiter, file, lineNo);
    if (fields.length !== columns.length) {
      throw inputError(
        file,
        lineNo,
        `expected ${columns.length} fields (${header ? 'as in the header' : 'as in the first line'}), found ${fields.length}`,
      );
    }
    cur.push({ line: lineNo, fields });
  });
  if (cur.length) blocks.push(cur);
  if (blocks.length === 0) throw inputError(file, null, 'empty file: a header but no data rows');
  return { file, delimiter, header, columns, blocks };
}
