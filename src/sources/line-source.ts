import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

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
  const stream = openInput(input);
  stream.setEncoding('utf8');
  let carry = '';
  let carryLength = 0;
  let truncated = false;
  let position = 0;
  const max = options.maxLineLength;
  for await (const chunk of stream as AsyncIterable<string>) {
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

function openInput(input: string): Readable {
  const raw: Readable = input === '-' ? process.stdin : createReadStream(input, { highWaterMark: 1 << 20 });
  return input.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
}
