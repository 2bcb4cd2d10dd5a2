import type { LayersModel, ModelFitArgs, Optimizer, Tensor } from '@tensorflow/tfjs';
import { seededRandom } from '../../shared/random.js';
import { AutoencoderStateError } from './autoencoder-state-error.js';
import { DenseForward, type DenseLayerWeights } from './dense-forward.js';
import type { FileModelHandler } from './file-model-handler.js';
import type { Tensorflow } from './tensorflow-runtime.js';

/**
 * Scaled inputs are clipped to this many sigmas before entering the network: one absurd value
 * must not push every tanh unit into saturation. Errors are measured on the unclipped values, so
 * clipping hides nothing from the score.
 */
export const INPUT_CLIP = 8;

/**
 * tfjs does not export its `ModelLoggingVerbosity` enum; 0 is SILENT. Anything else makes
 * tfjs-node print progress bars on stdout, which is the engine's report channel.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the enum is not exported, see above
const SILENT = 0 as NonNullable<ModelFitArgs['verbose']>;

/** Shape and training parameters of a network. */
export interface NetworkShape {
  readonly features: number;
  readonly hidden: readonly number[];
  readonly seed: number;
}

/** Parameters of one training run. */
export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** Checked between epochs: true ends training early (the detector is closing). */
  readonly shouldStop?: () => boolean;
}

/**
 * Writes the network input of one scaled vector at `row`: the clipped values with missing ones set
 * to 0 (the baseline median), followed by one mask bit per feature (1 = missing), so the network
 * can tell "at the median" from "not observed".
 */
export function encodeInput(scaled: Float64Array, out: Float32Array, row: number): void {
  const n = scaled.length;
  const base = row * 2 * n;
  for (let i = 0; i < n; i++) {
    const v = scaled[i] ?? Number.NaN;
    const missing = Number.isNaN(v);
    out[base + i] = missing ? 0 : Math.min(Math.max(v, -INPUT_CLIP), INPUT_CLIP);
    out[base + n + i] = missing ? 1 : 0;
  }
}

/** Writes the training target of one scaled vector at `row` (clipped, missing = 0). */
export function encodeTarget(scaled: Float64Array, out: Float32Array, row: number): void {
  const n = scaled.length;
  for (let i = 0; i < n; i++) {
    const v = scaled[i] ?? Number.NaN;
    out[row * n + i] = Number.isNaN(v) ? 0 : Math.min(Math.max(v, -INPUT_CLIP), INPUT_CLIP);
  }
}

function dimOf(shape: readonly (number | null)[] | undefined): number | null | undefined {
  return shape?.[shape.length - 1];
}

/**
 * A small dense autoencoder: `2n` inputs (values and missing mask) -> encoder layers (tanh) ->
 * mirrored decoder (tanh) -> `n` linear outputs, the reconstructed scaled values.
 */
export class AutoencoderNetwork {
  private optimizer: Optimizer | undefined;
  /**
   * The weights as plain arrays for scoring, copied from the model on first use after it changed;
   * null when the model holds a layer the plain forward pass does not know (tfjs scores it then).
   */
  private forward: DenseForward | null | undefined;

  private constructor(
    private readonly tf: Tensorflow,
    private readonly model: LayersModel,
    readonly features: number,
  ) {}

  /** A fresh, untrained network with seeded initial weights. */
  static build(tf: Tensorflow, shape: NetworkShape): AutoencoderNetwork {
    const widths = [...shape.hidden, ...shape.hidden.slice(0, -1).reverse()];
    const model = tf.sequential();
    widths.forEach((units, i) => {
      model.add(tf.layers.dense({
        units, activation: 'tanh',
        ...(i === 0 ? { inputShape: [2 * shape.features] } : {}),
        kernelInitializer: tf.initializers.glorotUniform({ seed: shape.seed + i }),
        biasInitializer: 'zeros',
      }));
    });
    model.add(tf.layers.dense({
      units: shape.features,
      kernelInitializer: tf.initializers.glorotUniform({ seed: shape.seed + widths.length }),
      biasInitializer: 'zeros',
    }));
    return new AutoencoderNetwork(tf, model, shape.features);
  }

  /** Loads a saved network and checks it has the input and output widths `features` requires. */
  static async load(tf: Tensorflow, handler: FileModelHandler, features: number): Promise<AutoencoderNetwork> {
    let model: LayersModel;
    try {
      model = await tf.loadLayersModel(handler);
    } catch (error) {
      if (error instanceof AutoencoderStateError) throw error;
      throw new AutoencoderStateError('autoencoder-state-invalid', `the saved model could not be rebuilt: ${String(error)}`, { cause: error });
    }
    const inputs = dimOf(model.inputs[0]?.shape);
    const outputs = dimOf(model.outputs[0]?.shape);
    if (inputs !== 2 * features || outputs !== features) {
      model.dispose();
      throw new AutoencoderStateError(
        'autoencoder-state-invalid',
        `the saved model takes ${String(inputs)} inputs and gives ${String(outputs)} outputs; ${features} features need ${2 * features} and ${features}`,
      );
    }
    return new AutoencoderNetwork(tf, model, features);
  }

