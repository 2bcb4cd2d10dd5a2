import { z } from 'zod';

/** Parameters of a {@link RecurrenceHoldoff}. */
export const recurrenceSchema = z
  .object({
    /** Stretches the day is cut into (48: half an hour each). */
    buckets: z.number().int().min(1).max(1440).default(48),
    /** Neighbouring stretches on each side that also count as "the same time" (jitter of the hour). */
    reach: z.number().int().min(0).max(12).default(1),
    /** Half-life of a remembered alarm, in days. */
    halfLife: z.number().positive().max(3650).default(7),
    /** Factor applied to the surprise of an alarm that does not exceed the ones remembered at that time. */
    damping: z.number().min(0).max(1).default(0.5),
  })
  .strict();

/** Parameters of a {@link RecurrenceHoldoff}, defaults applied. */
export type RecurrenceConfig = z.infer<typeof recurrenceSchema>;

/** Serialisable state of a {@link RecurrenceHoldoff}: per stretch of the day, the peak and when it was set. */
export const recurrenceStateSchema = z
  .object({
    peaks: z.array(z.number().min(0)),
    times: z.array(z.number()),
  })
  .strict();

/** Serialisable state of a {@link RecurrenceHoldoff}. */
export type RecurrenceState = z.infer<typeof recurrenceStateSchema>;

const DAY_MS = 86_400_000;

/**
 * Damps alarms that recur at the same time of day: a backup, a batch job or a report that spikes
 * every night at three is routine after the first few nights, however extreme each spike is for a
 * level model. For every stretch of the day the holdoff remembers the strongest surprise seen there
 * (fading with `halfLife` days); a surprise that does not exceed what was remembered at the same
 * time (within `reach` stretches either side, for a job whose start drifts) is multiplied by
 * `damping`. A first event, or one stronger than the routine, keeps its full surprise.
 *
 * Time comes from the observations' timestamps (UTC): a timestamp that is not finite leaves the
 * surprise untouched and is not remembered, and one earlier than a remembered peak does not make
 * that peak grow. Memory: `2 * buckets` numbers.
 */
export class RecurrenceHoldoff {
  private readonly decayPerMs: number;
  private readonly peaks: number[];
  private readonly times: number[];

  constructor(
    private readonly config: RecurrenceConfig,
    state?: RecurrenceState,
  ) {
    this.decayPerMs = Math.LN2 / (config.halfLife * DAY_MS);
    this.peaks = state ? [...state.peaks] : Array.from({ length: config.buckets }, () => 0);
    this.times = state ? [...state.times] : Array.from({ length: config.buckets }, () => 0);
  }

  /** Whether `state` fits these parameters (one peak and one time per stretch, all finite). */
  static fits(config: RecurrenceConfig, state: RecurrenceState): boolean {
    return (
      state.peaks.length === config.buckets &&
      state.times.length === config.buckets &&
      state.peaks.every(Number.isFinite) &&
      state.times.every(Number.isFinite)
    );
  }

  /** The surprise of an observation at `timestampMs`, damped when it recurs; then remembered. */
  apply(surprise: number, timestampMs: number): number {
    if (!Number.isFinite(timestampMs) || !Number.isFinite(surprise)) return surprise;
    const { buckets, reach, damping } = this.config;
    const dayPosition = ((timestampMs % DAY_MS) + DAY_MS) % DAY_MS;
    const bucket = Math.min(Math.floor((dayPosition / DAY_MS) * buckets), buckets - 1);
    let remembered = 0;
    for (let d = -reach; d <= reach; d++) {
      const b = (((bucket + d) % buckets) + buckets) % buckets;
      remembered = Math.max(remembered, this.faded(b, timestampMs));
    }
    const own = this.faded(bucket, timestampMs);
    if (surprise > own) {
      this.peaks[bucket] = surprise;
      this.times[bucket] = timestampMs;
    }
    // Only the excess over the routine counts in full, and never less than the damped surprise: a
    // spike a little higher than last night's is still last night's spike.
    return Math.max(surprise - remembered, surprise * damping);
  }

  private faded(bucket: number, timestampMs: number): number {
    const peak = this.peaks[bucket] ?? 0;
    const elapsed = Math.max(timestampMs - (this.times[bucket] ?? 0), 0);
    return peak * Math.exp(-this.decayPerMs * elapsed);
  }

  /** Serialisable state. */
  snapshot(): RecurrenceState {
    return { peaks: [...this.peaks], times: [...this.times] };
  }
}
