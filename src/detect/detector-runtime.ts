import { createHash } from 'node:crypto';
import { evidenceDetails } from '../features/evidence-details.js';
import type { Entity, EntityKind } from '../features/entity.js';
import type { FeatureWindow } from '../features/feature-window.js';
import type { ScorerSnapshot, StreamScorer } from './stream-scorer.js';
import { createScorer, restoreScorer, type AlgorithmConfig } from './stats/algorithm-registry.js';
import type { Anomaly, Evidence } from './anomaly.js';
import type { AutoencoderDetector, VectorVerdict } from './autoencoder/autoencoder-detector.js';
import { autoencoderEvidence } from './autoencoder/autoencoder-evidence.js';
import type { DetectorSpec } from './detector-spec.js';
import { falcoVerdict } from './falco-detector.js';
import { hasEvidence } from './feature-evidence.js';
import { PersistenceStreaks, type StreakSnapshot } from './persistence-streaks.js';
import { CanaryComparison, stableWindows } from './canary-comparison.js';
import { DEFAULT_MODEL_VERSIONS_OPTIONS, ModelVersions, modelOf, type ModelVersionsState } from './model-versions.js';
import { HorizonRing, horizonRingStateSchema, windowWeight, type HorizonRingState } from './horizon-ring.js';
import { compileDetector, type CompiledDetector, type CompiledFeature } from './compile-detector.js';
import { OwnerSlots } from './owner-slots.js';

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

/**
 * Runs every detector over closed feature windows. Holds one scorer per (detector, entity or
 * cohort, feature); each window is scored before it is absorbed, so there is no look-ahead.
 */
export class DetectorRuntime {
  private readonly detectors: CompiledDetector[];
  private readonly scorers = new Map<string, StreamScorer>();
  private readonly restored: Map<string, ScorerSnapshot>;
  private readonly streaks: PersistenceStreaks;
  private readonly rings = new Map<string, HorizonRing>();
  private readonly restoredRings: Map<string, HorizonRingState>;
  /** Which versions of each model served: the stable version, and whose baseline a new version inherits. */
  private readonly versions: ModelVersions;
  /** Versions judged against their model's stable version (`compare: stable-version`). */
  private readonly canary: CanaryComparison;
  /** Entities scored and flagged per detector since the last `takeTally` (feeds the breaker). */
  private tally = new Map<string, { scored: number; flagged: Entity[] }>();
  /** Per detector (by index), its owners' scorers: the entries of `scorers`, found by owner. */
  private readonly scorerSlots: OwnerSlots<StreamScorer>[];
  /** Per detector (by index), its entities' rings: the entries of `rings`, found by entity. */
  private readonly ringSlots: OwnerSlots<HorizonRing>[];
  /** Per entity kind, the detectors that watch it, in order. */
  private readonly byKind = new Map<EntityKind, CompiledDetector[]>();
  /** What `scoreHorizons` found for the window it was last called with (scoring is synchronous). */
  private readonly horizonEvidence: Evidence[] = [];

  /**
   * @param autoencoders the loaded model of every autoencoder detector, by detector name (models
   *   load asynchronously, so the caller loads them; see loadAutoencoders in app.ts).
   */
  constructor(
    specs: readonly DetectorSpec[],
    snapshot?: DetectorStateSnapshot,
    private readonly autoencoders: ReadonlyMap<string, AutoencoderDetector> = new Map(),
  ) {
    this.detectors = specs.map((spec, index) => compileDetector(spec, index));
    this.scorerSlots = this.detectors.map((d) => new OwnerSlots<StreamScorer>(d.slots));
    this.ringSlots = this.detectors.map((d) => new OwnerSlots<HorizonRing>(d.features.length));
    for (const detector of this.detectors) {
      const kind = detector.spec.spec.entity;
      const watching = this.byKind.get(kind);
      if (watching === undefined) this.byKind.set(kind, [detector]);
      else watching.push(detector);
    }
    this.restored = new Map(Object.entries(snapshot?.scorers ?? {}));
    this.streaks = new PersistenceStreaks(snapshot?.streaks);
    this.versions = new ModelVersions(DEFAULT_MODEL_VERSIONS_OPTIONS, snapshot?.modelVersions);
    this.canary = new CanaryComparison(this.restored, this.streaks);
    // Checked once, here: a saved ring that does not parse starts afresh, and is not saved again.
    this.restoredRings = new Map();
    for (const [key, saved] of Object.entries(snapshot?.horizons ?? {})) {
      const parsed = horizonRingStateSchema.safeParse(saved);
      if (parsed.success) this.restoredRings.set(key, parsed.data);
    }
  }

