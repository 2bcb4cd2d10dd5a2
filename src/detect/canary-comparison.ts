import type { FeatureWindow } from '../features/feature-window.js';
import type { Evidence } from './anomaly.js';
import type { CompiledDetector, CompiledFeature } from './compile-detector.js';
import { evidenceCount } from './feature-evidence.js';
import { modelOf, type ModelVersions } from './model-versions.js';
import type { PersistenceStreaks } from './persistence-streaks.js';
import { createReferenceScorer } from './stats/algorithm-registry.js';
import type { ReferenceScorer, ScorerSnapshot } from './stream-scorer.js';

/** What one detector's comparison made of one version's window. */
export interface CanaryVerdict {
  /** Whether any feature had enough inferences on both sides to be judged. */
  readonly scored: boolean;
  readonly evidence: readonly Evidence[];
  readonly best: number;
}

const NOT_JUDGED: CanaryVerdict = Object.freeze({ scored: false, evidence: Object.freeze([]), best: 0 });

/** The windows since a comparison's evidence last started from zero: what its anomaly reports. */
interface Run {
  windows: number;
  value: number;
  count: number;
  reference: number;
  referenceCount: number;
}

/**
 * The stable version's window of each model in a group of windows of one start, by model
 * (`namespace/name`): what every other version of the model is judged against. A model whose
 * stable version served nothing in the window has none, and its other versions get no verdict.
 */
export function stableWindows(windows: readonly FeatureWindow[], versions: ModelVersions): Map<string, FeatureWindow> {
  const stable = new Map<string, FeatureWindow>();
  for (const window of windows) {
    const model = modelOf(window.entity);
    if (model === undefined || window.entity.version === undefined) continue;
    if (versions.stable(model, window.windowEnd) === window.entity.version) stable.set(model, window);
  }
  return stable;
}

/**
 * Judges model versions against their model's stable version, window by window (`compare:
 * stable-version`): per (detector, version, feature) one {@link ReferenceScorer} accumulates the
 * evidence of the windows in which both versions served, each window weighted by the inferences
 * of both sides, so a canary at a tenth of the traffic is judged from its first minutes, with no
 * baseline of its own. A feature is judged only when both sides hold at least the detector's
 * `minRequests` (and at least one) of the observations it stands on.
 */
export class CanaryComparison {
  private readonly scorers = new Map<string, ReferenceScorer>();
  private readonly runs = new Map<string, Run>();

  /** @param restored saved scorer states by key, shared with the runtime (taken from as used). */
  constructor(private readonly restored: Map<string, ScorerSnapshot>, private readonly streaks: PersistenceStreaks) {}

  /** Judges `window` (one version of a model) against `stable` (its stable version's window). */
  judge(detector: CompiledDetector, window: FeatureWindow, stable: FeatureWindow | undefined): CanaryVerdict {
    if (stable === undefined || stable.entity.key === window.entity.key) return NOT_JUDGED;
    const spec = detector.spec.spec;
    const minimum = Math.max(1, spec.minRequests);
    const threshold = spec.threshold ?? 1;
    const evidence: Evidence[] = [];
    let scored = false;
    let best = 0;
    for (const feature of detector.features) {
      const value = window.features[feature.name];
      const reference = stable.features[feature.name];
      const count = evidenceCount(window, feature.name) ?? 0;
      const referenceCount = evidenceCount(stable, feature.name) ?? 0;
      if (value === undefined || reference === undefined || !Number.isFinite(value) || !Number.isFinite(reference)) continue;
      if (count < minimum || referenceCount < minimum) continue;
      const key = detector.keyPrefix + window.entity.key + feature.keySuffix;
      const scorer = this.scorer(key, feature);
      if (scorer === undefined) continue;
      scored = true;
      // A level compares two means (variance 1/n + 1/m); a share counts the canary's failures.
      const weight = feature.algorithm.type === 'binomial-cusum' ? count : (count * referenceCount) / (count + referenceCount);
      const result = scorer.compare(value, reference, window.windowEnd, weight);
      const run = this.extend(key, value, count, reference, referenceCount);
      const anomalous = result.score >= threshold &&
        !(feature.min !== undefined && value < feature.min) && !(feature.max !== undefined && value > feature.max);
      if (result.score === 0 || result.score >= threshold) this.runs.delete(key);
      if (spec.persistence > 1) {
        if (this.streaks.record(window.entity.key, feature.streakKey, anomalous) < spec.persistence) continue;
      } else if (!anomalous) {
        continue;
      }
      evidence.push({
        feature: feature.name, observed: value, expected: reference, spread: result.spread, score: result.score,
        details: [describeRun(feature.name, window, stable, run)],
      });
      if (result.score > best) best = result.score;
    }
    return scored ? { scored, evidence, best } : NOT_JUDGED;
  }

