import { join } from 'node:path';
import type { FeatureWindow } from '../../features/feature-window.js';
import type { Clock } from '../../shared/clock.js';
import { describeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { surpriseToScore } from '../stats/surprise-score.js';
import type { AutoencoderConfig } from './autoencoder-config.js';
import type { AutoencoderManifest } from './autoencoder-manifest.js';
import { encodeInput } from './autoencoder-network.js';
import { AutoencoderStateError } from './autoencoder-state-error.js';
import { FeatureScaler } from './feature-scaler.js';
import { ModelStore } from './model-store.js';
import { loadTensorflow, type TensorflowRuntime } from './tensorflow-runtime.js';
import { TrainingThread } from './training-thread.js';
import { trainModel, type InstalledModel, type ManifestDraft, type StoredWindow } from './model-training.js';

/** What the detector needs from its surroundings. */
export interface AutoencoderDeps {
  /**
   * This detector's own folder (see {@link autoencoderStateDir}); the model, its manifest and the
   * training windows live there. Without it nothing is persisted.
   */
  readonly stateDir?: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly tensorflow: TensorflowRuntime;
  /**
   * Train on a worker thread (same code, backend and seeds, so the same weights) rather than in
   * slices on the event loop; falls back to in-process when the thread cannot run.
   */
  readonly trainInThread?: boolean;
  /**
   * The training thread to use, shared with other detectors (implies `trainInThread`): the detector
   * holds it while open and releases it on close.
   */
  readonly trainingThread?: TrainingThread;
}

/** Options of {@link AutoencoderDetector.load}. */
export interface AutoencoderLoadOptions {
  /**
   * What to do with a saved model trained on another feature list: `refuse` (default) throws an
   * {@link AutoencoderStateError} saying what differs; `retrain` logs the same and starts afresh
   * (the next model still gets a higher version than the refused one).
   */
  readonly onSchemaMismatch?: 'refuse' | 'retrain';
}

/** One feature's part in a verdict. */
export interface FeatureContribution {
  readonly feature: string;
  /** Raw observed value. */
  readonly observed: number;
  /** What the model reconstructed, in raw units. */
  readonly expected: number;
  /** Raw-unit width of one scaled unit around the expectation (a baseline sigma). */
  readonly spread: number;
  /** Share of the vector's squared reconstruction error, in [0, 1]; the shares sum to 1. */
  readonly contribution: number;
}

/** The autoencoder's verdict on one window. */
export interface VectorVerdict {
  /** In [0, 1), monotone in the reconstruction error, 0.5 at the learned error quantile. */
  readonly score: number;
  /** Root mean squared reconstruction error over the present features, in scaled units. */
  readonly error: number;
  /** The baseline error at the configured quantile (the error that scores 0.5). */
  readonly errorQuantile: number;
  readonly modelVersion: number;
  /** Present features, largest contribution first. */
  readonly features: readonly FeatureContribution[];
  /** Features absent from the window: not part of the error. */
  readonly missing: readonly string[];
}

/** What {@link AutoencoderDetector.maybeRetrain} did. */
export type RetrainOutcome =
  | { readonly status: 'trained'; readonly version: number; readonly windows: number; readonly saved: boolean }
  | { readonly status: 'not-due' | 'busy' | 'insufficient-data' | 'closed' }
  | { readonly status: 'failed'; readonly reason: string };

/** Counters for logs and metrics. */
export interface AutoencoderStatus {
  /** Version of the model scoring now; undefined until the first one is trained or loaded. */
  readonly modelVersion: number | undefined;
  readonly trainingWindows: number;
  readonly windowsSinceTraining: number;
  readonly excludedSinceTraining: number;
  readonly training: boolean;
  readonly backend: string;
}

/** The folder of one autoencoder detector under the engine's state directory. */
export function autoencoderStateDir(stateDir: string, detectorName: string): string {
  return join(stateDir, 'autoencoder', detectorName);
}

interface Prepared {
  readonly raw: readonly (number | undefined)[];
  readonly at: number;
  readonly eligible: boolean;
}

/**
 * An anomaly detector over whole feature vectors: a small dense autoencoder learns what normal
 * windows look like (one model shared by every entity the detector watches) and a window it cannot
 * reconstruct is anomalous. Scoring is synchronous; training is asynchronous (on a worker thread
 * with `trainInThread`, else chunked on the event loop), and the previous model keeps scoring until
 * the next one is installed. Windows that score at or above the poisoning guard are never learned from.
 */
export class AutoencoderDetector {
  private readonly names: readonly string[];
  private readonly store: ModelStore | undefined;
  private current: InstalledModel | undefined;
  /** Ring of clean training windows; `next` is where the next one goes once it is full. */
  private readonly windows: StoredWindow[] = [];
  private next = 0;
  private windowsSinceTraining = 0;
  private excludedSinceTraining = 0;
  private lastVersion = 0;
  private savedVersion = 0;
  private training: Promise<RetrainOutcome> | undefined;
  /** The last training failed: the next attempt waits `retrainEvery` windows, even for a first model. */
  private failed = false;
  private closed = false;
  /** Saves and disposals run one at a time, so a model is never disposed while being written. */
  private queue: Promise<void> = Promise.resolve();
  private readonly thread: TrainingThread | undefined;

  constructor(
    private readonly config: AutoencoderConfig,
    private readonly deps: AutoencoderDeps,
  ) {
    this.names = [...config.features];
    this.store = deps.stateDir === undefined ? undefined : new ModelStore(deps.stateDir);
    this.thread = (deps.trainingThread ?? (deps.trainInThread === true ? new TrainingThread(deps.tensorflow, deps.logger) : undefined))?.hold();
    this.thread?.warm();
  }

  /**
   * Opens a detector from its folder: reloads the saved model (refusing one trained on another
   * feature list, see {@link AutoencoderLoadOptions}) and the saved training windows. An empty or
   * absent folder gives a fresh detector. Loads TensorFlow.js when `deps.tensorflow` is not given.
   */
  static async load(
    config: AutoencoderConfig,
    deps: Omit<AutoencoderDeps, 'tensorflow'> & { readonly tensorflow?: TensorflowRuntime },
    options: AutoencoderLoadOptions = {},
  ): Promise<AutoencoderDetector> {
    const tensorflow = deps.tensorflow ?? (await loadTensorflow({ logger: deps.logger }));
    const detector = new AutoencoderDetector(config, { ...deps, tensorflow });
    const store = detector.store;
    if (store === undefined) return detector;
    try {
      await detector.restore(store, options);
    } catch (error) {
      // A detector that cannot open releases what it holds (its training thread).
      await detector.close();
      throw error;
    }
    return detector;
  }

  /** Reloads the saved model and training windows from `store` (see {@link load}). */
  private async restore(store: ModelStore, options: AutoencoderLoadOptions): Promise<void> {
    const { tensorflow } = this.deps;
    const manifest = await store.readManifest();
    let featuresMatch = true;
    if (manifest !== undefined) {
      const mismatch = describeMismatch(manifest.featureSchema.names, this.config.features);
      this.lastVersion = manifest.version;
      if (mismatch !== undefined) {
        featuresMatch = false;
        const message = `${store.dir}: model v${manifest.version} was trained on features [${manifest.featureSchema.names.join(', ')}] but the detector reads [${this.config.features.join(', ')}] (${mismatch}); restore the feature list, or remove the folder to train a new model`;
        if ((options.onSchemaMismatch ?? 'refuse') === 'refuse') throw new AutoencoderStateError('autoencoder-schema-mismatch', message);
        this.deps.logger.warn({ dir: store.dir, version: manifest.version }, `${message}; training a new model`);
      } else {
        const network = await store.readModel(tensorflow.tf, manifest);
        const { artifacts, ...draft } = manifest;
        this.current = { network, scaler: FeatureScaler.fromScalings(manifest.featureSchema.scaling), manifest: draft, artifacts };
        this.savedVersion = manifest.version;
        this.deps.logger.info(
          { dir: store.dir, version: manifest.version, trainedOn: manifest.backend, backend: tensorflow.backend, errorQuantile: manifest.errorQuantile.value },
          'autoencoder model loaded',
        );
      }
    }
    const saved = await store.readTrainingWindows();
    if (saved !== undefined) {
      if (featuresMatch && describeMismatch(saved.features, this.config.features) === undefined) {
        for (const w of saved.windows) this.remember({ at: w.at, values: w.values.map((v) => v ?? undefined) });
        this.windowsSinceTraining = saved.windowsSinceTraining;
        this.excludedSinceTraining = saved.excludedSinceTraining;
      } else {
        this.deps.logger.warn({ dir: store.dir }, 'saved training windows were collected for another feature list; starting a new collection');
      }
    }
  }

  /**
   * Scores one closed window against the current model, then keeps it for training unless it
   * scored at or above the poisoning guard. Returns undefined while there is no model yet, or when
   * the window misses too many features to judge.
   */
  observe(window: FeatureWindow): VectorVerdict | undefined {
    return this.observeBatch([window])[0];
  }

  /**
   * {@link observe} for several windows at once (e.g. every window one watermark advance closed):
   * one model call for all of them, which is where TensorFlow.js is fast. Verdicts are returned
   * in input order.
   */
  observeBatch(windows: readonly FeatureWindow[]): (VectorVerdict | undefined)[] {
    const prepared = windows.map((w) => this.prepare(w));
    const verdicts = this.scoreAll(prepared);
    prepared.forEach((p, i) => { this.absorb(p, verdicts[i]); });
    return verdicts;
  }

  /** True when {@link maybeRetrain} would train now. */
  get retrainDue(): boolean {
    if (this.training !== undefined || this.closed || this.windows.length < this.config.trainAfter) return false;
    return (this.current === undefined && !this.failed) || this.windowsSinceTraining >= this.config.retrainEvery;
  }

  /**
   * Trains a new model when one is due: first when `trainAfter` clean windows are kept, then every
   * `retrainEvery` windows. Training runs on the training thread or in small asynchronous steps; the current model keeps
   * scoring until the new one is installed (and saved, when there is a state folder). Never rejects:
   * a failed training is logged, reported, and retried after another `retrainEvery` windows (also
   * when it was the first, so a persistent failure cannot turn into a retry per window).
   */
  async maybeRetrain(): Promise<RetrainOutcome> {
    if (this.closed) return { status: 'closed' };
    if (this.training !== undefined) return { status: 'busy' };
    if (!this.retrainDue) return { status: this.windows.length < this.config.trainAfter ? 'insufficient-data' : 'not-due' };
    const training = this.retrain();
    this.training = training;
    try {
      return await training;
    } finally {
      this.training = undefined;
    }
  }

  /**
   * Writes the current model (when not yet written), its manifest and the training windows to the
   * state folder. A no-op without one.
   */
  async save(): Promise<void> {
    await this.enqueue(() => this.persist());
  }

  /** Stops any training at its next epoch, waits for pending saves and frees the model. */
  async close(): Promise<void> {
    this.closed = true;
    await this.training;
    await this.thread?.release();
    await this.enqueue(() => {
      this.current?.network.dispose();
      this.current = undefined;
      return Promise.resolve();
    });
  }

  get status(): AutoencoderStatus {
    return {
      modelVersion: this.current?.manifest.version,
      trainingWindows: this.windows.length,
      windowsSinceTraining: this.windowsSinceTraining,
      excludedSinceTraining: this.excludedSinceTraining,
      training: this.training !== undefined,
      backend: this.deps.tensorflow.backend,
    };
  }

  /** The manifest of the model scoring now (artifacts once it was saved). */
  get manifest(): ManifestDraft | AutoencoderManifest | undefined {
    const current = this.current;
    if (current === undefined) return undefined;
    return current.artifacts === undefined ? current.manifest : { ...current.manifest, artifacts: current.artifacts };
  }

  private prepare(window: FeatureWindow): Prepared {
    const raw = this.names.map((name) => {
      const value = window.features[name];
      return value !== undefined && Number.isFinite(value) ? value : undefined;
    });
    const missing = raw.filter((v) => v === undefined).length;
    return { raw, at: window.windowEnd, eligible: missing < raw.length && missing / raw.length <= this.config.maxMissingShare };
  }

  private scoreAll(prepared: readonly Prepared[]): (VectorVerdict | undefined)[] {
    const model = this.current;
    const verdicts: (VectorVerdict | undefined)[] = prepared.map(() => undefined);
    if (model === undefined) return verdicts;
    const rows: number[] = [];
    prepared.forEach((p, i) => { if (p.eligible) rows.push(i); });
    if (rows.length === 0) return verdicts;
    const n = this.names.length;
    const scaled = rows.map((i) => model.scaler.scale(prepared[i]?.raw ?? []));
    const inputs = new Float32Array(rows.length * 2 * n);
    scaled.forEach((s, row) => { encodeInput(s, inputs, row); });
    const reconstructed = model.network.reconstruct(inputs, rows.length);
    rows.forEach((i, row) => {
      const p = prepared[i];
      const s = scaled[row];
      if (p === undefined || s === undefined) return;
      verdicts[i] = this.verdict(model, p.raw, s, reconstructed.subarray(row * n, (row + 1) * n));
    });
    return verdicts;
  }

  private verdict(model: InstalledModel, raw: readonly (number | undefined)[], scaled: Float64Array, reconstructed: Float32Array): VectorVerdict {
    const residuals = new Float64Array(scaled.length);
    let sumSquares = 0;
    let present = 0;
    const missing: string[] = [];
    scaled.forEach((value, i) => {
      if (Number.isNaN(value)) {
        missing.push(this.names[i] ?? '');
        return;
      }
      const r = value - (reconstructed[i] ?? 0);
      residuals[i] = r;
      sumSquares += r * r;
      present++;
    });
    const error = Math.sqrt(sumSquares / Math.max(present, 1));
    const errorQuantile = model.manifest.errorQuantile.value;
    const features: FeatureContribution[] = [];
    scaled.forEach((value, i) => {
      const observed = raw[i];
      if (Number.isNaN(value) || observed === undefined) return;
      const expectedScaled = reconstructed[i] ?? 0;
      const r = residuals[i] ?? 0;
      features.push({
        feature: this.names[i] ?? '',
        observed,
        expected: model.scaler.unscale(i, expectedScaled),
        spread: model.scaler.spread(i, expectedScaled),
        contribution: sumSquares > 0 ? (r * r) / sumSquares : 0,
      });
    });
    features.sort((a, b) => b.contribution - a.contribution);
    return { score: surpriseToScore(error, errorQuantile), error, errorQuantile, modelVersion: model.manifest.version, features, missing };
  }

  private absorb(prepared: Prepared, verdict: VectorVerdict | undefined): void {
    this.windowsSinceTraining++;
    if (!prepared.eligible) return;
    // The guard is what keeps a sustained attack out of the next model: a window the current model
    // finds anomalous is never taught to it as normal.
    if (verdict !== undefined && verdict.score >= this.config.poisoningGuard) {
      this.excludedSinceTraining++;
      return;
    }
    this.remember({ at: prepared.at, values: prepared.raw });
  }

  private remember(window: StoredWindow): void {
    const max = this.config.maxTrainingWindows;
    if (this.windows.length < max) {
      this.windows.push(window);
      return;
    }
    this.windows[this.next] = window;
    this.next = (this.next + 1) % max;
  }

  /** The kept windows, oldest first. */
  private chronological(): StoredWindow[] {
    return [...this.windows.slice(this.next), ...this.windows.slice(0, this.next)];
  }

  private async retrain(): Promise<RetrainOutcome> {
    const snapshot = this.chronological();
    const excluded = this.excludedSinceTraining;
    this.windowsSinceTraining = 0;
    this.excludedSinceTraining = 0;
    const version = this.lastVersion + 1;
    const started = performance.now();
    let trained: InstalledModel;
    try {
      trained = await trainModel({ snapshot, version, excluded, names: this.names, config: this.config, thread: this.thread, stopped: () => this.closed }, this.deps);
    } catch (error) {
      const reason = describeError(error);
      this.failed = true;
      this.deps.logger.error({ err: error, dir: this.store?.dir, version }, 'autoencoder training failed; the current model keeps scoring');
      return { status: 'failed', reason };
    }
    if (this.closed) {
      trained.network.dispose();
      return { status: 'closed' };
    }
    const previous = this.current;
    this.current = trained;
    this.lastVersion = version;
    this.failed = false;
    this.deps.logger.info(
      {
        dir: this.store?.dir, version, windows: snapshot.length, excludedByGuard: excluded, backend: this.deps.tensorflow.backend,
        errorQuantile: trained.manifest.errorQuantile.value, loss: trained.manifest.training.finalLoss, durationMs: Math.round(performance.now() - started),
      },
      'autoencoder model trained',
    );
    let saved = false;
    try {
      await this.enqueue(async () => {
        previous?.network.dispose();
        await this.persist();
      });
      saved = this.store !== undefined;
    } catch (error) {
      this.deps.logger.error({ err: error, dir: this.store?.dir, version }, 'autoencoder model could not be saved; it scores from memory and saving is retried on the next save');
    }
    return { status: 'trained', version, windows: snapshot.length, saved };
  }

  private async persist(): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    const current = this.current;
    if (current !== undefined && this.savedVersion < current.manifest.version) {
      const artifacts = await store.writeModel(current.manifest.version, current.network);
      current.artifacts = artifacts;
      await store.writeManifest({ ...current.manifest, artifacts });
      this.savedVersion = current.manifest.version;
      await store.prune(artifacts.dir);
    }
    await store.writeTrainingWindows({
      features: [...this.names],
      windowsSinceTraining: this.windowsSinceTraining,
      excludedSinceTraining: this.excludedSinceTraining,
      windows: this.chronological().map((w) => ({ at: w.at, values: w.values.map((v) => v ?? null) })),
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Why two feature lists differ, or undefined when they are the same list in the same order. */
function describeMismatch(saved: readonly string[], wanted: readonly string[]): string | undefined {
  if (saved.length === wanted.length && saved.every((name, i) => name === wanted[i])) return undefined;
  const dropped = saved.filter((name) => !wanted.includes(name));
  const added = wanted.filter((name) => !saved.includes(name));
  if (dropped.length === 0 && added.length === 0) return 'the same features in another order';
  const parts: string[] = [];
  if (dropped.length > 0) parts.push(`no longer read: ${dropped.join(', ')}`);
  if (added.length > 0) parts.push(`new: ${added.join(', ')}`);
  return parts.join('; ');
}