  /** Scores one window with every detector that watches its entity kind. */
  score(window: FeatureWindow): Anomaly[] {
    return this.scoreGroup([window]);
  }

  /**
   * Scores windows of the same start together: each autoencoder sees all its windows in one
   * batched call (an order of magnitude cheaper than one call per window); statistical scorers
   * take the windows one by one, in order.
   */
  scoreGroup(windows: readonly FeatureWindow[]): Anomaly[] {
    const verdicts = new Map<string, Map<FeatureWindow, VectorVerdict | undefined>>();
    for (const detector of this.detectors) {
      const model = this.autoencoders.get(detector.name);
      if (!model) continue;
      const mine = windows.filter((w) => this.applies(detector, w));
      if (mine.length === 0) continue;
      const results = model.observeBatch(mine);
      verdicts.set(detector.name, new Map(mine.map((w, i) => [w, results[i]])));
    }
    this.versions.observe(windows);
    const stable = stableWindows(windows, this.versions);
    const anomalies: Anomaly[] = [];
    for (const window of windows) this.scoreOne(window, verdicts, stable, anomalies);
    return anomalies;
  }

  private applies(detector: CompiledDetector, window: FeatureWindow): boolean {
    return this.watches(detector, window) && enoughRequests(detector, window);
  }

  /** Whether the detector watches this entity at all, however few requests its window holds. */
  private watches(detector: CompiledDetector, window: FeatureWindow): boolean {
    const spec = detector.spec.spec;
    if (spec.entity !== window.entity.kind) return false;
    if (detector.namespaces && !detector.namespaces.has(window.entity.namespace ?? '')) return false;
    return detector.matchLabels === undefined || hasLabels(window.entity.labels, detector.matchLabels);
  }

  /**
   * Scores the detector's features over its horizons, into `horizonEvidence`. Every window of a
   * watched entity feeds the rings, including windows under `minRequests`: at a few requests a
   * minute, an hour of them is the evidence. Returns whether any horizon had enough observations
   * to be judged.
   */
  private scoreHorizons(detector: CompiledDetector, owner: string, window: FeatureWindow): boolean {
    const evidence = this.horizonEvidence;
    evidence.length = 0;
    const longest = detector.horizons.at(-1);
    if (longest === undefined) return false;
    let scored = false;
    const spec = detector.spec.spec;
    const windowMs = Math.max(1, window.windowEnd - window.windowStart);
    let rings: (HorizonRing | undefined)[] | undefined;
    let scorers: (StreamScorer | undefined)[] | undefined;
    for (const feature of detector.features) {
      const observed = window.features[feature.name];
      if (feature.aggregate === undefined || observed === undefined || !Number.isFinite(observed)) continue;
      rings ??= this.ringSlots[detector.index]?.of(window.entity.key) ?? [];
      let ring = rings[feature.ringSlot];
      if (ring === undefined) {
        ring = this.ring(detector.keyPrefix + window.entity.key + feature.keySuffix, longest / windowMs, window.windowStart);
        rings[feature.ringSlot] = ring;
      }
      ring.push(window.windowEnd, observed, windowWeight(window, feature.name));
      for (const compiled of feature.horizons) {
        const horizon = compiled.ms;
        const total = ring.aggregate(feature.aggregate, window.windowEnd, horizon);
        if (total === undefined || (spec.minRequests > 0 && total.weight < spec.minRequests)) continue;
        scored = true;
        const label = compiled.label;
        scorers ??= this.scorerSlots[detector.index]?.of(owner) ?? [];
        const result = this.scorerIn(scorers, compiled.slot, detector, owner, window, compiled.keySuffix, compiled.feature).update(total.value, window.windowEnd, total.weight);
        // min and max are per window: a summed feature's bounds grow with the windows it spans.
        const scale = feature.aggregate === 'sum' ? horizon / windowMs : 1;
        const anomalous = result.ready && result.score >= (spec.threshold ?? 1) && stillCarries(observed, total.value / scale, result.expected / scale) &&
          !(feature.min !== undefined && total.value < feature.min * scale) && !(feature.max !== undefined && total.value > feature.max * scale);
        if (spec.persistence > 1) {
          if (this.streaks.record(window.entity.key, compiled.streakKey, anomalous) < spec.persistence) continue;
        } else if (!anomalous) {
          continue;
        }
        evidence.push({
          feature: feature.name, observed: total.value, expected: result.expected, spread: result.spread, score: result.score,
          details: [`over the last ${label}: ${feature.aggregate} of ${total.windows} windows`],
        });
      }
    }
    return scored;
  }

