/**
 * Remembers which interactions were already handled, for as long as one could still pass the
 * freshness check. Slack's signature covers the body and its timestamp but not "only once": within
 * the window a captured request verifies again. Each key is kept until `now + retainMs`.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly retainMs: number, entries: Iterable<readonly [string, number]> = []) {
    for (const [key, until] of entries) this.seen.set(key, until);
  }

  /**
   * True the first time `key` is offered (and remembers it); false for a replay. Synchronous, so
   * two concurrent deliveries of the same interaction cannot both pass.
   */
  admit(key: string, now: number): boolean {
    this.prune(now);
    if (this.seen.has(key)) return false;
    this.seen.set(key, now + this.retainMs);
    return true;
  }

  /** Forgets keys past their retention. */
  prune(now: number): void {
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
  }

  /** What to persist: key and retention end. */
  entries(): [string, number][] {
    return [...this.seen.entries()];
  }
}
