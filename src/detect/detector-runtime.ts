import { createHash } from 'node:crypto';
import { evidenceDetails } from '../features/evidence-details.js';
import type { Entity } from '../features/entity.js';
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
import { formatDuration } from '../shared/duration.js';
import { HORIZON_AGGREGATES, HorizonRing, horizonRingStateSchema, windowWeight, type HorizonAggregate, type HorizonRingState } from './horizon-ring.js';

interface CompiledFeature {
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
}

/** One horizon of one feature, with the strings its scoring needs made once. */
interface CompiledHorizon {
  readonly ms: number;
  /** `15m`. */
  readonly label: string;
  /** The feature as the horizon's baseline sees it (`horizonAlgorithm`). */
  readonly feature: CompiledFeature;
  /** `|<feature>@<label>`. */
  readonly keySuffix: string;
  /** `<detector>|<feature>@<label>`. */
  readonly streakKey: string;
}

interface CompiledDetector {
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
}

/** Saved scorer state of every detector, keyed by `detector|entity|feature`. */
export interface DetectorStateSnapshot {
  readonly version: 1;
  readonly scorers: Record<string, ScorerSnapshot>;
  /** Running streaks of detectors with `persistence` (absent in snapshots from before it existed). */
  readonly streaks?: StreakSnapshot;
  /** Recent per-window values behind detectors with `horizons`, keyed by `detector|entity|feature`. */
  readonly horizons?: Record<string, HorizonRingState>;
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
  /** Entities scored and flagged per detector since the last `takeTally` (feeds the breaker). */
  private tally = new Map<string, { scored: number; flagged: Entity[] }>();

