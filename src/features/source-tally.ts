import { DistinctSketch } from './distinct-sketch.js';

/** Sources tracked one by one per target window; beyond this they are only counted (sketch). */
export const MAX_TRACKED_SOURCES = 1024;

/** Which sources a target has served before (`SourceHistory`). */
export interface ServedHistory {
  /** Records that `target` served `source` at `at`; true when it never had before. */
  observe(target: string, source: string, at: number): boolean;
}

const FAILED = 1;
const SUCCEEDED = 2;
const NEW = 4;

/** The per-target, cross-principal features of one window. */
export interface SourceFeatures {
  /** Distinct sources refused at least once with 401/403 (exact while tracked, else estimated). */
  readonly distinctFailingSources: number;
  /** Tracked sources every one of whose requests in the window was refused with 401/403. */
  readonly refusedSources: number;
  /** Sources the target had never served before (after its learning period). */
  readonly newSources: number;
  /** Tracked new sources that were refused at least once. */
  readonly newFailingSources: number;
}

/**
 * What the sources (principals) of one target did over one window, across all of them: how many
 * were refused, how many were refused every time, how many were new. One source at a low rate
 * says nothing; twenty at the same time, each refused on every try, is credential stuffing spread
 * over many addresses. Memory is bounded: at most `MAX_TRACKED_SOURCES` entries plus a 1 KiB sketch
 * that takes over the count of failing sources once the tracked ones overflow.
 */
export class SourceTally {
  /** Source key -> FAILED | SUCCEEDED | NEW bits. The keys are the principals' (shared) keys. */
  private readonly sources = new Map<string, number>();
  /** Created when `sources` overflows, seeded with the failing sources tracked until then. */
  private failing: DistinctSketch | undefined;
  private newSources = 0;

  /**
   * Counts one request of `source` to the target `targetKey` at `at`. `refused`: answered 401/403;
   * `history` is asked once per source tracked (and once per request beyond the tracked ones,
   * where it answers true only once).
   */
  add(source: string, refused: boolean, history: ServedHistory, targetKey: string, at: number): void {
    const flags = this.sources.get(source);
    if (flags !== undefined) {
      this.sources.set(source, flags | (refused ? FAILED : SUCCEEDED));
      return;
    }
    const fresh = history.observe(targetKey, source, at);
    if (fresh) this.newSources++;
    if (this.sources.size < MAX_TRACKED_SOURCES) {
      this.sources.set(source, (refused ? FAILED : SUCCEEDED) | (fresh ? NEW : 0));
      return;
    }
    if (this.failing === undefined) {
      this.failing = new DistinctSketch();
      for (const [key, bits] of this.sources) if ((bits & FAILED) !== 0) this.failing.add(key);
    }
    if (refused) this.failing.add(source);
  }

  features(): SourceFeatures {
    let failing = 0;
    let refused = 0;
    let newFailing = 0;
    for (const bits of this.sources.values()) {
      if ((bits & FAILED) === 0) continue;
      failing++;
      if ((bits & SUCCEEDED) === 0) refused++;
      if ((bits & NEW) !== 0) newFailing++;
    }
    // The sketch holds every failing source once it exists; never report fewer than were tracked.
    const distinctFailingSources = this.failing === undefined ? failing : Math.max(failing, this.failing.estimate());
    return { distinctFailingSources, refusedSources: refused, newSources: this.newSources, newFailingSources: newFailing };
  }
}
