import { appendFile } from 'node:fs/promises';
import type { StoredDeadLetter } from '../parse/records.js';

/** Dead-letter bytes held in memory before the caller should flush: a few MiB, whatever the input. */
export const DEFAULT_DEAD_LETTER_FLUSH_BYTES = 4 * 1024 * 1024;

/**
 * The embedded mode's dead-letter destination: one JSON line per rejected record with the reason,
 * its origin, the beginning of the original text, its length and hash, appended to a file in the
 * state directory. Buffering is bounded by bytes: `full` tells the caller to flush.
 */
export class DeadLetterFile {
  private pending: string[] = [];
  private pendingChars = 0;
  private count = 0;
  private readonly byCode = new Map<string, number>();

  constructor(
    private readonly path: string,
    private readonly now: () => number,
    private readonly flushBytes = DEFAULT_DEAD_LETTER_FLUSH_BYTES,
  ) {}

  add(letter: StoredDeadLetter): void {
    this.count++;
    this.byCode.set(letter.code, (this.byCode.get(letter.code) ?? 0) + 1);
    const line = JSON.stringify({
      at: new Date(this.now()).toISOString(),
      code: letter.code,
      reason: letter.reason,
      source: letter.origin.source,
      position: letter.origin.position,
      ...(letter.recordIndex !== undefined ? { recordIndex: letter.recordIndex } : {}),
      ...(letter.raw !== undefined ? { raw: letter.raw } : {}),
      rawBytes: letter.rawBytes,
      rawSha256: letter.rawSha256,
      ...(letter.rawTruncated ? { rawTruncated: true } : {}),
    });
    this.pending.push(line);
    this.pendingChars += line.length;
  }

  /** The buffer has passed its size: flush before reading on. */
  get full(): boolean {
    return this.pendingChars >= this.flushBytes;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.pendingChars = 0;
    await appendFile(this.path, chunk);
  }

  get total(): number {
    return this.count;
  }

  /** Dead letters by reason code. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.byCode].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
