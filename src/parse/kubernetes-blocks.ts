/**
 * A log shipper repeats one container's Kubernetes metadata on every line the container writes:
 * Fluent Bit's and Vector's `"kubernetes":{...}` member, more than half of the bytes of an
 * envelope. `KubernetesBlocks` decodes an envelope whose block it has seen before without parsing
 * that block again: the line is parsed with a placeholder where the block stands, and the
 * placeholder is replaced with the earlier parse of the same text.
 *
 * The result is always what `JSON.parse` makes of the whole line, or the cache is not used:
 * - a block is remembered only as the exact text of one JSON object (`{` to `}`, read whole by
 *   `JSON.parse`), and reused only where the line holds exactly that text;
 * - the placeholder is a string holding this cache's random nonce, and the line is taken only when
 *   the parsed object's own `kubernetes` member is that string: the placeholder then stood as the
 *   value of the top-level member, and no later duplicate of the key replaced it (a client cannot
 *   write the nonce, it never leaves this object). Anything else (the placeholder inside a nested
 *   object, a key that merely ends in `kubernetes`, a line that is not valid JSON) is parsed whole.
 *
 * Bounded: at most {@link MAX_BLOCKS} blocks of at most {@link MAX_BLOCK_CHARS} characters; when full
 * it starts over, so a flood of distinct blocks costs a re-parse per line, never memory.
 */
import { randomBytes } from 'node:crypto';
import type { Rejection } from './access-log-context.js';
import { decodeJsonObject, isJsonObject, type Decoded } from './parse-payload.js';

const MEMBER = '"kubernetes":{';
/** Blocks remembered at most. */
export const MAX_BLOCKS = 1_024;
/** Longest block remembered, in characters. */
export const MAX_BLOCK_CHARS = 16_384;
/** Characters of a block that pick its candidates (the first names the pod or container). */
const PROBE_CHARS = 64;
/** Blocks that share their first characters (one pod's metadata before and after a label change). */
const MAX_PER_PROBE = 4;

interface Block {
  readonly text: string;
  readonly value: Readonly<Record<string, unknown>>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

export class KubernetesBlocks {
  private readonly byProbe = new Map<string, Block[]>();
  private size = 0;
  private readonly nonce = `kubernetes-block-${randomBytes(16).toString('hex')}`;
  private readonly placeholder = JSON.stringify(this.nonce);

  /** Blocks held now. */
  get blocks(): number {
    return this.size;
  }

  /** `JSON.parse` of a message that starts with `{`, reusing the parse of a block seen before. */
  decode(text: string, what: string): Decoded | Rejection {
    const at = text.indexOf(MEMBER);
    if (at < 0) return decodeJsonObject(text, what);
    const start = at + MEMBER.length - 1;
    const probe = text.slice(start, start + PROBE_CHARS);
    const candidates = this.byProbe.get(probe);
    const block = candidates?.find((b) => text.slice(start, start + b.text.length) === b.text);
    if (block !== undefined) {
      const reused = this.withBlock(text.slice(0, start) + this.placeholder + text.slice(start + block.text.length), block.value);
      return reused ?? decodeJsonObject(text, what);
    }
    const decoded = decodeJsonObject(text, what);
    if ('object' in decoded) this.remember(text, start, probe, decoded.object.kubernetes);
    return decoded;
  }

  /** The line parsed with the placeholder, the block put back; undefined when the placeholder was not the member's value. */
  private withBlock(text: string, value: Readonly<Record<string, unknown>>): Decoded | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!isJsonObject(parsed) || !Object.hasOwn(parsed, 'kubernetes') || parsed.kubernetes !== this.nonce) return undefined;
    parsed.kubernetes = value;
    return { object: parsed };
  }

  /** Remembers the block at `start` when it is the text of the line's `kubernetes` object. */
  private remember(text: string, start: number, probe: string, member: unknown): void {
    if (!isJsonObject(member)) return;
    const candidate = JSON.stringify(member);
    if (candidate.length > MAX_BLOCK_CHARS || text.slice(start, start + candidate.length) !== candidate) return;
    // Its own parse, not the line's object: the block is shared by every line that repeats it.
    const value = JSON.parse(candidate) as Record<string, unknown>;
    if (this.size >= MAX_BLOCKS) {
      this.byProbe.clear();
      this.size = 0;
    }
    const known = this.byProbe.get(probe) ?? [];
    if (known.length >= MAX_PER_PROBE) known.shift();
    else this.size++;
    known.push({ text: candidate, value: deepFreeze(value) });
    this.byProbe.set(probe, known);
  }
}
