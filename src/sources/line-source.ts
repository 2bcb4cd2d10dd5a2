import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from './input-error.js';

/** One input message from a file or stdin. */
export interface SourceLine {
  readonly text: string;
  /** 1-based line number. */
  readonly position: number;
  /** The line was longer than the source keeps; `text` holds its beginning only. */
  readonly truncated: boolean;
  /** Length of the full line in bytes (UTF-16 units for text read from the stream). */
  readonly length: number;
}

export interface LineSourceOptions {
  /** Longest line kept whole; the rest of a longer line is dropped and the line flagged. */
  readonly maxLineLength: number;
}

/**
 * Reads NDJSON / log lines from a file (`.gz` decompressed) or stdin (`-`). Splits on `\n` itself
 * (much faster than readline), strips `\r`, skips empty lines, and never holds more than one
 * over-long line's prefix in memory.
 */
export async function* readLines(input: string, options: LineSourceOptions): AsyncGenerator<SourceLine> {
  const { raw, stream } = openInput(input);
  let bytesRead = 0;
  raw.on('data', (chunk: Buffer | string) => { bytesRead += chunk.length; });
  stream.setEncoding('utf8');
  let carry = '';
  let carryLength = 0;
  let truncated = false;
  let position = 0;
  const max = options.maxLineLength;
  const chunks = readChunks(stream, input, () => bytesRead, () => position);
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      position++;
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      let text: string;
      let length: number;
      if (carryLength > 0 || truncated) {
        length = carryLength + piece.length;
        text = truncated ? carry : (carry + piece).slice(0, max + 1);
        truncated ||= length > max;
      } else {
        length = piece.length;
        text = piece;
        truncated = length > max;
        if (truncated) text = piece.slice(0, max + 1);
      }
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (length > 0 && text !== '') yield { text, position, truncated, length };
      carry = '';
      carryLength = 0;
      truncated = false;
    }
    const rest = chunk.slice(start);
    carryLength += rest.length;
    if (!truncated) {
      carry += rest;
      if (carry.length > max) {
        carry = carry.slice(0, max + 1);
        truncated = true;
      }
    }
  }
  if (carryLength > 0) {
    position++;
    const text = carry.endsWith('\r') ? carry.slice(0, -1) : carry;
    if (text !== '') yield { text, position, truncated, length: carryLength };
  }
}

/**
 * The decoded chunks; any failure (corrupt or truncated gzip, a read error) becomes an
 * `InputError` saying where reading stopped. A gzip file cut short ends without a zlib error, so
 * its end is checked too.
 */
async function* readChunks(stream: Readable, input: string, bytesRead: () => number, lines: () => number): AsyncGenerator<string> {
  try {
    for await (const chunk of stream as AsyncIterable<string>) yield chunk;
  } catch (error) {
    throw new InputError(input === '-' ? 'stdin' : input, bytesRead(), lines(), describeReadError(error), error);
  }
}

function describeReadError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'Z_DATA_ERROR':
      return `not valid gzip data (${e.message})`;
    case 'Z_BUF_ERROR':
      return 'gzip data ends early (truncated file)';
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
      return 'permission denied';
    default:
      return `read failed (${e.code ?? 'error'}: ${e.message})`;
  }
}

function openInput(input: string): { raw: Readable; stream: Readable } {
  const raw: Readable = input === '-' ? process.stdin : createReadStream(input, { highWaterMark: 1 << 20 });
  if (!input.endsWith('.gz')) return { raw, stream: raw };
  const gunzip = createGunzip();
  // pipe() does not forward the source's errors: a read error must still end the decoded stream.
  raw.on('error', (error) => gunzip.destroy(error));
  return { raw, stream: raw.pipe(gunzip) };
}
