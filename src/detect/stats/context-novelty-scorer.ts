import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { LevelQuantiser, levelQuantiserStateSchema } from './level-quantiser.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { ScorerSnapshotError } from './scorer-snapshot-error.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of the `context-novelty` algorithm. */
export const contextNoveltySchema = z
  .object({
    type: z.literal('context-novelty'),
    /** Observations absorbed before scoring starts; scores are 0 until then. */
    warmup: z.number().int().min(1).default(150),
    /** Number of discrete levels the series' range is cut into. */
    levels: z.number().int().min(2).max(32).default(8),
    /** Longest context, in preceding observations; every order from 1 to this one is scored. */
    maxOrder: z.number().int().min(1).max(6).default(3),
    /** Half-life of the remembered counts, in observations: old habits fade. */
    halfLife: z.number().positive().default(5000),
    /** Half-life over which the level range relaxes towards the running mean, in observations. */
    rangeHalfLife: z.number().positive().default(20000),
    /**
     * Most contexts and transitions remembered; the least recently seen is forgotten first. This
     * bounds the memory of a scorer whatever the series does.
     */
    capacity: z.number().int().min(16).max(65_536).default(4096),
    /** Mean surprise, in units of `log2(levels)` bits, at which the score reaches 0.5. */
    boundary: z.number().positive().default(2),
  })
  .strict();

/** Parameters of the `context-novelty` algorithm, defaults applied. */
export type ContextNoveltyConfig = z.infer<typeof contextNoveltySchema>;

const ALGORITHM = 'context-novelty';
const VERSION = 1;
// One remembered count: [key, count as of step `at`, at].
const entrySchema = z.tuple([z.number().int().min(0), z.number().min(0), z.number().int().min(0)]);
const stateSchema = z
  .object({
    step: z.number().int().min(0),
    quantiser: levelQuantiserStateSchema,
    history: z.array(z.number().int().min(0)),
    entries: z.array(entrySchema),
  })
  .strict();

// Krichevsky-Trofimov pseudo-count: a context seen n times predicts an unseen level with
// probability 0.5 / (n + 0.5 * levels).
const PSEUDO_COUNT = 0.5;

/**
 * Novelty of the sequence, not of the value: what Numenta's HTM and the contextual anomaly detector
 * (CAD OSE) look for on NAB, done as a variable-order Markov model over quantised levels.
 *
 * Each observation is cut into one of `levels` levels of the range seen so far. For every order k
 * from 1 to `maxOrder`, the k preceding levels form a context; the scorer remembers how often each
 * context was seen and how often each level followed it (counts fade with `halfLife`), and measures
 * the information of the level that did follow, `-log2 p`, with the Krichevsky-Trofimov estimate
 * `p = (n(context, level) + 0.5) / (n(context) + 0.5 * levels)`. The surprise is the mean of those
 * over the orders, in units of `log2(levels)` (1 = no better than guessing). A level the series has
 * never reached after a familiar context is very surprising; a familiar rhythm is not, however
 * large its swings; a noisy series is judged against its own noise, since its contexts predict
 * poorly and every order carries little information.
 *
 * Memory: at most `capacity` remembered counts (least recently used forgotten first) and
 * `maxOrder` levels of history. Time: `2 * maxOrder` map look-ups per observation.
 */
export class ContextNoveltyScorer implements StreamScorer {
  private readonly quantiser: LevelQuantiser;
  private readonly decay: number;
  private readonly bits: number;
  private step: number;
  private history: number[];
  // Insertion order is recency order: a hit moves the entry to the end, eviction takes the first.
  private readonly counts = new Map<number, { count: number; at: number }>();

  constructor(
    private readonly config: ContextNoveltyConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    if (state !== undefined) {
      if (state.history.length > config.maxOrder || state.history.some((l) => l >= config.levels)) {
        throw new ScorerSnapshotError(`"${ALGORITHM}" snapshot history does not fit ${config.levels} levels of order ${config.maxOrder}`);
      }
      if (state.entries.length > config.capacity || state.entries.some(([, , at]) => at > state.step)) {
        throw new ScorerSnapshotError(`"${ALGORITHM}" snapshot holds more than ${config.capacity} counts or counts from the future`);
      }
    }
    this.quantiser = new LevelQuantiser(config.levels, config.rangeHalfLife, state?.quantiser);
    this.decay = Math.pow(2, -1 / config.halfLife);
    this.bits = Math.log2(config.levels);
    this.step = state?.step ?? 0;
    this.history = state?.history ?? [];
    for (const [key, count, at] of state?.entries ?? []) this.counts.set(key, { count, at });
  }

  update(value: number): ScoreResult {
    const ready = this.quantiser.samples >= this.config.warmup;
    const expected = this.quantiser.mean;
    const spread = this.quantiser.width;
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready };
    const level = this.quantiser.level(value);
    let information = 0;
    let orders = 0;
    for (let order = 1; order <= Math.min(this.config.maxOrder, this.history.length); order++) {
      const context = this.contextKey(order);
      const seen = this.recall(context);
      const transition = this.transitionKey(context, level);
      const followed = this.recall(transition);
      const p = (followed + PSEUDO_COUNT) / (seen + PSEUDO_COUNT * this.config.levels);
      information += -Math.log2(p);
      orders += 1;
      this.remember(context);
      this.remember(transition);
    }
    this.history.push(level);
    if (this.history.length > this.config.maxOrder) this.history.shift();
    this.quantiser.absorb(value);
    this.step += 1;
    const surprise = orders === 0 ? 0 : information / orders / this.bits;
    return { score: ready ? surpriseToScore(surprise, this.config.boundary) : 0, expected, spread, ready };
  }

  /**
   * A unique even integer for the context made of the `order` latest levels: the leading 1 marks
   * the order, so contexts of different orders never collide, and `levels <= 32`, `maxOrder <= 6`
   * keep every key below 2^38, exact in a double.
   */
  private contextKey(order: number): number {
    let key = 1;
    for (let i = this.history.length - order; i < this.history.length; i++) {
      key = key * this.config.levels + (this.history[i] ?? 0);
    }
    return key * 2;
  }

  /** A unique odd integer for "`level` followed `context`". */
  private transitionKey(context: number, level: number): number {
    return ((context / 2) * this.config.levels + level) * 2 + 1;
  }

  private recall(key: number): number {
    const entry = this.counts.get(key);
    return entry === undefined ? 0 : entry.count * Math.pow(this.decay, this.step - entry.at);
  }

  private remember(key: number): void {
    const count = this.recall(key) + 1;
    this.counts.delete(key);
    this.counts.set(key, { count, at: this.step });
    if (this.counts.size > this.config.capacity) {
      const oldest = this.counts.keys().next();
      if (oldest.done !== true) this.counts.delete(oldest.value);
    }
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: {
        step: this.step,
        quantiser: this.quantiser.snapshot(),
        history: [...this.history],
        entries: [...this.counts].map(([key, { count, at }]) => [key, count, at]),
      },
    };
  }
}
