import { z } from 'zod';

/** Serialisable state of one {@link FuzzyArtMemory} category: a box in feature space. */
export const artCategorySchema = z
  .object({
    low: z.array(z.number()),
    high: z.array(z.number()),
    count: z.number().int().min(1),
    used: z.number().int().min(0),
  })
  .strict();

/** Serialisable state of a {@link FuzzyArtMemory}. */
export const fuzzyArtStateSchema = z
  .object({
    step: z.number().int().min(0),
    vigilance: z.number().min(0).max(1),
    categories: z.array(artCategorySchema),
  })
  .strict();

/** Serialisable state of a {@link FuzzyArtMemory}. */
export type FuzzyArtState = z.infer<typeof fuzzyArtStateSchema>;

/** Parameters of a {@link FuzzyArtMemory}. */
export interface FuzzyArtOptions {
  /** Weight of each feature in the box sizes and distances (its length is the feature count). */
  readonly weights: readonly number[];
  /** Most categories remembered; the one resonating least recently is replaced first. */
  readonly capacity: number;
  /** Starting vigilance in (0, 1): how small a category's box must stay. */
  readonly vigilance: number;
  /** Lowest vigilance the memory may adapt down to. */
  readonly minVigilance: number;
  /** Vigilance given up each time a full memory has to forget a category. */
  readonly vigilanceStep: number;
  /** Fraction of the way a resonating box grows towards the input (1: at once, fuzzy ART's fast learning). */
  readonly learningRate: number;
}

/** What one presentation of an input found. */
export interface ArtPresentation {
  /**
   * Weighted distance from the input to the nearest category's box (0 inside one), as a fraction
   * of the box size vigilance allows; 0 for the very first input.
   */
  readonly novelty: number;
  /** True when no category resonated and the input started a category of its own. */
  readonly created: boolean;
}

interface Category {
  low: number[];
  high: number[];
  count: number;
  used: number;
}

/**
 * An adaptive-resonance (fuzzy ART, Carpenter, Grossberg and Rosen 1991) category memory, written
 * with boxes: fuzzy ART with complement coding learns hyper-rectangles, and its match and choice
 * functions are their sizes. An input in [0, 1]^d resonates with a category when the box grown to
 * include it stays within the size vigilance allows (`size <= (1 - vigilance) * total weight`);
 * among those, the one needing the least growth is chosen and learns (grows towards the input).
 * When none resonates, the input founds a new category: that is novelty. The novelty reported is
 * continuous: the growth the nearest box would need, so a near miss scores less than a far one.
 *
 * Memory is bounded by `capacity`; when it is full, the category resonating least recently is
 * forgotten and vigilance drops by `vigilanceStep` (down to `minVigilance`), so a series that keeps
 * overflowing the memory is described with coarser categories rather than churning through them.
 * Time per input: O(capacity * features).
 */
export class FuzzyArtMemory {
  private readonly totalWeight: number;
  private step: number;
  private vigilanceNow: number;
  private readonly categories: Category[];

  constructor(
    private readonly options: FuzzyArtOptions,
    state?: FuzzyArtState,
  ) {
    this.totalWeight = options.weights.reduce((a, b) => a + b, 0);
    this.step = state?.step ?? 0;
    this.vigilanceNow = state?.vigilance ?? options.vigilance;
    this.categories = state?.categories.map((c) => ({ ...c, low: [...c.low], high: [...c.high] })) ?? [];
  }

  /**
   * Whether `state` fits these options: no more categories than the capacity, boxes of the right
   * dimension with `low <= high` inside [0, 1], no category used in the future, vigilance within
   * its bounds. Restored state that fails this is refused rather than trusted.
   */
  static fits(options: FuzzyArtOptions, state: FuzzyArtState): boolean {
    const d = options.weights.length;
    return (
      state.categories.length <= options.capacity &&
      state.vigilance >= options.minVigilance - 1e-12 &&
      state.vigilance <= Math.max(options.vigilance, options.minVigilance) + 1e-12 &&
      state.categories.every(
        (c) =>
          c.low.length === d &&
          c.high.length === d &&
          c.used <= state.step &&
          c.low.every((l, k) => l >= 0 && l <= (c.high[k] ?? -1) && (c.high[k] ?? 2) <= 1),
      )
    );
  }

  /** The current vigilance. */
  get vigilance(): number {
    return this.vigilanceNow;
  }

  /** Categories remembered. */
  get size(): number {
    return this.categories.length;
  }

  /** Presents one input (every feature in [0, 1]), learns from it and says how novel it was. */
  present(input: readonly number[]): ArtPresentation {
    this.step += 1;
    const budget = Math.max((1 - this.vigilanceNow) * this.totalWeight, 1e-12);
    let nearest = Number.POSITIVE_INFINITY;
    let chosen: Category | undefined;
    let chosenGrowth = Number.POSITIVE_INFINITY;
    for (const c of this.categories) {
      let size = 0;
      let growth = 0;
      // A box that needs at least as much growth as the chosen one can be neither chosen nor the
      // nearest (the chosen box's growth is never below the nearest), so it is abandoned early.
      for (let k = 0; k < input.length && growth < chosenGrowth; k++) {
        const w = this.options.weights[k] ?? 0;
        const x = input[k] ?? 0;
        const lo = c.low[k] ?? 0;
        const hi = c.high[k] ?? 0;
        size += w * (hi - lo);
        growth += w * (x < lo ? lo - x : x > hi ? x - hi : 0);
      }
      nearest = Math.min(nearest, growth);
      // Resonance: the box grown to include the input is still within the vigilance budget. The
      // choice among resonating boxes is the least growth (ties: the smaller box, found first).
      if (size + growth <= budget && growth < chosenGrowth) {
        chosen = c;
        chosenGrowth = growth;
      }
    }
    const novelty = this.categories.length === 0 ? 0 : nearest / budget;
    if (chosen !== undefined) {
      this.learn(chosen, input);
      return { novelty, created: false };
    }
    this.found(input);
    return { novelty, created: true };
  }

  private learn(c: Category, input: readonly number[]): void {
    const rate = this.options.learningRate;
    for (let k = 0; k < input.length; k++) {
      const x = input[k] ?? 0;
      const lo = c.low[k] ?? 0;
      const hi = c.high[k] ?? 0;
      if (x < lo) c.low[k] = lo - rate * (lo - x);
      else if (x > hi) c.high[k] = hi + rate * (x - hi);
    }
    c.count += 1;
    c.used = this.step;
  }

  private found(input: readonly number[]): void {
    const category: Category = { low: [...input], high: [...input], count: 1, used: this.step };
    if (this.categories.length < this.options.capacity) {
      this.categories.push(category);
      return;
    }
    let oldest = 0;
    this.categories.forEach((c, i) => {
      if (c.used < (this.categories[oldest]?.used ?? 0)) oldest = i;
    });
    this.categories[oldest] = category;
    this.vigilanceNow = Math.max(this.options.minVigilance, this.vigilanceNow - this.options.vigilanceStep);
  }

  /** Serialisable state. */
  snapshot(): FuzzyArtState {
    return {
      step: this.step,
      vigilance: this.vigilanceNow,
      categories: this.categories.map((c) => ({ low: [...c.low], high: [...c.high], count: c.count, used: c.used })),
    };
  }
}
