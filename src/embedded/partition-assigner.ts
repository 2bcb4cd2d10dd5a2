import { EntityKeyCache, hashPartition, replayEntityKey } from './replay-partition.js';

/** Entities given a partition of their own choosing at most; past it, the rest are hashed. */
export const MAX_ASSIGNED_ENTITIES = 4_096;
/** Longest entity key kept (a Kubernetes name is at most 253 characters, plus its prefix). */
const MAX_KEY_LENGTH = 300;

/** Where each entity's lines go, as a replay saves it: entity key -> partition. */
export type PartitionAssignment = Readonly<Record<string, number>>;

/**
 * Spreads a replay's entities over its partitions so they carry similar load. An entity's lines
 * always go to one partition (as a topic keyed by entity keeps them), but which one is chosen by
 * volume, not by hash: the first lines of the input are planned together, heaviest entity first to
 * the least loaded partition (longest-processing-time first, with a line's length as its weight),
 * and an entity first seen later goes to the partition with the least load so far. Lines whose
 * entity cannot be read cheaply (TEXT lines) stay on partition 0, and count towards its load.
 *
 * Deterministic: the same input (and saved assignment) gives the same split, so a replay's report
 * does not depend on how its partitions are spread over threads. The assignment is saved with the
 * replay's state and restored with it, so an entity stays where its baselines are.
 */
export class PartitionAssigner {
  private readonly assigned = new Map<string, number>();
  private readonly load: number[];
  private readonly names = new EntityKeyCache();
  private planned = false;

  /** `saved`: the assignment of the previous run (checked: see `readAssignment`). */
  constructor(private readonly partitions: number, saved?: PartitionAssignment) {
    this.load = new Array<number>(partitions).fill(0);
    if (saved === undefined) return;
    for (const [key, partition] of Object.entries(saved)) this.assigned.set(key, partition);
    // A resumed replay keeps its entities where they were: only new ones are placed.
    this.planned = this.assigned.size > 0;
  }

  /**
   * Places the entities of the input's first lines together (heaviest first) and returns the
   * partition of each line, in order. Later calls place one line at a time (see `partitionOf`).
   */
  plan(lines: readonly string[]): number[] {
    const keys = lines.map((line) => this.keyOf(line));
    if (!this.planned) {
      this.planned = true;
      const weights = new Map<string, number>();
      for (let i = 0; i < lines.length; i++) {
        const key = keys[i];
        const weight = lines[i]?.length ?? 0;
        if (key === undefined) this.load[0] = (this.load[0] ?? 0) + weight;
        else if (!this.assigned.has(key)) weights.set(key, (weights.get(key) ?? 0) + weight);
      }
      const heaviestFirst = [...weights].sort(([a, wa], [b, wb]) => wb - wa || (a < b ? -1 : a > b ? 1 : 0));
      for (const [key, weight] of heaviestFirst) this.place(key, weight);
      return keys.map((key) => (key === undefined ? 0 : this.assigned.get(key) ?? hashPartition(key, this.partitions)));
    }
    return lines.map((line, i) => this.partitionFor(keys[i], line.length));
  }

  /** The partition of one line after the first lines were planned. */
  partitionOf(line: string): number {
    if (!this.planned) return this.plan([line])[0] ?? 0;
    return this.partitionFor(this.keyOf(line), line.length);
  }

  /** The assignment to save with the replay's state. */
  snapshot(): PartitionAssignment {
    return Object.fromEntries(this.assigned);
  }

  private keyOf(line: string): string | undefined {
    if (this.partitions <= 1) return undefined;
    return replayEntityKey(line, this.names);
  }

  private partitionFor(key: string | undefined, weight: number): number {
    if (key === undefined) {
      this.load[0] = (this.load[0] ?? 0) + weight;
      return 0;
    }
    const known = this.assigned.get(key);
    if (known !== undefined) {
      this.load[known] = (this.load[known] ?? 0) + weight;
      return known;
    }
    return this.place(key, weight);
  }

  /** Gives `key` the least loaded partition (lowest index on a tie), or its hash once the table is full. */
  private place(key: string, weight: number): number {
    let partition = 0;
    if (this.assigned.size < MAX_ASSIGNED_ENTITIES) {
      for (let p = 1; p < this.partitions; p++) if ((this.load[p] ?? 0) < (this.load[partition] ?? 0)) partition = p;
      this.assigned.set(key, partition);
    } else {
      partition = hashPartition(key, this.partitions);
    }
    this.load[partition] = (this.load[partition] ?? 0) + weight;
    return partition;
  }
}

/**
 * A saved assignment, or undefined when there is none or it does not fit `partitions` (a state file
 * is read back from disk: anything out of shape is dropped, and the replay plans afresh).
 */
export function readAssignment(saved: unknown, partitions: number): PartitionAssignment | undefined {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return undefined;
  const entries = Object.entries(saved as Record<string, unknown>);
  if (entries.length > MAX_ASSIGNED_ENTITIES) return undefined;
  const out: Record<string, number> = {};
  for (const [key, partition] of entries) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) return undefined;
    if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition >= partitions) return undefined;
    Object.defineProperty(out, key, { value: partition, enumerable: true, writable: false });
  }
  return out;
}
