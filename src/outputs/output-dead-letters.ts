import { appendFile, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../shared/clock.js';

/** One undeliverable item as the dead-letter file keeps it. */
export interface OutputDeadLetter {
  /** The output that gave up: `webhook`. */
  readonly output: string;
  /** Why: the last attempt's error (sanitised), or that the engine stopped. */
  readonly reason: string;
  /** The body that was to be sent, as it would have been sent. */
  readonly body: string;
}

/**
 * Deliveries an output gave up on, one JSON line each with the time, the reason and the body,
 * appended to a file in the state directory (like the input dead letters of the embedded mode).
 * Bounded on disk: once the file holds `maxBytes`, further letters are refused (the caller counts
 * and logs them) rather than filling the volume.
 */
export class OutputDeadLetters {
  private size: number | undefined;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly clock: Clock,
  ) {}

  /** Appends the letters; throws when the file is full or cannot be written. */
  async add(letters: readonly OutputDeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const at = new Date(this.clock.now()).toISOString();
    const chunk = letters.map((l) => `${JSON.stringify({ at, output: l.output, reason: l.reason, body: l.body })}\n`).join('');
    const size = this.size ?? (await currentSize(this.path));
    const bytes = Buffer.byteLength(chunk);
    if (size + bytes > this.maxBytes) {
      this.size = size;
      throw new Error(`the dead-letter file ${this.path} is full (${size} of ${this.maxBytes} bytes); move it aside to keep more`);
    }
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, chunk, { mode: 0o600 });
    this.size = size + bytes;
  }
}

async function currentSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
