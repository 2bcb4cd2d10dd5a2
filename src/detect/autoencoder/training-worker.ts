/**
 * Entry of the autoencoder training thread (see training-thread.ts): builds the network from the
 * same seeded shape, trains it with the same code as an in-process training, and sends back the
 * weights. Loaded only inside a worker thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { silentLogger } from '../../shared/logger.js';
import { AutoencoderNetwork, type NetworkShape, type TrainOptions } from './autoencoder-network.js';
import { loadTensorflow } from './tensorflow-runtime.js';

/** One training, as posted to the thread. */
export interface TrainingJob {
  readonly id: number;
  readonly shape: NetworkShape;
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  readonly rows: number;
  readonly options: Omit<TrainOptions, 'shouldStop'>;
  /** Int32 flag set to 1 by the owner to stop at the next epoch (the detector is closing). */
  readonly stop: SharedArrayBuffer;
}

/** The thread's answer to a job. */
export type TrainingReply =
  | { readonly id: number; readonly weights: Float32Array[]; readonly loss: number }
  | { readonly id: number; readonly error: string };

/** What the thread is started with: the package the owner computes with, so both use the same backend. */
export interface TrainingWorkerData {
  readonly prefer: 'auto' | 'cpu';
}

const port = parentPort;
if (port !== null) {
  const { prefer } = workerData as TrainingWorkerData;
  const runtime = loadTensorflow({ logger: silentLogger() }, { prefer });
  port.on('message', (job: TrainingJob) => {
    void (async () => {
      let network: AutoencoderNetwork | undefined;
      try {
        const { tf } = await runtime;
        network = AutoencoderNetwork.build(tf, job.shape);
        const stop = new Int32Array(job.stop);
        const loss = await network.train(job.inputs, job.targets, job.rows, { ...job.options, shouldStop: () => Atomics.load(stop, 0) === 1 });
        const weights = network.weightValues();
        const reply: TrainingReply = { id: job.id, weights, loss };
        port.postMessage(reply, weights.map((w) => w.buffer as ArrayBuffer));
      } catch (error) {
        const reply: TrainingReply = { id: job.id, error: error instanceof Error ? error.stack ?? error.message : String(error) };
        port.postMessage(reply);
      } finally {
        network?.dispose();
      }
    })();
  });
}
