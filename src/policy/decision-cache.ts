import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import type { PolicyDecision } from './opa-client.js';

/** Bounds of the decision cache. */
export interface DecisionCacheOptions {
  /** Most decisions kept; the least recently used goes first. 0 turns the cache off. */
  readonly maxEntries: number;
  /** A decision is reused for at most this long. */
  readonly ttlMs: number;
}

/**
 * Policy decisions keyed by the SHA-256 of the canonical JSON of the whole input, so a decision is
 * reused only for an input identical in every field (the time included), never for a "similar"
 * one. Bounded in entries and age; only decisions the policy gave are kept, never failures.
 */
export class DecisionCache {
  private readonly entries = new Map<string, { readonly decision: PolicyDecision; readonly expires: number }>();

  constructor(private readonly options: DecisionCacheOptions, private readonly clock: Clock) {}

  /** The cache key of an input: the SHA-256 of its canonical JSON. */
  static key(canonical: string): string {
    return createHash('sha256').update(canonical).digest('hex');
  }

  get(key: string): PolicyDecision | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.clock.now()) return undefined;
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
    this.entries.set(key, entry);
    return entry.decision;
  }

  set(key: string, decision: PolicyDecision): void {
    if (this.options.maxEntries <= 0 || this.options.ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { decision, expires: this.clock.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
