import type { Entity } from './entity.js';
import { RecencyList, type RecencyLinks } from './recency-list.js';

/** What the table needs of a tracked entity; it links the entity into its recency order itself. */
export interface TrackedEntity extends RecencyLinks<TrackedEntity> {
  readonly entity: Entity;
  /** Newest event time seen for the entity. */
  lastSeen: number;
  /** Event time the entity last moved to the recent end of its table. */
  movedAt: number;
}

/** One of the two tables: an index by key beside the recency order. */
class Table<S extends TrackedEntity> {
  readonly byKey = new Map<string, S>();
  readonly order = new RecencyList<TrackedEntity>();
}

/**
 * The tracked entities, bounded, with the least recently seen evicted in O(1). Each of its two
 * tables (principals, whose names clients choose, and everything else) keeps its entities in
 * recency order (see RecencyList: the links live in the entity's state, no node per entity): an
 * entry moves to the end when its event time has advanced by `moveAfterMs` since it last moved,
 * so touching an entity on every line costs a comparison. When full, the oldest principal goes
 * first: a flood of client addresses evicts other clients, never the workloads, pods and models
 * whose baselines detection rests on.
 *
 * Iterates like a Map (mesh entities, then principals), and allows deleting while iterating.
 */
export class EntityTable<S extends TrackedEntity> implements Iterable<[string, S]> {
  private readonly mesh = new Table<S>();
  private readonly principals = new Table<S>();

  constructor(private readonly capacity: number, private readonly moveAfterMs: number) {}

  get size(): number {
    return this.mesh.byKey.size + this.principals.byKey.size;
  }

  get(key: string): S | undefined {
    return this.tableOf(key).byKey.get(key);
  }

  has(key: string): boolean {
    return this.tableOf(key).byKey.has(key);
  }

  delete(key: string): boolean {
    const table = this.tableOf(key);
    const state = table.byKey.get(key);
    if (state === undefined) return false;
    table.byKey.delete(key);
    table.order.remove(state);
    return true;
  }

  /** Adds a new entity at the recent end; returns the one evicted to make room, if any. */
  add(state: S): S | undefined {
    const evicted = this.size >= this.capacity ? this.evictOldest() : undefined;
    const key = state.entity.key;
    const table = this.tableOf(key);
    const known = table.byKey.get(key);
    if (known !== undefined) table.order.remove(known);
    table.byKey.set(key, state);
    table.order.append(state);
    return evicted;
  }

  /** Records that the entity was seen at `timestamp`. */
  touch(state: S, timestamp: number): void {
    if (timestamp <= state.lastSeen) return;
    state.lastSeen = timestamp;
    if (timestamp - state.movedAt < this.moveAfterMs) return;
    state.movedAt = timestamp;
    const table = this.tableOf(state.entity.key);
    // Only an entity still in the table has a place in its order.
    if (table.byKey.get(state.entity.key) === state) table.order.touch(state);
  }

  *[Symbol.iterator](): Iterator<[string, S]> {
    yield* this.entries(this.mesh);
    yield* this.entries(this.principals);
  }

  private *entries(table: Table<S>): Generator<[string, S]> {
    // The items are the states the index holds (only they are ever linked).
    for (const item of table.order) yield [item.entity.key, item as S];
  }

  private evictOldest(): S | undefined {
    const table = this.principals.byKey.size > 0 ? this.principals : this.mesh;
    const oldest = table.order.shift() as S | undefined;
    if (oldest !== undefined) table.byKey.delete(oldest.entity.key);
    return oldest;
  }

  private tableOf(key: string): Table<S> {
    return key.startsWith('principal:') ? this.principals : this.mesh;
  }
}
