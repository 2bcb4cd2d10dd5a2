import { appendFile } from 'node:fs/promises';
import type { DeadLetter } from '../parse/records.js';

/**
 * The embedded mode's dead-letter destination: one JSON line per rejected record with the reason,
 * its origin and the original text, appended to a file in the state directory.
 */
export class DeadLetterFile {
  private pending: string[] = [];
  private count = 0;
  private readonly byCode = new Map<string, number>();

  constructor(private readonly path: string, private readonly now: () => number) {}

  add(letter: DeadLetter): void {
    this.count++;
    this.byCode.set(letter.code, (this.byCode.get(letter.code) ?? 0) + 1);
    this.pending.push(JSON.stringify({
      at: new Date(this.now()).toISOString(),
      code: letter.code,
      reason: letter.reason,
      source: letter.origin.source,
      position: letter.origin.position,
      raw: letter.raw,
    }));
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = `${this.pending.join('\n')}\n`;
    this.pending = [];
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
