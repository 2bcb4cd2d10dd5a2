import type { HorizonRingState } from './horizon-ring.js';
import type { ModelVersionsState } from './model-versions.js';
import type { StreakSnapshot } from './persistence-streaks.js';
import type { ScorerSnapshot } from './stream-scorer.js';

/** Saved scorer state of every detector, keyed by `detector|entity|feature`. */
export interface DetectorStateSnapshot {
  readonly version: 1;
  readonly scorers: Record<string, ScorerSnapshot>;
  /** Running streaks of detectors with `persistence` (absent in snapshots from before it existed). */
  readonly streaks?: StreakSnapshot;
  /** Recent per-window values behind detectors with `horizons`, keyed by `detector|entity|feature`. */
  readonly horizons?: Record<string, HorizonRingState>;
  /** Which versions of each model served, for how long (absent in snapshots from before it existed). */
  readonly modelVersions?: ModelVersionsState;
}

/**
 * The part of a snapshot that belongs to the detectors `keep` accepts (by name): what a
 * configuration reload carries over for detectors whose definition did not change.
 */
export function detectorStateOf(snapshot: DetectorStateSnapshot, keep: (detector: string) => boolean): DetectorStateSnapshot {
  // Every key starts with the detector's name, which cannot contain "|" (a DNS label).
  const mine = (key: string): boolean => keep(key.slice(0, key.indexOf('|')));
  const streaks: StreakSnapshot = {};
  for (const [entity, runs] of Object.entries(snapshot.streaks ?? {})) {
    const kept = Object.entries(runs).filter(([key]) => mine(key));
    if (kept.length > 0) streaks[entity] = Object.fromEntries(kept);
  }
  return {
    version: 1,
    scorers: Object.fromEntries(Object.entries(snapshot.scorers).filter(([key]) => mine(key))),
    streaks,
    horizons: Object.fromEntries(Object.entries(snapshot.horizons ?? {}).filter(([key]) => mine(key))),
    // Which versions served is the models' history, whichever detectors read it.
    ...(snapshot.modelVersions !== undefined ? { modelVersions: snapshot.modelVersions } : {}),
  };
}
