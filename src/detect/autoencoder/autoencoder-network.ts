import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { LayersModel, Optimizer, Tensor, Variable } from '@tensorflow/tfjs';
import { seededRandom, shuffleInPlace } from '../../shared/random.js';
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
   * Trains on `rows` encoded vectors in a seeded order, `batchSize` rows per step, yielding to the
   * event loop after every step so that scoring continues while it trains in-process. Returns the
   * last epoch's loss. Each step is the one `model.fit` takes (the same loss, reduced the same way,
   * and the same Adam update: the weights come out identical), without what `fit` adds around it
   * for a caller that watches its progress (callbacks, logs, a gather of every batch's rows), a
   * fifth of the training's CPU.
   */
  async train(inputs: Float32Array, targets: Float32Array, rows: number, options: TrainOptions): Promise<number> {
    const { tf } = this;
    const n = this.features;
    this.forward = undefined;
    this.optimizer?.dispose();
    const optimizer = tf.train.adam(options.learningRate);
    this.optimizer = optimizer;
    // Compiled as for `fit`, so that a saved model records the same training configuration.
    this.model.compile({ optimizer, loss: 'meanSquaredError' });
    // A layer's weight reads as the tf.Variable it holds, typed as a Tensor: what `fit` minimizes too.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- see above
    const variables = this.model.trainableWeights.map((weight) => weight.read() as Variable);
    const random = seededRandom(options.seed);
    const order = Array.from({ length: rows }, (_, i) => i);
    const x = new Float32Array(rows * 2 * n);
    const y = new Float32Array(rows * n);
    let loss = Number.NaN;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      if (options.shouldStop?.() === true) break;
      // Shuffled with a seeded generator (tfjs would use Math.random): training is reproducible.
      shuffleInPlace(order, random);
      order.forEach((source, row) => {
        x.set(inputs.subarray(source * 2 * n, (source + 1) * 2 * n), row * 2 * n);
        y.set(targets.subarray(source * n, (source + 1) * n), row * n);
      });
      // The epoch's loss as `fit` reports it: the batches' losses weighted by their rows, summed in float32.
      let total: Tensor | undefined;
      try {
        for (let start = 0; start < rows; start += options.batchSize) {
          const size = Math.min(options.batchSize, rows - start);
          const xs = tf.tensor2d(x.subarray(start * 2 * n, (start + size) * 2 * n), [size, 2 * n]);
          const ys = tf.tensor2d(y.subarray(start * n, (start + size) * n), [size, n]);
          try {
            // Keras' mean squared error (per row, over the features), then its mean over the batch.
            const cost = optimizer.minimize(() => tf.mean(tf.mean(tf.square(tf.sub(this.model.apply(xs, { training: true }) as Tensor, ys)), -1)), true, variables);
            if (cost !== null) {
              const before = total;
              total = tf.tidy(() => tf.add(before ?? 0, tf.mul(cost, size)));
              before?.dispose();
              cost.dispose();
            }
          } finally {
            xs.dispose();
            ys.dispose();
            // Weights read while an epoch ran (scoring goes on between steps) are stale now.
            this.forward = undefined;
          }
          await yieldToEventLoop();
        }
        if (total !== undefined) {
          const sum = total;
          const mean = tf.tidy(() => tf.mul(tf.div(1, rows), sum));
          loss = mean.dataSync()[0] ?? Number.NaN;
          mean.dispose();
        }
      } finally {
        total?.dispose();
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
