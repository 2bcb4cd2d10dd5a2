import { z } from 'zod';
import type { Clock } from '../shared/clock.js';
import { RecencyMap } from './recency-map.js';

/** Tuning of {@link EventTimeGuard}. */
export interface EventTimeOptions {
  /** With `wallClock`: how far ahead of the engine's clock a record may be (ms). */
  readonly maxFutureSkewMs: number;
  /**
   * How far ahead of its source's watermark a record may be before it is dead-lettered as
   * `future` unless later records confirm the jump (ms). Longer than the clock skew: a quiet source
   * (drift metrics every few minutes, a night without traffic) has honest gaps.
   */
  readonly maxSourceLeadMs: number;
  /**
   * Records that must agree before a source's watermark moves to them: the watermark is the
   * `confirmations`-th newest admitted timestamp, and a jump beyond the skew needs this many records
   * within the skew of each other. One outlier (up to `confirmations - 1`) moves nothing.
   */
  readonly confirmations: number;
  /**
   * Also bound records by the engine's clock. On in the service, where event time follows the wall
   * clock; off in replays, where the input is history (or a recording dated anywhere) and only the
   * stream's own time is meaningful.
   */
  readonly wallClock: boolean;
  /**
   * A source that delivered nothing while this many records of other sources arrived is idle and
   * holds nothing back. Idleness is by arrival, not by event time: a source that raced ahead must
   * not make the honest ones look idle.
   */
  readonly idleAfterRecords: number;
  /** Upper bound on sources tracked; the one seen longest ago goes first. */
  readonly maxSources: number;
}

/** Defaults of a replay: bound by the stream only. The service turns `wallClock` on. */
export const DEFAULT_EVENT_TIME_OPTIONS: EventTimeOptions = {
  maxFutureSkewMs: 5 * 60_000,
  maxSourceLeadMs: 60 * 60_000,
  confirmations: 3,
  wallClock: false,
  idleAfterRecords: 10_000,
  maxSources: 10_000,
};

/** What a guard saves: only confirmed watermarks, never a candidate jump or an outlier. */
export interface EventTimeSnapshot {
  readonly version: 1;
  /** Source -> its confirmed watermark (epoch ms). */
  readonly sources: Readonly<Record<string, number>>;
}

/** What a saved snapshot must look like to be restored; anything else starts every source again. */
const snapshotSchema = z.strictObject({ version: z.literal(1), sources: z.record(z.string(), z.number()) });

/** What the guard decided about one record's timestamp. */
export type EventTimeVerdict = 'admitted' | 'future-of-clock' | 'future-of-stream';

interface SourceTime {
  /** The newest admitted timestamps, newest first, at most `confirmations` of them. */
  readonly top: number[];
  /** Timestamps beyond the lead seen since the last confirmed jump, oldest first (bounded). */
  ahead: number[];
  /** Arrival number of the source's last record. */
  lastArrival: number;
}

/**
 * Event time that one hostile record cannot poison.
 *
 * Each source (a file, a Kafka partition) keeps its own watermark: the `confirmations`-th newest
 * timestamp it admitted, so a single far-future record admitted while a source starts moves nothing.
 * Once a source has a watermark, a record more than `maxSourceLeadMs` ahead of it is not admitted
 * (it is dead-lettered as `future`); it only counts as evidence of a jump. When `confirmations` such
 * records fall within the lead of one another, the stream really moved (a gap in the logs, a
 * restarted shipper) and the watermark jumps to them: a genuine gap longer than the lead costs at
 * most `confirmations - 1` dead letters, and an attacker must forge several agreeing records in the
 * same source to move it, by at most about the lead each time. With `wallClock` (the service),
 * nothing more than `maxFutureSkewMs` ahead of the engine's clock is ever admitted. The engine's
 * event time is the slowest watermark among the sources that are not idle, so a source that raced
 * ahead cannot make the others' records late.
 */
export class EventTimeGuard {
  private readonly sources = new RecencyMap<string, SourceTime>();
  private arrivals = 0;
  /** With many sources the slowest one is looked for every few hundred records, not at each. */
  private readonly cached: { at: number; mark: number | undefined; valid: boolean } = { at: 0, mark: undefined, valid: false };

  constructor(private readonly options: EventTimeOptions, private readonly clock: Clock, saved?: unknown) {
    const parsed = snapshotSchema.safeParse(saved);
    if (!parsed.success) return;
    const bound = options.wallClock ? clock.now() + options.maxFutureSkewMs : Number.POSITIVE_INFINITY;
    const entries = Object.entries(parsed.data.sources);
    for (const [source, mark] of entries.slice(Math.max(0, entries.length - options.maxSources))) {
      // A watermark saved ahead of the clock was poisoned by an earlier version: forget it.
      if (mark <= bound) this.sources.set(source, { top: new Array<number>(options.confirmations).fill(mark), ahead: [], lastArrival: 0 });
    }
  }