  private extend(key: string, value: number, count: number, reference: number, referenceCount: number): Run {
    let run = this.runs.get(key);
    if (run === undefined) {
      run = { windows: 0, value: 0, count: 0, reference: 0, referenceCount: 0 };
      this.runs.set(key, run);
    }
    run.windows++;
    run.value += value * count;
    run.count += count;
    run.reference += reference * referenceCount;
    run.referenceCount += referenceCount;
    return run;
  }

  private scorer(key: string, feature: CompiledFeature): ReferenceScorer | undefined {
    let scorer = this.scorers.get(key);
    if (scorer === undefined) {
      const saved = this.restored.get(key);
      this.restored.delete(key);
      try {
        scorer = createReferenceScorer(feature.algorithm, saved);
      } catch {
        // A snapshot from another algorithm or version (the detector was edited) starts afresh.
        scorer = createReferenceScorer(feature.algorithm);
      }
      if (scorer === undefined) return undefined;
      this.scorers.set(key, scorer);
    }
    return scorer;
  }

  /** Drops the state of entities the feature stage forgot. */
  forget(gone: ReadonlySet<string>): void {
    for (const map of [this.scorers, this.runs] as const) {
      for (const key of map.keys()) {
        const entity = key.split('|')[1];
        if (entity !== undefined && gone.has(entity)) map.delete(key);
      }
    }
  }

  /** Number of live comparisons (memory is proportional to it). */
  get size(): number {
    return this.scorers.size;
  }

  /** Adds every comparison's state to `scorers` (keys as the runtime's: `detector|entity|feature`). */
  snapshotInto(scorers: Record<string, ScorerSnapshot>): void {
    for (const [key, scorer] of this.scorers) scorers[key] = scorer.snapshot();
  }
}

/** How a compared feature reads: its name in the sentence and its value with a unit. */
const FORMATS: Readonly<Record<string, { readonly label: string; readonly value: (v: number) => string }>> = {
  model_latency_p95: { label: 'p95', value: (v) => `${round(v)} ms` },
  model_failure_ratio: { label: 'failures', value: (v) => `${round(v * 100)}%` },
  confidence_mean: { label: 'mean confidence', value: (v) => round(v) },
};

/**
 * `v4 p95 420 ms vs stable v3 180 ms over the same 3 windows, 37 vs 310 inferences`: both
 * versions, both values (weighted by their inferences over the windows behind the verdict) and the
 * observations on each side.
 */
function describeRun(feature: string, window: FeatureWindow, stable: FeatureWindow, run: Run): string {
  const format = FORMATS[feature] ?? { label: feature, value: round };
  const value = run.count > 0 ? run.value / run.count : 0;
  const reference = run.referenceCount > 0 ? run.reference / run.referenceCount : 0;
  const unit = feature === 'confidence_mean' ? 'predictions' : 'inferences';
  const windows = run.windows === 1 ? 'in the same window' : `over the same ${run.windows} windows`;
  return `${window.entity.version ?? '?'} ${format.label} ${format.value(value)} vs stable ${stable.entity.version ?? '?'} ${format.value(reference)} ${windows}, ${round(run.count)} vs ${round(run.referenceCount)} ${unit}`;
}

function round(value: number): string {
  return String(Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 10) / 10);
}
