import type { Entity } from './entity.js';
import { RecencyMap } from './recency-map.js';

/** What the table needs of a tracked entity. */
export interface TrackedEntity {
  readonly entity: Entity;
  /** Newest event time seen for the entity. */
  lastSeen: number;
  /** Event time the entity last moved to the recent end of its table. */
  movedAt: number;
}

/**
 * The tracked entities, bounded, with the least recently seen evicted in O(1). Each of its two
 * tables (principals, whose names clients choose, and everything else) is a Map kept in recency
 * order (see RecencyMap): an entry moves to the end when its event time has advanced by
 * `moveAfterMs` since it last moved, so touching an entity on every line costs a comparison. When full, the oldest
 * principal goes first: a flood of client addresses evicts other clients, never the workloads,
 * pods and models whose baselines detection rests on.
 *
 * Iterates like a Map (mesh entities, then principals), and allows deleting while iterating.
 */
export class EntityTable<S extends TrackedEntity> implements Iterable<[string, S]> {
  private readonly mesh = new RecencyMap<string, S>();
  private readonly principals = new RecencyMap<string, S>();

  constructor(private readonly capacity: number, private readonly moveAfterMs: number) {}

  get size(): number {
    return this.mesh.size + this.principals.size;
  }

  get(key: string): S | undefined {
    return this.tableOf(key).get(key);
  }

  has(key: string): boolean {
    return this.tableOf(key).has(key);
  }

  delete(key: string): boolean {
    return this.tableOf(key).delete(key);
  }

  /** Adds a new entity at the recent end; returns the one evicted to make room, if any. */
  add(state: S): S | undefined {
    const evicted = this.size >= this.capacity ? this.evictOldest() : undefined;
    this.tableOf(state.entity.key).set(state.entity.key, state);
    return evicted;
  }

  /** Records that the entity was seen at `timestamp`. */
  touch(state: S, timestamp: number): void {
    if (timestamp <= state.lastSeen) return;
    state.lastSeen = timestamp;
    if (timestamp - state.movedAt < this.moveAfterMs) return;
    state.movedAt = timestamp;
    this.tableOf(state.entity.key).touch(state.entity.key);
  }

  *[Symbol.iterator](): Iterator<[string, S]> {
    yield* this.mesh;
    yield* this.principals;
  }

  private evictOldest(): S | undefined {
    return (this.principals.size > 0 ? this.principals : this.mesh).shift()?.[1];
  }

  private tableOf(key: string): RecencyMap<string, S> {
    return key.startsWith('principal:') ? this.principals : this.mesh;
  }
}
