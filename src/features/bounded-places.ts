import { RecencyMap } from './recency-map.js';

/** The name of the shared place of everything beyond the bounds. */
export const OVERFLOW = '{other}';

/** Bounds of a {@link BoundedPlaces}. */
export interface BoundedPlacesOptions {
  /** Names tracked one by one per owner; the others share `{other}`. */
  readonly maxPerOwner: number;
  /** Owners tracked; the least recently seen is forgotten first. */
  readonly maxOwners: number;
  /** A name unused for this long (event time) gives its place up (ms). */
  readonly idleMs: number;
}

/**
 * Places for the names an input chooses under an owner it does not (a workload's routes, a model's
 * versions), within bounds the input cannot grow: an owner holds at most `maxPerOwner` names and the
 * rest share {@link OVERFLOW}. A place is held while it is used: one unused for `idleMs` gives it up
 * to the next newcomer, so names sprayed once free their places while the names in real use keep
 * theirs however many are sprayed.
 */
export class BoundedPlaces {
  /** Per owner, name -> last use (event time), least recently used first. */
  private readonly owners = new RecencyMap<string, RecencyMap<string, number>>();

  constructor(private readonly options: BoundedPlacesOptions) {}

  /** The place of `name` under `owner` at event time `at`: `name` itself, or `{other}`. */
  place(owner: string, name: string, at: number): string {
    let places = this.owners.get(owner);
    if (places === undefined) {
      places = new RecencyMap();
      this.owners.set(owner, places);
      if (this.owners.size > this.options.maxOwners) this.owners.shift();
    } else {
      this.owners.touch(owner);
    }
    const seen = places.get(name);
    if (seen !== undefined) {
      places.set(name, Math.max(seen, at));
      return name;
    }
    if (places.size >= this.options.maxPerOwner) {
      // The least recently used place, if idle, goes to the newcomer.
      const oldest = places.entries().next();
      if (oldest.done === true || at - oldest.value[1] < this.options.idleMs) return OVERFLOW;
      places.shift();
    }
    places.set(name, at);
    return name;
  }

  /** Places held over every owner (memory is proportional to it). */
  get size(): number {
    let n = 0;
    for (const [, places] of this.owners) n += places.size;
    return n;
  }
}
