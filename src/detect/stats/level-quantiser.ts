import { z } from 'zod';
import { halfLifeToAlpha } from './robust-baseline.js';

/** Serialisable state of a {@link LevelQuantiser}. */
export const levelQuantiserStateSchema = z
  .object({ count: z.number().int().min(0), mean: z.number(), low: z.number(), high: z.number() })
  .strict();

/** Serialisable state of a {@link LevelQuantiser}. */
export type LevelQuantiserState = z.infer<typeof levelQuantiserStateSchema>;

/**
 * Maps a series onto `levels` discrete levels spread evenly over the range it has shown so far,
 * so symbolic detectors work on any unit and any magnitude without being told the series' bounds
 * (the file's minimum and maximum, which a stream cannot know in advance).
 *
 * The range is the running minimum and maximum; both relax towards the running mean with
 * `halfLife`, so one wild value does not squash every later observation into a single level for
 * ever. O(1) time and memory.
 */
export class LevelQuantiser {
  private readonly alpha: number;
  private state: LevelQuantiserState;

  constructor(
    private readonly levels: number,
    halfLife: number,
    state?: LevelQuantiserState,
  ) {
    this.alpha = halfLifeToAlpha(halfLife);
    this.state = state ?? { count: 0, mean: 0, low: 0, high: 0 };
  }

  /** Observations absorbed so far. */
  get samples(): number {
    return this.state.count;
  }

  /** The running mean (for evidence). */
  get mean(): number {
    return this.state.mean;
  }

  /** The low end of the remembered range. */
  get low(): number {
    return this.state.low;
  }

  /** The width of the remembered range. */
  get width(): number {
    return this.state.high - this.state.low;
  }

  /** The level of `value` in the current range, in `[0, levels - 1]` (values outside clamp to the ends). */
  level(value: number): number {
    const { low, high } = this.state;
    const width = high - low;
    if (!(width > 0) || !Number.isFinite(width)) return value > high ? this.levels - 1 : 0;
    const position = Math.floor((this.levels * (value - low)) / width);
    if (!(position > 0)) return 0;
    return Math.min(position, this.levels - 1);
  }

  /** Takes `value` into the range (a value whose arithmetic would overflow is not learnt). */
  absorb(value: number): void {
    const s = this.state;
    if (s.count === 0) {
      // + 0 turns -0 into 0, which is all a JSON snapshot can carry.
      this.state = { count: 1, mean: value + 0, low: value + 0, high: value + 0 };
      return;
    }
    const mean = s.mean + Math.max(this.alpha, 1 / (s.count + 1)) * (value - s.mean);
    const high = Math.max(value, mean + (s.high - mean) * (1 - this.alpha));
    const low = Math.min(value, mean - (mean - s.low) * (1 - this.alpha));
    if (!Number.isFinite(mean) || !Number.isFinite(high - low)) return;
    this.state = { count: s.count + 1, mean, low, high };
  }

  /** Serialisable state. */
  snapshot(): LevelQuantiserState {
    return { ...this.state };
  }
}
