import { hash32 } from './distinct-sketch.js';
import { RecencyMap } from './recency-map.js';

/** Bounds of the source history and its learning period. */
export interface SourceHistoryOptions {
  /** Sources remembered per target; the least recently seen is forgotten first. */
  readonly maxSourcesPerTarget: number;
  /** Targets remembered; the least recently seen is forgotten first (and learns again if it returns). */
  readonly maxTargets: number;
  /** Sources a target sees within this long of its first appearance are learned, not counted new (ms). */
  readonly learningMs: number;
}

export const DEFAULT_SOURCE_HISTORY_OPTIONS: SourceHistoryOptions = {
  maxSourcesPerTarget: 1024,
  maxTargets: 256,
  learningMs: 6 * 3_600_000,
};

interface TargetSources {
  readonly firstSeen: number;
  /** 32-bit hashes of the sources' keys: a number costs less than the key and cannot grow. */
  readonly known: RecencyMap<number, true>;
}

/**
 * Which sources (principals) each target has served before, to count the ones it never saw: the
 * churn of fresh addresses that credential stuffing spread over many hosts brings. Bounded twice
 * (sources per target, targets), so a flood of distinct addresses costs a fixed amount of memory;
 * what it costs is recall: a source pushed out by the flood counts as new when it returns.
 */
export class SourceHistory {
  private readonly targets = new RecencyMap<string, TargetSources>();

  constructor(private readonly options: SourceHistoryOptions = DEFAULT_SOURCE_HISTORY_OPTIONS) {}

  /** Number of targets remembered. */
  get size(): number {
    return this.targets.size;
  }

  /** Sources remembered for a target (0 if unknown). */
  knownSources(target: string): number {
    return this.targets.get(target)?.known.size ?? 0;
  }

  /**
   * Records that `target` served `source` at event time `at`; true when the source is new to the
   * target and the target is past its learning period (a target first seen, or seen again after
   * being forgotten, would otherwise report every one of its regular sources as new).
   */
  observe(target: string, source: string, at: number): boolean {
    let sources = this.targets.get(target);
    if (sources === undefined) {
      sources = { firstSeen: at, known: new RecencyMap() };
      this.targets.set(target, sources);
      if (this.targets.size > this.options.maxTargets) this.targets.shift();
    } else {
      this.targets.touch(target);
    }
    const h = hash32(source);
    if (sources.known.touch(h)) return false;
    sources.known.set(h, true);
    if (sources.known.size > this.options.maxSourcesPerTarget) sources.known.shift();
    return at - sources.firstSeen >= this.options.learningMs;
  }
}
