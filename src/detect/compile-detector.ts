import { formatDuration } from '../shared/duration.js';
import type { AlgorithmConfig } from './stats/algorithm-registry.js';
import type { DetectorSpec } from './detector-spec.js';
import { HORIZON_AGGREGATES, type HorizonAggregate } from './horizon-ring.js';

/** A detector's feature with the strings its scoring needs made once. */
export interface CompiledFeature {
  readonly name: string;
  readonly algorithm: AlgorithmConfig;
  readonly min?: number;
  readonly max?: number;
  /** How the feature is aggregated over the detector's horizons (set when it has horizons). */
  readonly aggregate?: HorizonAggregate;
  /** The algorithm of the horizon baselines. */
  readonly horizonAlgorithm: AlgorithmConfig;
  /** `|<feature>`: the end of its scorer's and ring's keys (`<detector>|<owner>|<feature>`). */
  readonly keySuffix: string;
  /** `<detector>|<feature>`: its persistence streak's key. */
  readonly streakKey: string;
  /** Per horizon of the detector, shortest first: its baseline's feature and keys. */
  readonly horizons: readonly CompiledHorizon[];
  /** Its scorer's slot among an owner's (see OwnerSlots). */
  readonly slot: number;
  /** Its ring's slot among an entity's: the feature's index. */
  readonly ringSlot: number;
}

/** One horizon of one feature, with the strings its scoring needs made once. */
export interface CompiledHorizon {
  readonly ms: number;
  /** `15m`. */
  readonly label: string;
  /** The feature as the horizon's baseline sees it (`horizonAlgorithm`). */
  readonly feature: CompiledFeature;
  /** `|<feature>@<label>`. */
  readonly keySuffix: string;
  /** `<detector>|<feature>@<label>`. */
  readonly streakKey: string;
  /** Its baseline's slot among an owner's scorers. */
  readonly slot: number;
}

/** A detector as the runtime runs it: its spec with every key prefix and lookup made once. */
export interface CompiledDetector {
  readonly spec: DetectorSpec;
  readonly name: string;
  /** `<detector>|`: the start of its scorers' and rings' keys. */
  readonly keyPrefix: string;
  /** `cohort:<entity kind>` for a cohort baseline, else undefined (each entity owns its own). */
  readonly cohort?: string;
  /** The spec's `matchLabels` as entries (read for every window). */
  readonly matchLabels?: readonly (readonly [string, string])[];
  readonly features: readonly CompiledFeature[];
  readonly namespaces?: ReadonlySet<string>;
  /** Longer time scales in ms, shortest first (empty: per window only). */
  readonly horizons: readonly number[];
  /** Set when the detector judges each model version against its model's stable version. */
  readonly compare?: 'stable-version';
  /** Its position in the runtime's list: where its owners' slots are. */
  readonly index: number;
  /** Scorer slots per owner: each feature's, and each of its horizons' (see OwnerSlots). */
  readonly slots: number;
}

/** Compiles a parsed detector for the runtime; `index` is its place in the runtime's list. */
export function compileDetector(spec: DetectorSpec, index: number): CompiledDetector {
  const name = spec.metadata.name;
  const horizons = [...new Set(spec.spec.horizons ?? [])].sort((a, b) => a - b);
  // Each feature's scorer, then its horizons' baselines, in one run of slots.
  let slots = 0;
  const features = (spec.spec.features ?? []).map((feature, ringSlot): CompiledFeature => {
    const algorithm = feature.algorithm ?? spec.spec.algorithm;
    // The schema guarantees one of them is set; this guards against a caller bypassing it.
    if (algorithm === undefined) throw new Error(`detector ${name}: feature ${feature.name} has no algorithm`);
    const compiled: CompiledFeature = {
      name: feature.name, algorithm, horizonAlgorithm: feature.horizonAlgorithm ?? algorithm,
      ...(feature.min !== undefined ? { min: feature.min } : {}),
      ...(feature.max !== undefined ? { max: feature.max } : {}),
      ...(spec.spec.horizons !== undefined ? { aggregate: HORIZON_AGGREGATES[feature.name] } : {}),
      keySuffix: `|${feature.name}`, streakKey: `${name}|${feature.name}`, horizons: [], slot: slots++, ringSlot,
    };
    const perHorizon = horizons.map((ms): CompiledHorizon => {
      const label = formatDuration(ms);
      return {
        ms, label, feature: { ...compiled, algorithm: compiled.horizonAlgorithm },
        keySuffix: `|${feature.name}@${label}`, streakKey: `${name}|${feature.name}@${label}`, slot: slots++,
      };
    });
    return { ...compiled, horizons: perHorizon };
  });
  return {
    spec, name, keyPrefix: `${name}|`, features, horizons, index, slots,
    ...(spec.spec.compare !== undefined ? { compare: spec.spec.compare } : {}),
    ...(spec.spec.baseline === 'cohort' ? { cohort: `cohort:${spec.spec.entity}` } : {}),
    ...(spec.spec.matchLabels ? { matchLabels: Object.entries(spec.spec.matchLabels) } : {}),
    ...(spec.spec.namespaces ? { namespaces: new Set(spec.spec.namespaces) } : {}),
  };
}

