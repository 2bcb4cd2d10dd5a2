import { beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderNetwork, encodeInput, encodeTarget } from '../../../../src/detect/autoencoder/autoencoder-network.js';
import { DenseForward } from '../../../../src/detect/autoencoder/dense-forward.js';
import { loadTensorflow, type TensorflowRuntime } from '../../../../src/detect/autoencoder/tensorflow-runtime.js';
import { seededRandom } from '../../../../src/shared/random.js';
import { silentLogger } from '../../../../src/shared/logger.js';

let tensorflow: TensorflowRuntime;

beforeAll(async () => {
  tensorflow = await loadTensorflow({ logger: silentLogger() }, { prefer: 'cpu' });
});

/** `rows` encoded vectors of `n` scaled features: mostly near 0, some far out, some missing. */
function encodedRows(n: number, rows: number, seed: number): { inputs: Float32Array; targets: Float32Array } {
  const random = seededRandom(seed);
  const inputs = new Float32Array(rows * 2 * n);
  const targets = new Float32Array(rows * n);
  for (let row = 0; row < rows; row++) {
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u = random();
      scaled[i] = u < 0.1 ? Number.NaN : u > 0.95 ? (random() - 0.5) * 40 : (random() - 0.5) * 3;
    }
    encodeInput(scaled, inputs, row);
    encodeTarget(scaled, targets, row);
  }
  return { inputs, targets };
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

describe('the plain forward pass of the autoencoder', () => {
  it('reconstructs what tfjs predicts, to 1e-5, for an untrained and a trained network', async () => {
    const n = 8;
    const network = AutoencoderNetwork.build(tensorflow.tf, { features: n, hidden: [6, 3], seed: 11 });
    try {
      const { inputs, targets } = encodedRows(n, 300, 5);
      const untrained = network.reconstruct(inputs, 300);
      expect(maxDifference(untrained, network.predict(inputs, 300))).toBeLessThan(1e-5);

      await network.train(inputs, targets, 300, { epochs: 3, batchSize: 64, learningRate: 0.01, seed: 3 });
      const trained = network.reconstruct(inputs, 300);
      expect(maxDifference(trained, network.predict(inputs, 300))).toBeLessThan(1e-5);
      // The copy of the weights was refreshed after training: the output moved with the model.
      expect(maxDifference(trained, untrained)).toBeGreaterThan(1e-3);
    } finally {
      network.dispose();
    }
  });

  it('follows weights replaced from another network, batched or one row at a time', () => {
    const n = 5;
    const a = AutoencoderNetwork.build(tensorflow.tf, { features: n, hidden: [4, 2, 3], seed: 1 });
    const b = AutoencoderNetwork.build(tensorflow.tf, { features: n, hidden: [4, 2, 3], seed: 99 });
    try {
      const { inputs } = encodedRows(n, 40, 8);
      const before = a.reconstruct(inputs, 40);
      a.setWeightValues(b.weightValues());
      const batched = a.reconstruct(inputs, 40);
      expect(maxDifference(batched, b.predict(inputs, 40))).toBeLessThan(1e-5);
      expect(maxDifference(batched, before)).toBeGreaterThan(1e-3);
      for (let row = 0; row < 40; row++) {
        const one = a.reconstruct(inputs.subarray(row * 2 * n, (row + 1) * 2 * n), 1);
        expect(maxDifference(one, batched.subarray(row * n, (row + 1) * n))).toBe(0);
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('refuses weights whose shapes do not chain', () => {
    const layer = (inputs: number, units: number) => ({ kernel: new Float32Array(inputs * units), bias: new Float32Array(units), inputs, units, activation: 'tanh' as const });
    expect(() => new DenseForward([])).toThrow(/at least one layer/);
    expect(() => new DenseForward([layer(4, 3), layer(2, 4)])).toThrow(/layer 1 takes 2 inputs but layer 0 gives 3/);
    expect(() => new DenseForward([{ ...layer(4, 3), bias: new Float32Array(2) }])).toThrow(/4x3 kernel and 3 biases/);
    expect(() => new DenseForward([layer(4, 3)]).apply(new Float32Array(7), 2)).toThrow(/2 rows of 4 inputs/);
  });
});
