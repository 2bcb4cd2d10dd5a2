import { createHash } from 'node:crypto';
import type { DeadLetter, StoredDeadLetter } from './records.js';

/** How much of a rejected message a dead letter keeps by default: enough to see what it was. */
export const DEFAULT_DEAD_LETTER_PREFIX_BYTES = 4096;

/**
 * Turns dead letters into their bounded stored form, one message at a time.
 *
 * Without it a 1 MB batch of 6,600 late records made 6,600 copies of the whole batch: the text a
 * letter keeps is now a prefix of at most `prefixBytes`, copied out of the message so the message
 * itself can be collected, and only the first letter of a message carries it; the others of the
 * same text name it by hash. Call {@link nextMessage} before each message.
 */
export class DeadLetterCompactor {
  private current: { readonly text: string; readonly bytes: number; readonly sha256: string } | undefined;
  private carried = false;

  constructor(private readonly prefixBytes = DEFAULT_DEAD_LETTER_PREFIX_BYTES) {}

  /** Forgets the previous message: its text may now be carried again. */
  nextMessage(): void {
    this.current = undefined;
    this.carried = false;
  }

  /** The stored form of `letter`. */
  compact(letter: DeadLetter): StoredDeadLetter {
    const { raw, ...rest } = letter;
    let seen = this.current;
    // Identity first: every late record of a batch shares the batch's string.
    if (seen?.text !== raw) {
      seen = { text: raw, bytes: Buffer.byteLength(raw, 'utf8'), sha256: createHash('sha256').update(raw, 'utf8').digest('hex') };
      this.current = seen;
      this.carried = false;
    }
    const stored = { ...rest, rawBytes: seen.bytes, rawSha256: seen.sha256, rawTruncated: seen.bytes > this.prefixBytes };
    if (this.carried) return stored;
    this.carried = true;
    return { ...stored, raw: prefixOf(raw, seen.bytes, this.prefixBytes) };
  }
}

/** At most `max` UTF-8 bytes of `text`, as a fresh string (a slice would keep the whole text alive). */
function prefixOf(text: string, bytes: number, max: number): string {
  const head = Buffer.from(bytes <= max ? text : text.slice(0, max), 'utf8');
  const cut = head.subarray(0, max).toString('utf8');
  // A multi-byte character cut in half decodes as U+FFFD: drop it.
  return bytes > max && cut.endsWith('\uFFFD') ? cut.slice(0, -1) : cut;
}
