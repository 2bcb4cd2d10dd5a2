import { BoundedPlaces, OVERFLOW } from './bounded-places.js';

/** Bounds of the model versions tracked one by one. */
export interface ModelVersionTableOptions {
  /** Versions tracked one by one per model (namespace/name); the others share `{other}`. */
  readonly maxVersionsPerModel: number;
  /** Models whose versions are tracked; the least recently seen is forgotten first. */
  readonly maxModels: number;
  /** A version without a record for this long gives its place up (ms). */
  readonly idleMs: number;
}

export const DEFAULT_MODEL_VERSION_OPTIONS: ModelVersionTableOptions = {
  maxVersionsPerModel: 8,
  maxModels: 4096,
  idleMs: 30 * 60_000,
};

/** The version shared by every version of a model beyond its bound. */
export const OTHER_VERSION = OVERFLOW;

/**
 * Which version a model telemetry or drift record's model entity carries, within bounds its
 * publisher cannot grow: the version string is the publisher's word (docs/security.md), so a model
 * has at most `maxVersionsPerModel` versions of its own and the rest share `{other}`, judged like
 * any version. A version holds its place while it reports: one silent for `idleMs` gives it up, so
 * versions sprayed once free their places while the stable version and a canary in real use keep
 * theirs (and their baselines), however many are sprayed.
 */
export class ModelVersionTable {
  private readonly places: BoundedPlaces;

  constructor(options: ModelVersionTableOptions = DEFAULT_MODEL_VERSION_OPTIONS) {
    this.places = new BoundedPlaces({ maxPerOwner: options.maxVersionsPerModel, maxOwners: options.maxModels, idleMs: options.idleMs });
  }

  /** The record's model with the version it is counted under: its own, or `{other}`. */
  placed<M extends { readonly name: string; readonly version?: string; readonly namespace?: string }>(model: M, at: number): M {
    if (model.version === undefined) return model;
    const version = this.places.place(`${model.namespace ?? 'default'}/${model.name}`, model.version, at);
    return version === model.version ? model : { ...model, version };
  }

  /** Versions holding a place (memory is proportional to it). */
  get size(): number {
    return this.places.size;
  }
}
