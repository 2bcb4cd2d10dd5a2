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

/** A place taken: its name (a name of its own, or `{other}`) and what its user keeps in it. */
export interface Place<T> {
  readonly name: string;
  /** Last use (event time); not kept for `{other}`, which is never given up. */
  at: number;
  /** Set by the user of the places (e.g. the entity the place names); undefined until then. */
  value: T | undefined;
}

/** The places of one owner, least recently used first, and its `{other}`. */
class OwnerPlaces<T> {
  readonly held = new RecencyMap<string, Place<T>>();
  readonly other: Place<T> = { name: OVERFLOW, at: 0, value: undefined };
}

/**
 * Places for the names an input chooses under an owner it does not (a workload's routes, a model's
 * versions), within bounds the input cannot grow: an owner holds at most `maxPerOwner` names and the
 * rest share {@link OVERFLOW}. A place is held while it is used: one unused for `idleMs` gives it up
 * to the next newcomer, so names sprayed once free their places while the names in real use keep
 * theirs however many are sprayed. A place can keep a value of its user's (`T`), made once for it
 * rather than for every use, and forgotten with it.
 */
export class BoundedPlaces<T = never> {
  /** Per owner, its places. */
  private readonly owners = new RecencyMap<string, OwnerPlaces<T>>();

  constructor(private readonly options: BoundedPlacesOptions) {}

  /** The place of `name` under `owner` at event time `at`: `name` itself, or `{other}`. */
  place(owner: string, name: string, at: number): string {
    return this.take(owner, name, at).name;
  }

  /** The place `name` takes under `owner` at event time `at` (see {@link place}), with its value. */
  take(owner: string, name: string, at: number): Place<T> {
    let places = this.owners.use(owner);
    if (places === undefined) {
      places = new OwnerPlaces();
      this.owners.set(owner, places);
      if (this.owners.size > this.options.maxOwners) this.owners.shift();
    }
    const held = places.held;
    const seen = held.use(name);
    if (seen !== undefined) {
      seen.at = Math.max(seen.at, at);
      return seen;
    }
    if (held.size >= this.options.maxPerOwner) {
      // The least recently used place, if idle, goes to the newcomer.
      const oldest = held.entries().next();
      if (oldest.done === true || at - oldest.value[1].at < this.options.idleMs) return places.other;
      held.shift();
    }
    const place: Place<T> = { name, at, value: undefined };
    held.set(name, place);
    return place;
  }

  /** Places held over every owner (memory is proportional to it). */
  get size(): number {
    let n = 0;
    for (const [, places] of this.owners) n += places.held.size;
    return n;
  }
}
