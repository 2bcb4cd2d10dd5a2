/**
 * One training of an autoencoder detector's model, from the windows it kept to a model ready to
 * install: the scaler fitted on them, a seeded hold-out, the network trained (on the training
 * thread when there is one, else here), the error quantile measured on the hold-out, and the
 * manifest that describes it.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { seededRandom, shuffleInPlace } from '../../shared/random.js';
import type { AutoencoderConfig } from './autoencoder-config.js';
import type { AutoencoderDeps } from './autoencoder-detector.js';
import { MANIFEST_FORMAT, type AutoencoderManifest } from './autoencoder-manifest.js';
import { AutoencoderNetwork, encodeInput, encodeTarget, type NetworkShape, type TrainOptions } from './autoencoder-network.js';
import { FeatureScaler, sortedQuantile } from './feature-scaler.js';
import type { TrainingThread } from './training-thread.js';

/** The floor of the learned error quantile: a baseline reconstructed almost perfectly would
 * otherwise make a tenth of a sigma look like an incident. In scaled units (baseline sigmas). */
const MIN_ERROR_QUANTILE = 0.1;
/** Fewer held-out windows than this cannot place a tail quantile; all windows are used instead. */
const MIN_VALIDATION_WINDOWS = 20;

export interface StoredWindow {
  /** Window end, epoch ms. */
  readonly at: number;
  /** Raw values in feature order; undefined = missing. */
  readonly values: readonly (number | undefined)[];
}

export type ManifestDraft = Omit<AutoencoderManifest, 'artifacts'>;

export interface InstalledModel {
  readonly network: AutoencoderNetwork;
  readonly scaler: FeatureScaler;
  readonly manifest: ManifestDraft;
  artifacts: AutoencoderManifest['artifacts'] | undefined;
}

/** What one training learns from and how. */
export interface TrainingRequest {
  /** The detector's clean windows, oldest first. */
  readonly snapshot: readonly StoredWindow[];
  /** The model version this training makes. */
  readonly version: number;
  /** Windows the poisoning guard kept out since the last training (recorded in the manifest). */
  readonly excluded: number;
  readonly names: readonly string[];
  readonly config: AutoencoderConfig;
  readonly thread: TrainingThread | undefined;
  /** True once the detector is closing: training stops between epochs. */
  readonly stopped: () => boolean;
}

/** What a training needs from the detector's surroundings. */
export type TrainingDeps = Pick<AutoencoderDeps, 'tensorflow' | 'clock' | 'logger' | 'stateDir'>;

/**
 * Trains the next model on the detector's windows. Between its synchronous steps (scaling and
 * encoding thousands of windows) it yields to the event loop, on top of the network's yields
 * between training steps, so queued stream work runs meanwhile.
 */
export async function trainModel(request: TrainingRequest, deps: TrainingDeps): Promise<InstalledModel> {
  const { snapshot, version, excluded, names, config } = request;
  const { tf, backend } = deps.tensorflow;
  const n = names.length;
  await yieldToEventLoop();
  const scaler = FeatureScaler.fit(names, snapshot.map((w) => w.values));
  const scaled = snapshot.map((w) => scaler.scale(w.values));
  await yieldToEventLoop();

  // A seeded hold-out: the error quantile is measured on windows the model did not learn from,
  // since in-sample errors are optimistic.
  const random = seededRandom(config.seed + version);
  const order = Array.from({ length: scaled.length }, (_, i) => i);
  shuffleInPlace(order, random);
  const holdout = Math.floor(scaled.length * config.validationSplit);
  const useHoldout = holdout >= MIN_VALIDATION_WINDOWS;
  const validation = useHoldout ? order.slice(0, holdout) : order;
  const training = useHoldout ? order.slice(holdout) : order;

  const inputs = new Float32Array(training.length * 2 * n);
  const targets = new Float32Array(training.length * n);
  training.forEach((source, row) => {
    const s = scaled[source];
    if (s === undefined) return;
    encodeInput(s, inputs, row);
    encodeTarget(s, targets, row);
  });
  await yieldToEventLoop();
  const shape = { features: n, hidden: config.hidden, seed: config.seed };
  const options = {
    epochs: config.epochs, batchSize: config.batchSize, learningRate: config.learningRate, seed: config.seed + version,
    shouldStop: request.stopped,
  };
  const network = AutoencoderNetwork.build(tf, shape);
  try {
    const finalLoss = await fit(request, deps, network, shape, inputs, targets, training.length, options);
    const evalInputs = new Float32Array(validation.length * 2 * n);
    validation.forEach((source, row) => {
      const s = scaled[source];
      if (s !== undefined) encodeInput(s, evalInputs, row);
    });
    const reconstructed = network.reconstruct(evalInputs, validation.length);
    const errors = validation.map((source, row) => rmse(scaled[source], reconstructed.subarray(row * n, (row + 1) * n)));
    errors.sort((a, b) => a - b);
    const quantileError = Math.max(sortedQuantile(errors, config.quantile), MIN_ERROR_QUANTILE);
    const ats = snapshot.map((w) => w.at);
    const manifest: ManifestDraft = {
      format: MANIFEST_FORMAT,
      version,
      trainedAt: new Date(deps.clock.now()).toISOString(),
      backend,
      tfjsVersion: tf.version.tfjs,
      featureSchema: { names: [...names], scaling: scaler.scalings.map((s) => ({ ...s })) },
      architecture: { inputs: 2 * n, hidden: [...config.hidden], outputs: n, seed: config.seed },
      training: {
        from: ats.reduce((a, b) => Math.min(a, b)), to: ats.reduce((a, b) => Math.max(a, b)), windows: snapshot.length, validationWindows: useHoldout ? holdout : 0,
        excludedByGuard: excluded, epochs: config.epochs, finalLoss: Number.isFinite(finalLoss) ? finalLoss : -1,
      },
      errorQuantile: { quantile: config.quantile, value: quantileError },
    };
    return { network, scaler, manifest, artifacts: undefined };
  } catch (error) {
    network.dispose();
    throw error;
  }
}

/** Trains `network` (built from `shape`) on the training thread when there is one, else here. */
async function fit(request: TrainingRequest, deps: TrainingDeps, network: AutoencoderNetwork, shape: NetworkShape, inputs: Float32Array, targets: Float32Array, rows: number, options: TrainOptions): Promise<number> {
  const thread = request.thread;
  if (thread?.usable === true) {
    try {
      // The thread gets copies: the arrays are still needed if it fails and training falls back here.
      const trained = await thread.train(shape, inputs.slice(), targets.slice(), rows, options);
      network.setWeightValues(trained.weights);
      return trained.loss;
    } catch (error) {
      if (request.stopped()) throw error;
      deps.logger.warn({ err: error, dir: deps.stateDir }, 'autoencoder training thread failed; training in-process');
    }
  }
  return network.train(inputs, targets, rows, options);
}

/** RMSE over the present (non-NaN) features of one scaled vector. */
function rmse(scaled: Float64Array | undefined, reconstructed: Float32Array): number {
  if (scaled === undefined) return 0;
  let sum = 0;
  let present = 0;
  scaled.forEach((value, i) => {
    if (Number.isNaN(value)) return;
    const r = value - (reconstructed[i] ?? 0);
    sum += r * r;
    present++;
  });
  return Math.sqrt(sum / Math.max(present, 1));
}