  private ring(key: string, windows: number, since: number): HorizonRing {
    let ring = this.rings.get(key);
    if (ring === undefined) {
      const saved = this.restoredRings.get(key);
      this.restoredRings.delete(key);
      ring = new HorizonRing(windows, since, saved);
      this.rings.set(key, ring);
    }
    return ring;
  }

  /** Scores one window with every detector watching its entity, adding what they flag to `anomalies`. */
  private scoreOne(window: FeatureWindow, verdicts: ReadonlyMap<string, ReadonlyMap<FeatureWindow, VectorVerdict | undefined>>, stable: ReadonlyMap<string, FeatureWindow>, anomalies: Anomaly[]): void {
    const watching = this.byKind.get(window.entity.kind);
    if (watching === undefined) return;
    for (const detector of watching) {
      const spec = detector.spec.spec;
      if (!this.watches(detector, window)) continue;
      if (spec.falco !== undefined) {
        const verdict = this.scoreFalco(detector.name, spec.falco, window);
        if (verdict !== undefined) anomalies.push(verdict);
        continue;
      }
      if (detector.compare !== undefined) {
        const verdict = this.canary.judge(detector, window, stable.get(modelOf(window.entity) ?? ''));
        if (!verdict.scored) continue;
        const counts = this.counts(detector.name);
        counts.scored++;
        if (verdict.evidence.length === 0) continue;
        counts.flagged.push(window.entity);
        anomalies.push(anomalyOf(detector, window, verdict.best, verdict.evidence));
        continue;
      }
      const threshold = spec.threshold ?? 1;
      const owner = detector.cohort ?? window.entity.key;
      const enough = enoughRequests(detector, window);
      const scoredHorizons = this.scoreHorizons(detector, owner, window);
      if (!enough && !scoredHorizons) continue;
      const counts = this.counts(detector.name);
      counts.scored++;
      const evidence: Evidence[] = [];
      let best = 0;
      const model = verdicts.get(detector.name);
      if (model) {
        const verdict = model.get(window);
        if (verdict && verdict.score >= threshold) {
          evidence.push(...autoencoderEvidence(verdict));
          best = verdict.score;
        }
      }
      let scorers: (StreamScorer | undefined)[] | undefined;
      for (const feature of enough ? detector.features : NO_FEATURES) {
        const observed = window.features[feature.name];
        if (observed === undefined || !Number.isFinite(observed)) continue;
        // Too few observations behind the value: neither judged nor learned from, as a window
        // under minRequests is not.
        if (!hasEvidence(window, feature.name, spec.minRequests)) continue;
        scorers ??= this.scorerSlots[detector.index]?.of(owner) ?? [];
        const result = this.scorerIn(scorers, feature.slot, detector, owner, window, feature.keySuffix, feature).update(observed, window.windowEnd, windowWeight(window, feature.name));
        const anomalous = result.ready && result.score >= threshold &&
          !(feature.min !== undefined && observed < feature.min) && !(feature.max !== undefined && observed > feature.max);
        if (spec.persistence > 1) {
          // Consecutive evaluations of this entity's feature, however far apart its reports come.
          if (this.streaks.record(window.entity.key, feature.streakKey, anomalous) < spec.persistence) continue;
        } else if (!anomalous) {
          continue;
        }
        const details = evidenceDetails(window, feature.name);
        evidence.push({
          feature: feature.name, observed, expected: result.expected, spread: result.spread, score: result.score,
          ...(details ? { details } : {}),
        });
        if (result.score > best) best = result.score;
      }
      for (const found of this.horizonEvidence) {
        evidence.push(found);
        if (found.score > best) best = found.score;
      }
      if (evidence.length === 0) continue;
      counts.flagged.push(window.entity);
      anomalies.push(anomalyOf(detector, window, best, evidence));
    }
  }

