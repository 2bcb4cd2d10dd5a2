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
 * Bounded: at most {@link MAX_BLOCKS} blocks, {@link MAX_BLOCK_CHARS} characters each and
 * {@link MAX_CACHED_CHARS} in all; when full it starts over. A block is held from its second
 * sighting, and a cache that reuses few blocks (a flood of distinct ones, or more containers taking
 * turns in the stream than it holds) rests for a while, parsing lines whole: it costs a few percent
 * of CPU at worst, never memory.
 */
import { randomBytes } from 'node:crypto';
import { fnv1a } from '../shared/fnv1a.js';
import type { Rejection } from './access-log-context.js';
import { decodeJsonObject, isJsonObject, type Decoded } from './parse-payload.js';

const MEMBER = '"kubernetes":{';
/** Blocks remembered at most. */
export const MAX_BLOCKS = 2_048;
/** Longest block remembered, in characters. */
export const MAX_BLOCK_CHARS = 8_192;
/** Characters of all the blocks remembered, at most. */
export const MAX_CACHED_CHARS = 2 * 1024 * 1024;
/** Characters of a block that pick its candidates (the first name the pod or container), hashed. */
const PROBE_CHARS = 64;
/** Blocks that share their first characters (one pod's metadata before and after a label change). */
const MAX_PER_PROBE = 4;
/** Envelopes over which the cache checks that it pays. */
const PERIOD = 4_096;
/** It pays when at least this many of a period's envelopes reuse a block. */
const MIN_HITS = PERIOD / 8;
/** Periods it rests (parses lines whole, looks nothing up) after one in which it did not pay. */
const REST_PERIODS = 8;

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

/** FNV-1a of the first {@link PROBE_CHARS} characters from `start`: a number, so no key holds on to a line. */
function probeOf(text: string, start: number): number {
  return fnv1a(text, start, Math.min(text.length, start + PROBE_CHARS));
}

export class KubernetesBlocks {
  private readonly byProbe = new Map<number, Block[]>();
  /**
   * Probes of blocks seen once and not held: a block is remembered when it comes again before this
   * fills up, so a stream with more containers than the cache holds, each coming round rarely, does
   * not pay for remembering blocks it would drop before they come again.
   */
  private readonly seen = new Set<number>();
  private size = 0;
  private chars = 0;
  /** Envelopes looked up and blocks reused in this period; envelopes still to parse whole while resting. */
  private looked = 0;
  private hits = 0;
  private resting = 0;
  private readonly nonce = `kubernetes-block-${randomBytes(16).toString('hex')}`;
  private readonly placeholder = JSON.stringify(this.nonce);

  /** Blocks held now. */
  get blocks(): number {
    return this.size;
  }

  /** `JSON.parse` of a message that starts with `{`, reusing the parse of a block seen before. */
  decode(text: string, what: string): Decoded | Rejection {
    if (this.resting > 0) {
      this.resting--;
      return decodeJsonObject(text, what);
    }
    const at = text.indexOf(MEMBER);
    if (at < 0) return decodeJsonObject(text, what);
    this.pays();
    const start = at + MEMBER.length - 1;
    const probe = probeOf(text, start);
    const candidates = this.byProbe.get(probe);
    const block = candidates?.find((b) => text.slice(start, start + b.text.length) === b.text);
    if (block !== undefined) {
      this.hits++;
      const reused = this.withBlock(text.slice(0, start) + this.placeholder + text.slice(start + block.text.length), block.value);
      return reused ?? decodeJsonObject(text, what);
    }
    const decoded = decodeJsonObject(text, what);
    if ('object' in decoded) this.remember(text, start, probe, decoded.object.kubernetes);
    return decoded;
  }

  /**
   * Ends a period: one in which few envelopes reused a block (more containers take turns than the
   * cache holds) is followed by a rest, in which lines are parsed whole without the lookup's cost.
   */
  private pays(): void {
    if (++this.looked < PERIOD) return;
    if (this.hits < MIN_HITS) this.resting = REST_PERIODS * PERIOD;
    this.looked = 0;
    this.hits = 0;
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

  /**
   * Remembers the block at `start` when it is the text of the line's `kubernetes` object. The text
   * at `start` is then `JSON.stringify` of that object, whose parse gives the object back: the
   * object (frozen, to be shared by every line that repeats it) is the block's parse.
   */
  private remember(text: string, start: number, probe: number, member: unknown): void {
    if (!isJsonObject(member)) return;
    if (!this.seen.delete(probe)) {
      if (this.seen.size >= MAX_BLOCKS) this.seen.clear();
      this.seen.add(probe);
      return;
    }
    const candidate = JSON.stringify(member);
    if (candidate.length > MAX_BLOCK_CHARS || text.slice(start, start + candidate.length) !== candidate) return;
    if (this.size >= MAX_BLOCKS || this.chars + candidate.length > MAX_CACHED_CHARS) {
      this.byProbe.clear();
      this.size = 0;
      this.chars = 0;
    }
    const known = this.byProbe.get(probe) ?? [];
    const dropped = known.length >= MAX_PER_PROBE ? known.shift() : undefined;
    if (dropped === undefined) this.size++;
    else this.chars -= dropped.text.length;
    this.chars += candidate.length;
    known.push({ text: candidate, value: deepFreeze(member) });
    this.byProbe.set(probe, known);
  }
}