  /**
   * Trains on `rows` encoded vectors, one epoch per `fit` call in a seeded order, yielding to the
   * event loop after every batch so that scoring continues while it trains. Returns the last loss.
   */
  async train(inputs: Float32Array, targets: Float32Array, rows: number, options: TrainOptions): Promise<number> {
    const { tf } = this;
    const n = this.features;
    this.forward = undefined;
    this.optimizer?.dispose();
    this.optimizer = tf.train.adam(options.learningRate);
    this.model.compile({ optimizer: this.optimizer, loss: 'meanSquaredError' });
    const random = seededRandom(options.seed);
    const order = Array.from({ length: rows }, (_, i) => i);
    const x = new Float32Array(rows * 2 * n);
    const y = new Float32Array(rows * n);
    let loss = Number.NaN;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      if (options.shouldStop?.() === true) break;
      // tfjs shuffles with Math.random; shuffling here with a seeded generator keeps training
      // reproducible.
      for (let i = rows - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const a = order[i] ?? i;
        order[i] = order[j] ?? j;
        order[j] = a;
      }
      order.forEach((source, row) => {
        x.set(inputs.subarray(source * 2 * n, (source + 1) * 2 * n), row * 2 * n);
        y.set(targets.subarray(source * n, (source + 1) * n), row * n);
      });
      const xs = tf.tensor2d(x, [rows, 2 * n]);
      const ys = tf.tensor2d(y, [rows, n]);
      try {
        const history = await this.model.fit(xs, ys, {
          epochs: 1, batchSize: options.batchSize, shuffle: false, verbose: SILENT, yieldEvery: 'batch',
        });
        const last = history.history.loss?.at(-1);
        loss = typeof last === 'number' ? last : Number.NaN;
      } finally {
        xs.dispose();
        ys.dispose();
        // Weights read while an epoch ran (scoring goes on between batches) are stale now.
        this.forward = undefined;
      }
    }
    return loss;
  }

  /**
   * Reconstructs `rows` encoded vectors in one call; returns `rows * features` scaled values.
   * Computed on the plain-array copy of the weights (see {@link DenseForward}), or by tfjs for a
   * model of another make.
   */
  reconstruct(inputs: Float32Array, rows: number): Float32Array {
    if (this.forward === undefined) this.forward = denseForwardOf(this.model);
    if (this.forward !== null) return this.forward.apply(inputs, rows);
    return this.predict(inputs, rows);
  }

  /** {@link reconstruct} through TensorFlow.js `model.predict`. */
  predict(inputs: Float32Array, rows: number): Float32Array {
    const { tf } = this;
    const x = tf.tensor2d(inputs, [rows, 2 * this.features]);
    let y: Tensor | Tensor[] | undefined;
    try {
      y = this.model.predict(x);
      if (Array.isArray(y)) throw new AutoencoderStateError('autoencoder-state-invalid', 'the model has more than one output');
      return Float32Array.from(y.dataSync());
    } finally {
      x.dispose();
      if (Array.isArray(y)) for (const t of y) t.dispose();
      else y?.dispose();
    }
  }

  /** Copies of the weights, layer by layer (kernel, bias), as {@link setWeightValues} takes them. */
  weightValues(): Float32Array[] {
    return this.model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  }

  /** Replaces the weights with exact copies of another network's of the same shape (see {@link weightValues}). */
  setWeightValues(values: readonly Float32Array[]): void {
    const { tf } = this;
    const current = this.model.getWeights();
    if (values.length !== current.length) throw new AutoencoderStateError('autoencoder-state-invalid', `expected ${current.length} weight arrays, got ${values.length}`);
    const tensors = current.map((w, i) => tf.tensor(values[i] ?? new Float32Array(0), w.shape, 'float32'));
    this.forward = undefined;
    try {
      this.model.setWeights(tensors);
    } finally {
      for (const t of tensors) t.dispose();
    }
  }

  /** Writes the model artifacts through `handler` (weights without the optimizer state). */
  async save(handler: FileModelHandler): Promise<void> {
    await this.model.save(handler, { includeOptimizer: false });
  }

  dispose(): void {
    this.forward = undefined;
    // The model does not own an optimizer it was given, so it is released here.
    this.optimizer?.dispose();
    this.optimizer = undefined;
    this.model.dispose();
  }
}

/**
 * The model's layers as {@link DenseLayerWeights}, or null when one is not a Dense layer with a
 * bias and a tanh or linear activation (the only layers {@link AutoencoderNetwork.build} makes).
 */
function denseForwardOf(model: LayersModel): DenseForward | null {
  const layers: DenseLayerWeights[] = [];
  for (const layer of model.layers) {
    const config = layer.getConfig();
    const activation = config.activation;
    const weights = layer.getWeights();
    const kernel = weights[0];
    const bias = weights[1];
    if (layer.getClassName() !== 'Dense' || (activation !== 'tanh' && activation !== 'linear') || weights.length !== 2 || kernel === undefined || bias === undefined) return null;
    const shape: readonly number[] = kernel.shape;
    const inputs = shape[0];
    const units = shape[1];
    if (shape.length !== 2 || inputs === undefined || units === undefined || bias.size !== units) return null;
    layers.push({ kernel: Float32Array.from(kernel.dataSync()), bias: Float32Array.from(bias.dataSync()), inputs, units, activation });
  }
  return layers.length === 0 ? null : new DenseForward(layers);
}
