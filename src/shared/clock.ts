/**
 * Time is injected so windows, cooldowns and approval timeouts are testable without sleeping.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }

  /** Jumps to an absolute time. */
  set(ms: number): void {
    this.current = ms;
  }
}
