import type { Entity } from './entity.js';
import { EntityState } from './entity-state.js';
import { EntityTable } from './entity-table.js';
import type { FeatureWindow } from './feature-window.js';
import { completeModelFeatures, type DatasetDrift } from './model-window-evidence.js';
import { WindowAccumulator } from './window-accumulator.js';

/** What advancing event time produced. */
export interface AdvanceResult {
  readonly windows: FeatureWindow[];
  /** Entities forgotten because they went quiet: their detector state can go too. */
  readonly evicted: string[];
}

const NOTHING_CLOSED: AdvanceResult = Object.freeze({ windows: [], evicted: [] });

/**
 * The window bookkeeping of the feature extractor: the tracked entities (bounded), their open
 * windows with an index of them by window start, closing the windows event time has passed, and
 * forgetting entities that went idle or were evicted to make room. `FeatureExtractor` extends it
 * so that opening a window, several times per access-log line, stays a plain method call.
 */
export abstract class OpenWindows {
  protected readonly entities: EntityTable<EntityState>;
  /** Dataset-level drift summaries of the open model windows, kept apart from the column statistics. */
  protected readonly datasetDrift = new WeakMap<WindowAccumulator, DatasetDrift>();
  /** Every window ending at or before this is closed. */
  protected closedUpTo = Number.NEGATIVE_INFINITY;
  /** Entities evicted to stay within `maxEntities` that a detector may have state for. */
  private evictedForRoom: string[] = [];
  /** Per open-window list: how many of its entities were evicted since (compacted when half). */
  private readonly evictedFromWindow = new WeakMap<EntityState[], number>();
  /** Entities with an open accumulator, by window start: closing a window visits only them. */
  private readonly openWindows = new Map<number, EntityState[]>();
  /** Event time of the last scan for idle entities. */
  private lastEvictionScan = Number.NEGATIVE_INFINITY;

  /**
   * Windows are `windowMs` long; an entity with no traffic for `idleEvictionMs` (event time) is
   * forgotten; at most `maxEntities` are tracked.
   */
  protected constructor(private readonly windowMs: number, private readonly idleEvictionMs: number, maxEntities: number) {
    this.entities = new EntityTable(maxEntities, windowMs);
  }

  /** Called after a scan forgot the idle entities: what else names them can forget them too. */
  protected abstract idleEntitiesForgotten(): void;

  /** Closes the windows ending at or before `watermark` (rounded down to a window's start). */
  protected closeUpTo(watermark: number): AdvanceResult {
    const w = this.windowMs;
    const lastClosable = watermark === Number.POSITIVE_INFINITY ? watermark : watermark - (watermark % w);
    // Called for every record: the common case (nothing to close) must not allocate.
    if (lastClosable <= this.closedUpTo) return NOTHING_CLOSED;
    const windows: FeatureWindow[] = [];
    const evicted: string[] = this.takeEvictedForRoom();
    for (const [start, states] of this.openWindows) {
      if (start + w > lastClosable) continue;
      this.openWindows.delete(start);
      for (const state of states) {
        const acc = state.get(start);
        if (acc === undefined) continue;
        const { features, details } = acc.features(w);
        completeModelFeatures(acc, this.datasetDrift.get(acc), features);
        const falco = acc.falco;
        if (falco === undefined) {
          windows.push({ entity: state.entity, windowStart: start, windowEnd: start + w, features, details });
        } else {
          Object.assign(features, falco.features());
          windows.push({ entity: state.entity, windowStart: start, windowEnd: start + w, features, details, falco: falco.summaries() });
        }
        state.delete(start);
      }
    }
    // Idle entities are looked for a few times per eviction period, not at every window.
    if (watermark - this.lastEvictionScan >= this.idleEvictionMs / 8) {
      this.lastEvictionScan = watermark;
      for (const [key, state] of this.entities) {
        if (state.size === 0 && state.lastSeen < watermark - this.idleEvictionMs) {
          this.entities.delete(key);
          evicted.push(key);
        }
      }
      this.idleEntitiesForgotten();
    }
    this.closedUpTo = lastClosable;
    windows.sort((a, b) => a.windowStart - b.windowStart || (a.entity.key < b.entity.key ? -1 : 1));
    return { windows, evicted };
  }

  /** Whether the window holding event time `at` is closed. */
  protected closed(at: number): boolean {
    const w = this.windowMs;
    return (Math.floor(at / w) + 1) * w <= this.closedUpTo;
  }

  /**
   * The accumulator of `entity`'s window starting at `windowStart`, opened if need be; the entity
   * is tracked from now on (which may evict the least recently seen) and seen at `timestamp`.
   */
  protected window(entity: Entity, windowStart: number, timestamp: number): WindowAccumulator {
    let state = this.entities.get(entity.key);
    if (state === undefined) {
      state = new EntityState(entity, timestamp, timestamp, windowStart);
      const evicted = this.entities.add(state);
      if (evicted !== undefined) this.dropEvicted(evicted);
    } else {
      this.entities.touch(state, timestamp);
      // A pod first seen in a Falco alert is named without its labels: the first access-log line
      // that knows them completes it, so label-matching detectors and playbooks see the pod.
      if (state.entity !== entity && state.entity.labels === undefined && entity.labels !== undefined) state.entity = entity;
    }
    let acc = state.get(windowStart);
    if (acc === undefined) {
      acc = new WindowAccumulator();
      state.set(windowStart, acc);
      const open = this.openWindows.get(windowStart);
      if (open === undefined) this.openWindows.set(windowStart, [state]);
      else open.push(state);
    }
    return acc;
  }

  /**
   * Forgets an entity evicted to make room: its open windows are dropped (closing skips an entity
   * without an accumulator for the window) and, if a window of it has closed, so detectors may hold
   * state for it, the next advance reports it evicted.
   */
  private dropEvicted(state: EntityState): void {
    for (const start of state.keys()) {
      const open = this.openWindows.get(start);
      if (open === undefined) continue;
      const dead = (this.evictedFromWindow.get(open) ?? 0) + 1;
      // A flood of one-line entities would otherwise keep every evicted one listed until the
      // window closes: compact the list once half of it is gone (amortised O(1) per eviction).
      if (dead * 2 > open.length && open.length >= 64) {
        state.clear();
        const live = open.filter((s) => s.has(start));
        this.openWindows.set(start, live);
        this.evictedFromWindow.set(live, 0);
        // The entity's windows are cleared: its other windows are not counted (as when this
        // walked a Map, whose iteration ends once it is cleared).
        break;
      } else {
        this.evictedFromWindow.set(open, dead);
      }
    }
    state.clear();
    if (state.since + this.windowMs <= this.closedUpTo) this.evictedForRoom.push(state.entity.key);
  }

  private takeEvictedForRoom(): string[] {
    const evicted = this.evictedForRoom;
    if (evicted.length > 0) this.evictedForRoom = [];
    return evicted;
  }
}
