import { createHash } from 'node:crypto';
import { evidenceDetails } from '../features/evidence-details.js';
import type { Entity, EntityKind } from '../features/entity.js';
import type { FeatureWindow } from '../features/feature-window.js';
import type { StreamScorer } from './stream-scorer.js';
import type { Anomaly, Evidence } from './anomaly.js';
import type { AutoencoderDetector, VectorVerdict } from './autoencoder/autoencoder-detector.js';
import { autoencoderEvidence } from './autoencoder/autoencoder-evidence.js';
import type { DetectorSpec } from './detector-spec.js';
import { falcoVerdict } from './falco-detector.js';
import { hasEvidence } from './feature-evidence.js';
import { PersistenceStreaks } from './persistence-streaks.js';
import { CanaryComparison, stableWindows } from './canary-comparison.js';
import { DEFAULT_MODEL_VERSIONS_OPTIONS, ModelVersions, modelOf } from './model-versions.js';
import { windowWeight, type HorizonRing } from './horizon-ring.js';
import { compileDetector, type CompiledDetector, type CompiledFeature } from './compile-detector.js';
import type { DetectorStateSnapshot } from './detector-state.js';
import { ScorerStore } from './scorer-store.js';

/**
 * Runs every detector over closed feature windows. Holds one scorer per (detector, entity or
 * cohort, feature); each window is scored before it is absorbed, so there is no look-ahead.
 */
export class DetectorRuntime {
  private readonly detectors: CompiledDetector[];
  private readonly store: ScorerStore;
  private readonly streaks: PersistenceStreaks;
  /** Which versions of each model served: the stable version, and whose baseline a new version inherits. */
  private readonly versions: ModelVersions;
  /** Versions judged against their model's stable version (`compare: stable-version`). */
  private readonly canary: CanaryComparison;
  /** Entities scored and flagged per detector since the last `takeTally` (feeds the breaker). */
  private tally = new Map<string, { scored: number; flagged: Entity[] }>();
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
    for (const detector of this.detectors) {
      const kind = detector.spec.spec.entity;
      const watching = this.byKind.get(kind);
      if (watching === undefined) this.byKind.set(kind, [detector]);
      else watching.push(detector);
    }
    this.streaks = new PersistenceStreaks(snapshot?.streaks);
    this.versions = new ModelVersions(DEFAULT_MODEL_VERSIONS_OPTIONS, snapshot?.modelVersions);
    this.store = new ScorerStore(this.detectors, this.versions, snapshot);
    this.canary = new CanaryComparison(this.store.restored, this.streaks);
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
      rings ??= this.store.ringsOf(detector, window.entity.key);
      const ring = this.store.ringIn(rings, feature.ringSlot, detector, window.entity.key, feature.keySuffix, longest / windowMs, window.windowStart);
      ring.push(window.windowEnd, observed, windowWeight(window, feature.name));
      for (const compiled of feature.horizons) {
        const horizon = compiled.ms;
        const total = ring.aggregate(feature.aggregate, window.windowEnd, horizon);
        if (total === undefined || (spec.minRequests > 0 && total.weight < spec.minRequests)) continue;
        scored = true;
        const label = compiled.label;
        scorers ??= this.store.scorersOf(detector, owner);
        const result = this.store.scorerIn(scorers, compiled.slot, detector, owner, window, compiled.keySuffix, compiled.feature).update(total.value, window.windowEnd, total.weight);
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
        scorers ??= this.store.scorersOf(detector, owner);
        const result = this.store.scorerIn(scorers, feature.slot, detector, owner, window, feature.keySuffix, feature).update(observed, window.windowEnd, windowWeight(window, feature.name));
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
    this.store.forget(gone);
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
    return this.store.size + this.canary.size;
  }

  /** Model versions with a history (memory is proportional to it). */
  get modelVersionCount(): number {
    return this.versions.size;
  }

  snapshot(): DetectorStateSnapshot {
    const { scorers, horizons } = this.store.snapshot();
    this.canary.snapshotInto(scorers);
    const modelVersions = this.versions.state();
    return { version: 1, scorers, streaks: this.streaks.snapshot(), horizons, ...(modelVersions.length > 0 ? { modelVersions } : {}) };
  }
}

/** The features scored per window when the window has too few requests: none. */
const NO_FEATURES: readonly CompiledFeature[] = Object.freeze([]);

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
