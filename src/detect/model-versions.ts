import { z } from 'zod';
import type { Entity } from '../features/entity.js';
import type { FeatureWindow } from '../features/feature-window.js';
import { OTHER_VERSION } from '../features/model-version-table.js';
import { RecencyMap } from '../features/recency-map.js';

/** Bounds and the notion of "still serving" of {@link ModelVersions}. */
export interface ModelVersionsOptions {
  /** Models whose versions' histories are kept; the least recently served is forgotten first. */
  readonly maxModels: number;
  /** Versions with a history per model (the feature stage holds the same bound). */
  readonly maxVersionsPerModel: number;
  /** A version that served no window for this long is not a candidate for stable (ms). */
  readonly activeMs: number;
}

export const DEFAULT_MODEL_VERSIONS_OPTIONS: ModelVersionsOptions = { maxModels: 4096, maxVersionsPerModel: 8, activeMs: 30 * 60_000 };

/** One version's history: windows in which it served, when it first and last served. */
interface History {
  windows: number;
  readonly firstServed: number;
  lastServed: number;
}

/** Saved state: per model, oldest first, its versions as [version, windows, first served, last served]. */
export const modelVersionsStateSchema = z
  .array(z.tuple([z.string(), z.array(z.tuple([z.string(), z.number().int().min(0), z.number(), z.number()])).max(64)]))
  .max(100_000);

export type ModelVersionsState = z.infer<typeof modelVersionsStateSchema>;

/** `namespace/name` of a model entity (the model whatever its version), or undefined for another kind. */
export function modelOf(entity: Entity): string | undefined {
  if (entity.kind !== 'model') return undefined;
  return `${entity.namespace ?? 'default'}/${entity.model ?? entity.name}`;
}

/**
 * Which versions of each model served, and which one is **stable**: among the versions of the
 * model that served a window within `activeMs`, the one that has served the most windows (ties: the
 * one that served first, then the lower version string). A window counts as served when it holds
 * at least one inference (`model_requests > 0`). History is counted in windows, not inferences:
 * an inference count is the publisher's word and costs nothing to inflate, while a window of
 * history costs a minute of sending, so a version invented during an attack cannot outrank the
 * version that has served for days. `{other}` (the versions beyond the feature stage's bound) never
 * has a history: it is a mixture, never a reference.
 *
 * Bounded: at most `maxModels` models and `maxVersionsPerModel` versions each; a version that has
 * not served for `activeMs` gives its place to a newcomer, and a newcomer finding every place taken
 * by versions still serving is not tracked (it is then judged, never a reference).
 */
export class ModelVersions {
  private readonly models = new RecencyMap<string, Map<string, History>>();

  constructor(private readonly options: ModelVersionsOptions = DEFAULT_MODEL_VERSIONS_OPTIONS, saved?: unknown) {
    const parsed = modelVersionsStateSchema.safeParse(saved);
    if (!parsed.success) return;
    for (const [model, versions] of parsed.data.slice(-options.maxModels)) {
      const histories = new Map<string, History>();
      for (const [version, windows, firstServed, lastServed] of versions.slice(-options.maxVersionsPerModel)) {
        if (version !== OTHER_VERSION) histories.set(version, { windows, firstServed, lastServed });
      }
      this.models.set(model, histories);
    }
  }

  /** Counts the versions that served in one group of windows (all of the same start). */
  observe(windows: readonly FeatureWindow[]): void {
    for (const window of windows) {
      const model = modelOf(window.entity);
      const version = window.entity.version;
      if (model === undefined || version === undefined || version === OTHER_VERSION) continue;
      if (!((window.features.model_requests ?? 0) > 0)) continue;
      this.served(model, version, window.windowEnd);
    }
  }

  private served(model: string, version: string, at: number): void {
    let versions = this.models.get(model);
    if (versions === undefined) {
      versions = new Map();
      this.models.set(model, versions);
      if (this.models.size > this.options.maxModels) this.models.shift();
    } else {
      this.models.touch(model);
    }
    const known = versions.get(version);
    if (known !== undefined) {
      // One count per window, however many records it held.
      if (at > known.lastServed) {
        known.windows++;
        known.lastServed = at;
      }
      return;
    }
    if (versions.size >= this.options.maxVersionsPerModel) {
      let idlest: [string, History] | undefined;
      for (const entry of versions) if (idlest === undefined || entry[1].lastServed < idlest[1].lastServed) idlest = entry;
      if (idlest === undefined || at - idlest[1].lastServed < this.options.activeMs) return;
      versions.delete(idlest[0]);
    }
    versions.set(version, { windows: 1, firstServed: at, lastServed: at });
  }

  /** The stable version of `model` (`namespace/name`) as of event time `at`, if any version is serving. */
  stable(model: string, at: number): string | undefined {
    const versions = this.models.get(model);
    if (versions === undefined) return undefined;
    let best: [string, History] | undefined;
    for (const entry of versions) {
      const [version, history] = entry;
      if (at - history.lastServed > this.options.activeMs) continue;
      if (best === undefined || ranksAbove(history, version, best[1], best[0])) best = entry;
    }
    return best?.[0];
  }

  /**
   * The version whose baseline a new `version` of `model` starts from: among the model's other
   * versions with a history, the one that has served the most windows (ties as for stable),
   * serving or not, so a version that replaces another outright, after a gap, still inherits.
   * Versions that went quiet are forgotten with their entities (the feature stage's idle eviction),
   * and a version invented by a sprayer has served a window or two: never the predecessor of a
   * model that has served for longer.
   */
  predecessor(model: string, version: string): string | undefined {
    const versions = this.models.get(model);
    if (versions === undefined || version === OTHER_VERSION) return undefined;
    let best: [string, History] | undefined;
    for (const entry of versions) {
      if (entry[0] === version) continue;
      if (best === undefined || ranksAbove(entry[1], entry[0], best[1], best[0])) best = entry;
    }
    return best?.[0];
  }

  /** Windows served by a version so far (0 if it has no history). */
  windowsServed(model: string, version: string): number {
    return this.models.get(model)?.get(version)?.windows ?? 0;
  }

  /** Forgets the versions of model entities the feature stage forgot. */
  forget(entities: ReadonlySet<string>): void {
    for (const key of entities) {
      if (!key.startsWith('model:')) continue;
      const at = key.lastIndexOf('@');
      if (at < 0) continue;
      const versions = this.models.get(key.slice('model:'.length, at));
      versions?.delete(key.slice(at + 1));
    }
  }

  /** Versions with a history (memory is proportional to it). */
  get size(): number {
    let n = 0;
    for (const [, versions] of this.models) n += versions.size;
    return n;
  }

  state(): ModelVersionsState {
    return [...this.models].map(([model, versions]) => [model, [...versions].map(([v, h]) => [v, h.windows, h.firstServed, h.lastServed])]);
  }
}

function ranksAbove(a: History, aVersion: string, b: History, bVersion: string): boolean {
  if (a.windows !== b.windows) return a.windows > b.windows;
  if (a.firstServed !== b.firstServed) return a.firstServed < b.firstServed;
  return aVersion < bVersion;
}