  /**
   * @param autoencoders the loaded model of every autoencoder detector, by detector name (models
   *   load asynchronously, so the caller loads them; see loadAutoencoders in app.ts).
   */
  constructor(
    specs: readonly DetectorSpec[],
    snapshot?: DetectorStateSnapshot,
    private readonly autoencoders: ReadonlyMap<string, AutoencoderDetector> = new Map(),
  ) {
    this.detectors = specs.map(compile);
    this.restored = new Map(Object.entries(snapshot?.scorers ?? {}));
    this.streaks = new PersistenceStreaks(snapshot?.streaks);
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
    const anomalies: Anomaly[] = [];
    for (const window of windows) anomalies.push(...this.scoreOne(window, verdicts));
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
   * Scores the detector's features over its horizons. Every window of a watched entity feeds the
   * rings, including windows under `minRequests`: at a few requests a minute, an hour of them is
   * the evidence. `scored` says whether any horizon had enough observations to be judged.
   */
  private scoreHorizons(detector: CompiledDetector, owner: string, window: FeatureWindow): { readonly scored: boolean; readonly evidence: readonly Evidence[] } {
    const longest = detector.horizons.at(-1);
    if (longest === undefined) return NO_HORIZONS;
    const evidence: Evidence[] = [];
    let scored = false;
    const spec = detector.spec.spec;
    const windowMs = Math.max(1, window.windowEnd - window.windowStart);
    for (const feature of detector.features) {
      const observed = window.features[feature.name];
      if (feature.aggregate === undefined || observed === undefined || !Number.isFinite(observed)) continue;
      const ring = this.ring(detector.keyPrefix + window.entity.key + feature.keySuffix, longest / windowMs, window.windowStart);
      ring.push(window.windowEnd, observed, windowWeight(window, feature.name));
      for (const compiled of feature.horizons) {
        const horizon = compiled.ms;
        const total = ring.aggregate(feature.aggregate, window.windowEnd, horizon);
        if (total === undefined || (spec.minRequests > 0 && total.weight < spec.minRequests)) continue;
        scored = true;
        const label = compiled.label;
        const result = this.scorer(detector.keyPrefix + owner + compiled.keySuffix, compiled.feature).update(total.value, window.windowEnd, total.weight);
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
    return { scored, evidence };
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

  private scoreOne(window: FeatureWindow, verdicts: ReadonlyMap<string, ReadonlyMap<FeatureWindow, VectorVerdict | undefined>>): Anomaly[] {
    const anomalies: Anomaly[] = [];
    for (const detector of this.detectors) {
      const spec = detector.spec.spec;
      if (!this.watches(detector, window)) continue;
      if (spec.falco !== undefined) {
        const verdict = this.scoreFalco(detector.name, spec.falco, window);
        if (verdict !== undefined) anomalies.push(verdict);
        continue;
      }
      const threshold = spec.threshold ?? 1;
      const owner = detector.cohort ?? window.entity.key;
      const enough = enoughRequests(detector, window);
      const horizons = this.scoreHorizons(detector, owner, window);
      if (!enough && !horizons.scored) continue;
      let counts = this.tally.get(detector.name);
      if (counts === undefined) {
        counts = { scored: 0, flagged: [] };
        this.tally.set(detector.name, counts);
      }
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
      for (const feature of enough ? detector.features : []) {
        const observed = window.features[feature.name];
        if (observed === undefined || !Number.isFinite(observed)) continue;
        // Too few observations behind the value: neither judged nor learned from, as a window
        // under minRequests is not.
        if (!hasEvidence(window, feature.name, spec.minRequests)) continue;
        const result = this.scorer(detector.keyPrefix + owner + feature.keySuffix, feature).update(observed, window.windowEnd, windowWeight(window, feature.name));
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
      for (const found of horizons.evidence) {
        evidence.push(found);
        if (found.score > best) best = found.score;
      }
      if (evidence.length === 0) continue;
      counts.flagged.push(window.entity);
      anomalies.push({
        id: anomalyId(detector.name, window.entity.key, window.windowStart),
        detector: detector.name,
        severity: spec.severity,
        entity: window.entity,
        score: best,
        windowStart: window.windowStart,
        windowEnd: window.windowEnd,
        evidence,
      });
    }
    return anomalies;
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
    this.streaks.forget(gone);
  }

  /** Number of running persistence streaks (memory is proportional to it). */
  get streakCount(): number {
    return this.streaks.size;
  }

  /** Number of live scorers (memory is proportional to it). */
  get scorerCount(): number {
    return this.scorers.size;
  }

  snapshot(): DetectorStateSnapshot {
    const scorers: Record<string, ScorerSnapshot> = Object.fromEntries(this.restored);
    for (const [key, scorer] of this.scorers) scorers[key] = scorer.snapshot();
    const horizons: Record<string, HorizonRingState> = Object.fromEntries(this.restoredRings);
    for (const [key, ring] of this.rings) horizons[key] = ring.state();
    return { version: 1, scorers, streaks: this.streaks.snapshot(), horizons };
  }

  /**
   * @param key `<detector>|<owner>|<feature>`, with `@<horizon>` for a horizon's baseline (each
   *   time scale has a baseline of its own).
   */
  private scorer(key: string, feature: CompiledFeature): StreamScorer {
    let scorer = this.scorers.get(key);
    if (scorer === undefined) {
      const saved = this.restored.size > 0 ? this.restored.get(key) : undefined;
      scorer = saved ? restoreOrFresh(feature.algorithm, saved) : createScorer(feature.algorithm);
      if (saved) this.restored.delete(key);
      this.scorers.set(key, scorer);
    }
    return scorer;
  }
}

/** What a detector without horizons scores over them (every window asks). */
const NO_HORIZONS: { readonly scored: boolean; readonly evidence: readonly Evidence[] } = Object.freeze({ scored: false, evidence: Object.freeze([]) });

/** A snapshot from another algorithm or version (the detector was edited) starts a fresh baseline. */
function restoreOrFresh(algorithm: AlgorithmConfig, saved: ScorerSnapshot): StreamScorer {
  try {
    return restoreScorer(algorithm, saved);
  } catch {
    return createScorer(algorithm);
  }
}

function compile(spec: DetectorSpec): CompiledDetector {
  const name = spec.metadata.name;
  const horizons = [...new Set(spec.spec.horizons ?? [])].sort((a, b) => a - b);
  const features = (spec.spec.features ?? []).map((feature): CompiledFeature => {
    const algorithm = feature.algorithm ?? spec.spec.algorithm;
    // The schema guarantees one of them is set; this guards against a caller bypassing it.
    if (algorithm === undefined) throw new Error(`detector ${name}: feature ${feature.name} has no algorithm`);
    const compiled: CompiledFeature = {
      name: feature.name, algorithm, horizonAlgorithm: feature.horizonAlgorithm ?? algorithm,
      ...(feature.min !== undefined ? { min: feature.min } : {}),
      ...(feature.max !== undefined ? { max: feature.max } : {}),
      ...(spec.spec.horizons !== undefined ? { aggregate: HORIZON_AGGREGATES[feature.name] } : {}),
      keySuffix: `|${feature.name}`, streakKey: `${name}|${feature.name}`, horizons: [],
    };
    const perHorizon = horizons.map((ms): CompiledHorizon => {
      const label = formatDuration(ms);
      return {
        ms, label, feature: { ...compiled, algorithm: compiled.horizonAlgorithm },
        keySuffix: `|${feature.name}@${label}`, streakKey: `${name}|${feature.name}@${label}`,
      };
    });
    return { ...compiled, horizons: perHorizon };
  });
  return {
    spec, name, keyPrefix: `${name}|`, features, horizons,
    ...(spec.spec.baseline === 'cohort' ? { cohort: `cohort:${spec.spec.entity}` } : {}),
    ...(spec.spec.matchLabels ? { matchLabels: Object.entries(spec.spec.matchLabels) } : {}),
    ...(spec.spec.namespaces ? { namespaces: new Set(spec.spec.namespaces) } : {}),
  };
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

function anomalyId(detector: string, entity: string, windowStart: number): string {
  return createHash('sha256').update(`${detector}\n${entity}\n${windowStart}`).digest('hex').slice(0, 24);
}