  private counts(detector: string): { scored: number; flagged: Entity[] } {
    let counts = this.tally.get(detector);
    if (counts === undefined) {
      counts = { scored: 0, flagged: [] };
      this.tally.set(detector, counts);
    }
    return counts;
  }

  /**
   * Where a new model version's baseline comes from: a copy of the scorer state its model's
   * predecessor holds for the same detector and feature (see {@link ModelVersions.predecessor}),
   * so a version that replaces another is judged against the baseline of the version it replaces
   * from its first window. Only a version of the same model, chosen by windows served, never by
   * anything a record names; `{other}` and cohort baselines inherit nothing.
   */
  private heritage(detector: CompiledDetector, window: FeatureWindow, keySuffix: string): (() => ScorerSnapshot | undefined) | undefined {
    const model = modelOf(window.entity);
    const version = window.entity.version;
    if (model === undefined || version === undefined || detector.cohort !== undefined) return undefined;
    return () => {
      const from = this.versions.predecessor(model, version);
      if (from === undefined) return undefined;
      const key = `${detector.keyPrefix}model:${model}@${from}${keySuffix}`;
      return this.scorers.get(key)?.snapshot() ?? this.restored.get(key);
    };
  }

  /**
   * A `falco` detector scores every window of a watched pod (so the breaker sees the share of pods
   * Falco alerts on, not 100%) and flags the ones with selected alerts.
   */
  private scoreFalco(name: string, config: NonNullable<DetectorSpec['spec']['falco']>, window: FeatureWindow): Anomaly | undefined {
    let counts = this.tally.get(name);
    if (counts === undefined) {
      counts = { scored: 0, flagged: [] };
      this.tally.set(name, counts);
    }
    counts.scored++;
    const verdict = falcoVerdict(config, window);
    if (verdict === undefined) return undefined;
    counts.flagged.push(window.entity);
    return {
      id: anomalyId(name, window.entity.key, window.windowStart), detector: name, severity: verdict.severity, entity: window.entity,
      score: verdict.score, windowStart: window.windowStart, windowEnd: window.windowEnd, evidence: verdict.evidence,
    };
  }

  /** How many entities each detector scored, and the ones it flagged, since the last call. */
  takeTally(): Map<string, { scored: number; flagged: Entity[] }> {
    const tally = this.tally;
    this.tally = new Map();
    return tally;
  }

  /** Drops the per-entity state of entities the feature stage forgot. */
  forget(entityKeys: readonly string[]): void {
    if (entityKeys.length === 0) return;
    const gone = new Set(entityKeys);
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
    this.streaks.forget(gone);
    this.canary.forget(gone);
    this.versions.forget(gone);
  }

  /** Number of running persistence streaks (memory is proportional to it). */
  get streakCount(): number {
    return this.streaks.size;
  }

  /** Number of live scorers, comparisons included (memory is proportional to it). */
  get scorerCount(): number {
    return this.scorers.size + this.canary.size;
  }

  /** Model versions with a history (memory is proportional to it). */
  get modelVersionCount(): number {
    return this.versions.size;
  }

