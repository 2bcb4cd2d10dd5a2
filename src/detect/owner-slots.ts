/**
 * The state a detector holds per owner (an entity, or its cohort), one slot per feature (and per
 * horizon of a feature), found with one lookup of the owner's key instead of a lookup of a
 * `<detector>|<owner>|<feature>` string made for every feature of every window.
 *
 * It indexes what a flat map keyed by those strings holds (the map stays what is saved, counted
 * and forgotten): a slot caches the map's entry, and {@link forget} drops an owner's slots with the
 * rule that drops the map's entries, so a slot never holds what the map no longer does.
 */
export class OwnerSlots<T> {
  private readonly byOwner = new Map<string, (T | undefined)[]>();

  /** @param width slots per owner. */
  constructor(private readonly width: number) {}

  /** The owner's slots (empty ones are undefined), made on first use. */
  of(owner: string): (T | undefined)[] {
    let slots = this.byOwner.get(owner);
    if (slots === undefined) {
      slots = new Array<T | undefined>(this.width).fill(undefined);
      this.byOwner.set(owner, slots);
    }
    return slots;
  }

  /**
   * Drops the slots of every owner the flat map's keys would be forgotten for: `gone` holds the
   * text before the first `|` of the owner (the second field of `<detector>|<owner>|<feature>`).
   */
  forget(gone: ReadonlySet<string>): void {
    for (const owner of this.byOwner.keys()) {
      const bar = owner.indexOf('|');
      if (gone.has(bar < 0 ? owner : owner.slice(0, bar))) this.byOwner.delete(owner);
    }
  }
}
