import type { FeatureWindow } from '../features/feature-window.js';
import type { CompiledDetector, CompiledFeature } from './compile-detector.js';
import type { DetectorStateSnapshot } from './detector-state.js';
import { HorizonRing, horizonRingStateSchema, type HorizonRingState } from './horizon-ring.js';
import { modelOf, type ModelVersions } from './model-versions.js';
import { OwnerSlots } from './owner-slots.js';
import { createScorer, restoreScorer, type AlgorithmConfig } from './stats/algorithm-registry.js';
import type { ScorerSnapshot, StreamScorer } from './stream-scorer.js';

/**
 * Where the detectors' per-entity state lives: one scorer per (detector, entity or cohort,
 * feature[, horizon]) and one ring of recent values per (detector, entity, feature) with horizons,
 * each made on first use from its saved state, from a new model version's predecessor, or fresh;
 * found by owner (one lookup per detector and window); forgotten with its entity; saved whole.
 */
export class ScorerStore {
  private readonly scorers = new Map<string, StreamScorer>();
  /** Saved scorer states not yet taken, by key (shared with the canary comparison, which takes from it too). */
  readonly restored: Map<string, ScorerSnapshot>;
  private readonly rings = new Map<string, HorizonRing>();
  private readonly restoredRings: Map<string, HorizonRingState>;
  /** Per detector (by index), its owners' scorers: the entries of `scorers`, found by owner. */
  private readonly scorerSlots: OwnerSlots<StreamScorer>[];
  /** Per detector (by index), its entities' rings: the entries of `rings`, found by entity. */
  private readonly ringSlots: OwnerSlots<HorizonRing>[];

  constructor(detectors: readonly CompiledDetector[], private readonly versions: ModelVersions, snapshot?: DetectorStateSnapshot) {
    this.scorerSlots = detectors.map((d) => new OwnerSlots<StreamScorer>(d.slots));
    this.ringSlots = detectors.map((d) => new OwnerSlots<HorizonRing>(d.features.length));
    this.restored = new Map(Object.entries(snapshot?.scorers ?? {}));
    // Checked once, here: a saved ring that does not parse starts afresh, and is not saved again.
    this.restoredRings = new Map();
    for (const [key, saved] of Object.entries(snapshot?.horizons ?? {})) {
      const parsed = horizonRingStateSchema.safeParse(saved);
      if (parsed.success) this.restoredRings.set(key, parsed.data);
    }
  }

  /** The scorer slots of one owner for one detector (see `CompiledDetector.slots`). */
  scorersOf(detector: CompiledDetector, owner: string): (StreamScorer | undefined)[] {
    return this.scorerSlots[detector.index]?.of(owner) ?? [];
  }

  /** The ring slots of one entity for one detector (one per feature). */
  ringsOf(detector: CompiledDetector, entityKey: string): (HorizonRing | undefined)[] {
    return this.ringSlots[detector.index]?.of(entityKey) ?? [];
  }

  /**
   * The scorer in an owner's `slot`: `<detector>|<owner><keySuffix>`, with the key (and what a new
   * one would inherit) made only when the slot is empty.
   */
  scorerIn(slots: (StreamScorer | undefined)[], slot: number, detector: CompiledDetector, owner: string, window: FeatureWindow, keySuffix: string, feature: CompiledFeature): StreamScorer {
    const known = slots[slot];
    if (known !== undefined) return known;
    const key = detector.keyPrefix + owner + keySuffix;
    let scorer = this.scorers.get(key);
    if (scorer === undefined) {
      const saved = this.restored.size > 0 ? this.restored.get(key) : undefined;
      const start = saved ?? this.inherited(detector, window, keySuffix);
      scorer = start ? restoreOrFresh(feature.algorithm, start) : createScorer(feature.algorithm);
      if (saved) this.restored.delete(key);
      this.scorers.set(key, scorer);
    }
    slots[slot] = scorer;
    return scorer;
  }

  /** The ring in an entity's `slot` (`<detector>|<entity><keySuffix>`), made when the slot is empty. */
  ringIn(slots: (HorizonRing | undefined)[], slot: number, detector: CompiledDetector, entityKey: string, keySuffix: string, windows: number, since: number): HorizonRing {
    const known = slots[slot];
    if (known !== undefined) return known;
    const ringKey = detector.keyPrefix + entityKey + keySuffix;
    let ring = this.rings.get(ringKey);
    if (ring === undefined) {
      const saved = this.restoredRings.get(ringKey);
      this.restoredRings.delete(ringKey);
      ring = new HorizonRing(windows, since, saved);
      this.rings.set(ringKey, ring);
    }
    slots[slot] = ring;
    return ring;
  }

  /** Drops the scorers and rings of the entities in `gone`. */
  forget(gone: ReadonlySet<string>): void {
    for (const key of this.scorers.keys()) {
      const entity = key.split('|')[1];
      if (entity !== undefined && gone.has(entity)) this.scorers.delete(key);
    }
    for (const key of this.rings.keys()) {
      const entity = key.split('|')[1];
      if (entity !== undefined && gone.has(entity)) this.rings.delete(key);
    }
    for (const slots of this.scorerSlots) slots.forget(gone);
    for (const slots of this.ringSlots) slots.forget(gone);
  }

  /** Number of live scorers (memory is proportional to it). */
  get size(): number {
    return this.scorers.size;
  }

  /** Every scorer's and ring's state, the saved ones not used yet included. */
  snapshot(): { scorers: Record<string, ScorerSnapshot>; horizons: Record<string, HorizonRingState> } {
    const scorers: Record<string, ScorerSnapshot> = Object.fromEntries(this.restored);
    for (const [key, scorer] of this.scorers) scorers[key] = scorer.snapshot();
    const horizons: Record<string, HorizonRingState> = Object.fromEntries(this.restoredRings);
    for (const [key, ring] of this.rings) horizons[key] = ring.state();
    return { scorers, horizons };
  }

  /**
   * Where a new model version's baseline comes from: a copy of the scorer state its model's
   * predecessor holds for the same detector and feature (see {@link ModelVersions.predecessor}),
   * so a version that replaces another is judged against the baseline of the version it replaces
   * from its first window. Only a version of the same model, chosen by windows served, never by
   * anything a record names; `{other}` and cohort baselines inherit nothing.
   */
  private inherited(detector: CompiledDetector, window: FeatureWindow, keySuffix: string): ScorerSnapshot | undefined {
    const model = modelOf(window.entity);
    const version = window.entity.version;
    if (model === undefined || version === undefined || detector.cohort !== undefined) return undefined;
    const from = this.versions.predecessor(model, version);
    if (from === undefined) return undefined;
    const key = `${detector.keyPrefix}model:${model}@${from}${keySuffix}`;
    return this.scorers.get(key)?.snapshot() ?? this.restored.get(key);
  }
}

/** A snapshot from another algorithm or version (the detector was edited) starts a fresh baseline. */
function restoreOrFresh(algorithm: AlgorithmConfig, saved: ScorerSnapshot): StreamScorer {
  try {
    return restoreScorer(algorithm, saved);
  } catch {
    return createScorer(algorithm);
  }
}
