/**
 * The scoring half of the autoencoder without TensorFlow.js: the trained network's weights copied
 * into Float32Arrays and applied with plain loops. The network is a handful of small dense layers
 * (16 inputs, 6 and 3 hidden units in the shipped detector), so a tfjs call costs far more in
 * tensor bookkeeping than in arithmetic; scoring a window this way takes a few hundred
 * nanoseconds. Training stays with TensorFlow.js.
 *
 * Each layer's result is kept in a Float32Array, as the tfjs CPU backend keeps its tensors, so
 * the reconstruction matches what `model.predict` returns (the unit test holds it to 1e-5).
 */

/** Activation of a dense layer, as the autoencoder uses them. */
export type DenseActivation = 'tanh' | 'linear';

/** One dense layer: `kernel` is `inputs x units`, row-major (the layout of a tfjs Dense kernel). */
export interface DenseLayerWeights {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly inputs: number;
  readonly units: number;
  readonly activation: DenseActivation;
}

/** A stack of dense layers applied to rows of a Float32Array. */
export class DenseForward {
  readonly inputs: number;
  readonly outputs: number;
  /** One scratch row per hidden layer, reused across calls (scoring is synchronous). */
  private readonly scratch: Float32Array[];

  constructor(private readonly layers: readonly DenseLayerWeights[]) {
    const first = layers[0];
    const last = layers.at(-1);
    if (first === undefined || last === undefined) throw new RangeError('a dense network needs at least one layer');
    layers.forEach((layer, i) => {
      if (layer.kernel.length !== layer.inputs * layer.units || layer.bias.length !== layer.units) {
        throw new RangeError(`layer ${i}: a ${layer.inputs}x${layer.units} kernel and ${layer.units} biases expected, got ${layer.kernel.length} and ${layer.bias.length} values`);
      }
      const previous = layers[i - 1];
      if (previous !== undefined && previous.units !== layer.inputs) {
        throw new RangeError(`layer ${i} takes ${layer.inputs} inputs but layer ${i - 1} gives ${previous.units}`);
      }
    });
    this.inputs = first.inputs;
    this.outputs = last.units;
    this.scratch = layers.slice(0, -1).map((layer) => new Float32Array(layer.units));
  }

  /** Applies the network to `rows` input rows of `inputs`; returns `rows * outputs` values. */
  apply(inputs: Float32Array, rows: number): Float32Array {
    if (inputs.length < rows * this.inputs) throw new RangeError(`${rows} rows of ${this.inputs} inputs need ${rows * this.inputs} values, got ${inputs.length}`);
    const out = new Float32Array(rows * this.outputs);
    const count = this.layers.length;
    for (let row = 0; row < rows; row++) {
      let source = inputs;
      let offset = row * this.inputs;
      for (let l = 0; l < count; l++) {
        const layer = this.layers[l];
        if (layer === undefined) continue;
        const last = l === count - 1;
        const target = last ? out : this.scratch[l];
        if (target === undefined) continue;
        denseRow(layer, source, offset, target, last ? row * this.outputs : 0);
        source = target;
        offset = 0;
      }
    }
    return out;
  }
}

/** `target[at..] = activation(source[offset..] x kernel + bias)` for one row. */
function denseRow(layer: DenseLayerWeights, source: Float32Array, offset: number, target: Float32Array, at: number): void {
  const { kernel, bias, inputs, units } = layer;
  const tanh = layer.activation === 'tanh';
  for (let j = 0; j < units; j++) {
    let sum = 0;
    for (let k = 0; k < inputs; k++) sum += (source[offset + k] ?? 0) * (kernel[k * units + j] ?? 0);
    // Rounded to float32 after the product and after the bias, as the tfjs CPU backend stores them.
    const z = Math.fround(Math.fround(sum) + (bias[j] ?? 0));
    target[at + j] = tanh ? Math.tanh(z) : z;
  }
}