  snapshot(): DetectorStateSnapshot {
    const scorers: Record<string, ScorerSnapshot> = Object.fromEntries(this.restored);
    for (const [key, scorer] of this.scorers) scorers[key] = scorer.snapshot();
    this.canary.snapshotInto(scorers);
    const horizons: Record<string, HorizonRingState> = Object.fromEntries(this.restoredRings);
    for (const [key, ring] of this.rings) horizons[key] = ring.state();
    const modelVersions = this.versions.state();
    return { version: 1, scorers, streaks: this.streaks.snapshot(), horizons, ...(modelVersions.length > 0 ? { modelVersions } : {}) };
  }

  /**
   * The scorer in an owner's `slot`: `scorer(<detector>|<owner><keySuffix>)`, with the key (and
   * what a new one would inherit) made only when the slot is empty.
   */
  private scorerIn(slots: (StreamScorer | undefined)[], slot: number, detector: CompiledDetector, owner: string, window: FeatureWindow, keySuffix: string, feature: CompiledFeature): StreamScorer {
    const known = slots[slot];
    if (known !== undefined) return known;
    const scorer = this.scorer(detector.keyPrefix + owner + keySuffix, feature, this.heritage(detector, window, keySuffix));
    slots[slot] = scorer;
    return scorer;
  }

  /**
   * @param key `<detector>|<owner>|<feature>`, with `@<horizon>` for a horizon's baseline (each
   *   time scale has a baseline of its own).
   * @param inherit the state a new scorer starts from when none was saved (a model version's
   *   predecessor's, see {@link heritage}).
   */
  private scorer(key: string, feature: CompiledFeature, inherit?: () => ScorerSnapshot | undefined): StreamScorer {
    let scorer = this.scorers.get(key);
    if (scorer === undefined) {
      const saved = this.restored.size > 0 ? this.restored.get(key) : undefined;
      const start = saved ?? inherit?.();
      scorer = start ? restoreOrFresh(feature.algorithm, start) : createScorer(feature.algorithm);
      if (saved) this.restored.delete(key);
      this.scorers.set(key, scorer);
    }
    return scorer;
  }
}

/** The features scored per window when the window has too few requests: none. */
const NO_FEATURES: readonly CompiledFeature[] = Object.freeze([]);

/** A snapshot from another algorithm or version (the detector was edited) starts a fresh baseline. */
function restoreOrFresh(algorithm: AlgorithmConfig, saved: ScorerSnapshot): StreamScorer {
  try {
    return restoreScorer(algorithm, saved);
  } catch {
    return createScorer(algorithm);
  }
}

/**
 * Whether the newest window still carries at least half of the horizon's departure from its
 * baseline (all per window). A burst already over keeps an hour's sum high for an hour; without
 * this, the horizon would go on alarming on an incident that has ended. A ramp or a sustained
 * regression is in the newest window too, so it still counts.
 */
function stillCarries(latest: number, level: number, expected: number): boolean {
  const excess = level - expected;
  if (excess === 0) return true;
  return (latest - expected) / excess >= 0.5;
}

/**
 * Whether the window holds enough requests to be scored on its own. A model window has no
 * access-log requests: its features are held to their own counts instead (hasEvidence, per
 * feature), so a drift report in a window without telemetry is still judged.
 */
function enoughRequests(detector: CompiledDetector, window: FeatureWindow): boolean {
  const spec = detector.spec.spec;
  if (window.entity.kind === 'model') return true;
  return !(spec.minRequests > 0 && (window.features.requests ?? 0) < spec.minRequests);
}

function hasLabels(labels: Readonly<Record<string, string>> | undefined, wanted: readonly (readonly [string, string])[]): boolean {
  for (const [key, value] of wanted) if (labels?.[key] !== value) return false;
  return true;
}

function anomalyOf(detector: CompiledDetector, window: FeatureWindow, score: number, evidence: readonly Evidence[]): Anomaly {
  return {
    id: anomalyId(detector.name, window.entity.key, window.windowStart), detector: detector.name, severity: detector.spec.spec.severity,
    entity: window.entity, score, windowStart: window.windowStart, windowEnd: window.windowEnd, evidence,
  };
}

function anomalyId(detector: string, entity: string, windowStart: number): string {
  return createHash('sha256').update(`${detector}\n${entity}\n${windowStart}`).digest('hex').slice(0, 24);
}