  /** Decides whether a record of `source` dated `timestamp` may enter the windows. */
  admit(source: string, timestamp: number): EventTimeVerdict {
    const { maxSourceLeadMs: lead, confirmations } = this.options;
    if (this.options.wallClock && timestamp > this.clock.now() + this.options.maxFutureSkewMs) return 'future-of-clock';
    let state = this.sources.get(source);
    this.arrivals++;
    if (state === undefined) {
      state = { top: [], ahead: [], lastArrival: this.arrivals };
      this.track(source, state);
    } else {
      state.lastArrival = this.arrivals;
      // Most recently used last, so the oldest source is the first.
      this.sources.touch(source);
    }
    // A source without a watermark yet is held to the engine's: a stream of new sources must not
    // each plant far-future windows that nothing would ever close.
    const mark = watermarkOf(state.top, confirmations) ?? this.watermark();
    if (mark !== undefined && timestamp > mark + lead) {
      if (!this.confirmsJump(state, timestamp)) return 'future-of-stream';
      return 'admitted';
    }
    insertNewestFirst(state.top, timestamp, confirmations);
    return 'admitted';
  }

  /**
   * The engine's event time: the slowest watermark among the sources still active, or undefined
   * while no source has one.
   */
  watermark(): number | undefined {
    const cached = this.cached;
    if (this.sources.size > 64 && cached.valid && this.arrivals - cached.at < 256) return cached.mark;
    let slowest: number | undefined;
    const activeSince = this.arrivals - this.options.idleAfterRecords;
    // Sources are kept least recently used first: the idle ones are at the front.
    for (const state of this.sources.values()) {
      if (state.lastArrival < activeSince) continue;
      const mark = watermarkOf(state.top, this.options.confirmations);
      if (mark !== undefined && (slowest === undefined || mark < slowest)) slowest = mark;
    }
    // Asked after every message: updated in place rather than allocated.
    cached.at = this.arrivals;
    cached.mark = slowest;
    cached.valid = true;
    return slowest;
  }

  /** The watermark of one source, if it has one. */
  sourceWatermark(source: string): number | undefined {
    const state = this.sources.get(source);
    return state === undefined ? undefined : watermarkOf(state.top, this.options.confirmations);
  }

  /** Confirmed watermarks only: candidates and outliers are not saved. */
  snapshot(): EventTimeSnapshot {
    const sources: Record<string, number> = {};
    for (const [source, state] of this.sources) {
      const mark = watermarkOf(state.top, this.options.confirmations);
      if (mark !== undefined) sources[source] = mark;
    }
    return { version: 1, sources };
  }

  private confirmsJump(state: SourceTime, timestamp: number): boolean {
    const { maxSourceLeadMs: lead, confirmations } = this.options;
    state.ahead.push(timestamp);
    // Room for honest records interleaved with forged ones; the oldest evidence goes first.
    if (state.ahead.length > 4 * confirmations) state.ahead.shift();
    const agreeing = state.ahead.filter((t) => Math.abs(t - timestamp) <= lead);
    if (agreeing.length < confirmations) return false;
    agreeing.sort((a, b) => b - a);
    state.top.length = 0;
    for (const t of agreeing.slice(0, confirmations)) state.top.push(t);
    state.ahead = [];
    return true;
  }

  private track(source: string, state: SourceTime): void {
    this.sources.set(source, state);
    if (this.sources.size > this.options.maxSources) this.sources.shift();
  }
}

/** The `confirmations`-th newest admitted timestamp: one outlier cannot be it. */
function watermarkOf(top: readonly number[], confirmations: number): number | undefined {
  return top.length < confirmations ? undefined : top[confirmations - 1];
}

function insertNewestFirst(top: number[], timestamp: number, max: number): void {
  if (top.length >= max && timestamp <= (top[max - 1] ?? Number.NEGATIVE_INFINITY)) return;
  let i = 0;
  while (i < top.length && (top[i] ?? Number.NEGATIVE_INFINITY) >= timestamp) i++;
  // Shifts the older ones down by hand (once per record: cheaper than splice), dropping the
  // oldest when the list is full.
  for (let j = Math.min(top.length, max - 1); j > i; j--) top[j] = top[j - 1] ?? Number.NEGATIVE_INFINITY;
  top[i] = timestamp;
  if (top.length > max) top.length = max;
}
