import { constants } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { BitbenchError } from '../../shared/errors';

/** Reading text data files (plain or .gz) and numbers in them, with errors that name file and line. */

export function inputError(file: string, line: number | null, message: string): BitbenchError {
  return new BitbenchError(
    'bad_request',
    line === null ? `${file}: ${message}` : `${file}:${line}: ${message}`,
    {
      file,
      line,
    },
  );
}

/** The longest text one file can be read as (a JavaScript string's limit, about 512 MiB). */
export const MAX_TEXT_BYTES = Math.min(constants.MAX_STRING_LENGTH, 2 ** 31 - 1);

function tooLarge(file: string, size: number | null, how: string): BitbenchError {
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  return inputError(
    file,
    null,
    `too large to read as one text file${how} (${size !== null ? mib(size) + '; ' : ''}the limit is ${mib(MAX_TEXT_BYTES)}). ` +
      'Split it into several files in one folder and import the folder.',
  );
}

/** The file as text; gzip is recognised by its magic bytes, not the name. A UTF-8 BOM is dropped. */
export function readText(file: string): string {
  let buf: Buffer;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw inputError(file, null, 'not a file');
    if (st.size > MAX_TEXT_BYTES) throw tooLarge(file, st.size, '');
    buf = readFileSync(file);
  } catch (err) {
    if (err instanceof BitbenchError) throw err;
    throw inputError(file, null, `cannot read (${(err as Error).message})`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf, { maxOutputLength: MAX_TEXT_BYTES });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw tooLarge(file, null, ' once uncompressed');
      throw inputError(file, null, `corrupt gzip data (${(err as Error).message})`);
    }
  }
  return decodeText(file, buf);
}

/**
 * Bytes as text: UTF-8 (a BOM is dropped), or UTF-16 when it starts with a UTF-16 BOM (what
 * spreadsheets write as "Unicode text"). Bytes that are not UTF-8 are an error naming the line, not
 * U+FFFD: a Latin-1 "é" would otherwise become "�", and two labels differing only there would
 * silently become one class.
 */
export function decodeText(file: string, buf: Buffer): string {
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
    if (buf.length % 2 !== 0)
      throw inputError(
        file,
        null,
        'UTF-16 text (by its byte-order mark) with an odd number of bytes: the file is cut short',
      );
    const le = buf[0] === 0xff ? Buffer.from(buf) : Buffer.from(buf).swap16();
    return le.toString('utf16le').slice(1);
  }
  const text = buf.toString('utf8');
  if (text.includes('\ufffd')) {
    // Re-encoding gives the same bytes only when every byte was valid UTF-8 (or an actual U+FFFD).
    const again = Buffer.from(text, 'utf8');
    let i = 0;
    while (i < buf.length && i < again.length && buf[i] === again[i]) i++;
    if (i < buf.length) {
      let line = 1;
      let lineStart = 0;
      // Lines as splitLines counts them: \n, \r\n or a lone \r.
      for (let k = 0; k < i; k++)
        if (buf[k] === 0x0a || (buf[k] === 0x0d && buf[k + 1] !== 0x0a)) {
          line++;
          lineStart = k + 1;
        }
      const col = Buffer.from(buf.subarray(lineStart, i)).toString('utf8').length + 1;
      throw inputError(
        file,
        line,
        `not UTF-8 text: byte 0x${buf[i]!.toString(16).toUpperCase().padStart(2, '0')} at column ${col} ` +
          '(a Latin-1 or Windows-1252 file?). Save it as UTF-8 and import again.',
      );
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Lines without their terminators (\n, \r\n or \r). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const FLOAT32_MAX = 3.4028234663852886e38;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/**
 * A field as a finite number, or an error naming the file, the line and the column. Strict: "1,5",
 * "12abc", "" are errors (parseFloat would quietly take a prefix), and so are NaN and ±Inf.
 */
export function parseNumber(field: string, file: string, line: number, column: string): number {
  const t = field.trim();
  if (NUMBER.test(t)) {
    const v = Number(t);
    if (Math.abs(v) <= FLOAT32_MAX) return v;
    throw inputError(file, line, `column ${column}: "${t}" is out of range for a 32-bit float`);
  }
  if (NOT_FINITE.test(t))
    throw inputError(
      file,
      line,
      `column ${column}: "${t}" is not a finite number (NaN/Inf are not accepted)`,
    );
  if (t === '') throw inputError(file, line, `column ${column}: empty field where a number was expected`);
  throw inputError(
    file,
    line,
    `column ${column}: "${t.length > 40 ? t.slice(0, 40) + '…' : t}" is not a number`,
  );
}

export function isNumeric(field: string): boolean {
  return NUMBER.test(field.trim());
}

/** Lets the event loop run (progress events, cancel) between units of synchronous work. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
