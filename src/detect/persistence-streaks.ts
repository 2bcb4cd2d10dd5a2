import { z } from 'zod';

/** Saved runs: entity key -> `detector|feature` -> consecutive anomalous evaluations. */
export type StreakSnapshot = Record<string, Record<string, number>>;

/** Runs stop counting here: a detector asks for a handful of evaluations, never this many. */
const MAX_RUN = 1_000_000;
const streakSnapshotSchema = z.record(z.string(), z.record(z.string(), z.number().int().min(1).max(MAX_RUN)));

/**
 * Counts, per (entity, detector, feature), how many evaluations in a row found the feature
 * anomalous, for detectors that ask for `persistence`. Only running streaks are kept (a streak that
 * breaks is deleted), so memory follows the features currently anomalous, not the entities seen.
 */
export class PersistenceStreaks {
  private readonly runs = new Map<string, Map<string, number>>();

  /** @param saved a snapshot from {@link snapshot}; one that does not parse starts empty. */
  constructor(saved?: unknown) {
    const parsed = streakSnapshotSchema.safeParse(saved);
    if (!parsed.success) return;
    for (const [entity, runs] of Object.entries(parsed.data)) this.runs.set(entity, new Map(Object.entries(runs)));
  }

  /** Records one evaluation and returns the length of the current run of anomalous ones. */
  record(entity: string, key: string, anomalous: boolean): number {
    let runs = this.runs.get(entity);
    if (!anomalous) {
      runs?.delete(key);
      if (runs?.size === 0) this.runs.delete(entity);
      return 0;
    }
    if (runs === undefined) {
      runs = new Map();
      this.runs.set(entity, runs);
    }
    const run = Math.min((runs.get(key) ?? 0) + 1, MAX_RUN);
    runs.set(key, run);
    return run;
  }

  /** Drops the streaks of entities the feature stage forgot. */
  forget(entities: ReadonlySet<string>): void {
    for (const entity of entities) this.runs.delete(entity);
  }

  /** Number of running streaks. */
  get size(): number {
    let n = 0;
    for (const runs of this.runs.values()) n += runs.size;
    return n;
  }

  snapshot(): StreakSnapshot {
    // fromEntries defines own properties: no key (they come from telemetry) can reach a prototype.
    return Object.fromEntries([...this.runs].map(([entity, runs]) => [entity, Object.fromEntries(runs)]));
  }
}
