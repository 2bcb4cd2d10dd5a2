import { beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderNetwork, type NetworkShape, type TrainOptions } from '../../../../src/detect/autoencoder/autoencoder-network.js';
import { loadTensorflow, type Tensorflow } from '../../../../src/detect/autoencoder/tensorflow-runtime.js';
import { seededRandom } from '../../../../src/shared/random.js';
import { silentLogger } from '../../../../src/shared/logger.js';

let tf: Tensorflow;

beforeAll(async () => {
  tf = (await loadTensorflow({ logger: silentLogger() }, { prefer: 'cpu' })).tf;
});

const FEATURES = 5;
const ROWS = 300;
const shape: NetworkShape = { features: FEATURES, hidden: [4, 2], seed: 11 };
// 300 rows in batches of 64: the last batch of each epoch is short (44 rows).
const options: TrainOptions = { epochs: 4, batchSize: 64, learningRate: 0.01, seed: 5 };

function data(): { inputs: Float32Array; targets: Float32Array } {
  const random = seededRandom(3);
  const targets = Float32Array.from({ length: ROWS * FEATURES }, () => random() * 4 - 2);
  const inputs = new Float32Array(ROWS * 2 * FEATURES);
  for (let row = 0; row < ROWS; row++) {
    for (let i = 0; i < FEATURES; i++) {
      const missing = random() < 0.1;
      inputs[row * 2 * FEATURES + i] = missing ? 0 : targets[row * FEATURES + i] ?? 0;
      inputs[row * 2 * FEATURES + FEATURES + i] = missing ? 1 : 0;
    }
  }
  return { inputs, targets };
}

/**
 * The same training through `model.fit`, epoch by epoch over the same seeded order, on a Keras
 * model of the network's layers holding the network's initial weights.
 */
async function fitReference(initial: readonly Float32Array[], inputs: Float32Array, targets: Float32Array): Promise<{ loss: number; weights: Float32Array[] }> {
  const model = tf.sequential();
  for (const [i, units] of [4, 2, 4].entries()) model.add(tf.layers.dense({ units, activation: 'tanh', ...(i === 0 ? { inputShape: [2 * FEATURES] } : {}) }));
  model.add(tf.layers.dense({ units: FEATURES }));
  model.setWeights(initial.map((values, i) => tf.tensor(values, model.getWeights()[i]?.shape)));
  model.compile({ optimizer: tf.train.adam(options.learningRate), loss: 'meanSquaredError' });
  const random = seededRandom(options.seed);
  const order = Array.from({ length: ROWS }, (_, i) => i);
  const x = new Float32Array(inputs.length);
  const y = new Float32Array(targets.length);
  let loss = Number.NaN;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = ROWS - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? j, order[i] ?? i];
    }
    order.forEach((source, row) => {
      x.set(inputs.subarray(source * 2 * FEATURES, (source + 1) * 2 * FEATURES), row * 2 * FEATURES);
      y.set(targets.subarray(source * FEATURES, (source + 1) * FEATURES), row * FEATURES);
    });
    const history = await model.fit(tf.tensor2d(x, [ROWS, 2 * FEATURES]), tf.tensor2d(y, [ROWS, FEATURES]), { epochs: 1, batchSize: options.batchSize, shuffle: false });
    loss = Number(history.history.loss?.at(-1));
  }
  return { loss, weights: model.getWeights().map((w) => Float32Array.from(w.dataSync())) };
}

describe('AutoencoderNetwork.train', () => {
  it('gives the weights and the loss tfjs model.fit gives for the same batches, to the bit', async () => {
    const { inputs, targets } = data();
    const network = AutoencoderNetwork.build(tf, shape);
    const initial = network.weightValues();
    const loss = await network.train(inputs, targets, ROWS, options);
    const reference = await fitReference(initial, inputs, targets);
    expect(network.weightValues()).toEqual(reference.weights);
    expect(loss).toBe(reference.loss);
    // The weights moved: the comparison is not of two untrained networks.
    expect(network.weightValues()).not.toEqual(initial);
    network.dispose();
  });

  it('stops between epochs when asked, with the loss of the epochs it trained', async () => {
    const { inputs, targets } = data();
    const network = AutoencoderNetwork.build(tf, shape);
    let epochs = 0;
    const loss = await network.train(inputs, targets, ROWS, { ...options, shouldStop: () => epochs++ >= 1 });
    expect(epochs).toBe(2);
    expect(Number.isFinite(loss)).toBe(true);
    network.dispose();
  });

  it('leaves no tensor behind', async () => {
    const { inputs, targets } = data();
    const network = AutoencoderNetwork.build(tf, shape);
    // The optimizer's slots are made on its first step: count after one training.
    await network.train(inputs, targets, ROWS, options);
    const before = tf.memory().numTensors;
    await network.train(inputs, targets, ROWS, options);
    expect(tf.memory().numTensors).toBe(before);
    network.dispose();
  });
});
