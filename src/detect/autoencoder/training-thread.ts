import { Worker } from 'node:worker_threads';
import type { Logger } from '../../shared/logger.js';
import type { NetworkShape, TrainOptions } from './autoencoder-network.js';
import type { TensorflowRuntime } from './tensorflow-runtime.js';
import type { TrainingJob, TrainingReply, TrainingWorkerData } from './training-worker.js';

/** The weights of a trained network and its last loss. */
export interface TrainedWeights {
  readonly weights: Float32Array[];
  readonly loss: number;
}

/**
 * Trains autoencoder networks on a worker thread, so a retraining in the service does not take
 * turns with the stream on the event loop. The thread runs the same code on the same backend with
 * the same seeds, so the weights are those an in-process training would give. Started by `warm` or
 * the first job; when it cannot start or dies, `train` rejects and the caller trains in-process instead.
 *
 * One thread serves every detector that holds it (jobs run one after another, each with its own
 * stop flag): the thread loads TensorFlow.js once, not once per detector or per configuration
 * reload. It ends when the last holder releases it.
 */
export class TrainingThread {
  private worker: Worker | undefined;
  private broken = false;
  private nextId = 1;
  private holders = 0;
  private readonly pending = new Map<number, { resolve: (w: TrainedWeights) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly runtime: TensorflowRuntime,
    private readonly logger: Logger,
  ) {}

  /** One more holder (a detector, or whoever keeps the thread across detectors); see {@link release}. */
  hold(): this {
    this.holders++;
    return this;
  }

  /** A holder is done with the thread: it ends with the last one (a training still running there is abandoned). */
  async release(): Promise<void> {
    if (this.holders > 0) this.holders--;
    if (this.holders === 0) await this.close();
  }

  /** Starts the thread now (it loads TensorFlow.js), so the first training does not pay for that. */
  warm(): void {
    this.start();
  }

  /** False once the thread failed; the caller then trains in-process. */
  get usable(): boolean {
    return !this.broken;
  }

  /** Trains a fresh network of `shape`; `stop` is polled between epochs like an in-process training. */
  train(shape: NetworkShape, inputs: Float32Array, targets: Float32Array, rows: number, options: TrainOptions): Promise<TrainedWeights> {
    const worker = this.start();
    if (worker === undefined) return Promise.reject(new Error('the training thread is not available'));
    const id = this.nextId++;
    const stop = new SharedArrayBuffer(4);
    const flag = new Int32Array(stop);
    const { shouldStop, ...rest } = options;
    // Polls the owner's stop condition while the thread trains, and passes it on.
    const poll = shouldStop ? setInterval(() => { if (shouldStop()) Atomics.store(flag, 0, 1); }, 50) : undefined;
    poll?.unref();
    const job: TrainingJob = { id, shape, inputs, targets, rows, options: rest, stop };
    return new Promise<TrainedWeights>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(job);
    }).finally(() => {
      clearInterval(poll);
      if (this.pending.size === 0) this.worker?.unref();
    });
  }

  /** Ends the thread (a training still running there is abandoned). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.broken = true;
    if (worker !== undefined) await worker.terminate();
  }

  private start(): Worker | undefined {
    if (this.broken) return undefined;
    if (this.worker !== undefined) return this.worker;
    const data: TrainingWorkerData = { prefer: this.runtime.source === '@tensorflow/tfjs-node' ? 'auto' : 'cpu' };
    try {
      // From a source checkout the entry is TypeScript: the bootstrap registers tsx in the thread first.
      const entry = import.meta.url.replace(/training-thread\.(ts|js)$/, 'training-worker.$1');
      const bootstrap = entry.endsWith('.ts')
        ? `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`
        : `import(${JSON.stringify(entry)});`;
      const worker = new Worker(bootstrap, { eval: true, workerData: data });
      worker.unref();
      worker.on('message', (reply: TrainingReply) => {
        const waiter = this.pending.get(reply.id);
        if (waiter === undefined) return;
        this.pending.delete(reply.id);
        if ('error' in reply) waiter.reject(new Error(reply.error));
        else waiter.resolve({ weights: reply.weights, loss: reply.loss });
      });
      const fail = (error: Error): void => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.broken = true;
          this.logger.warn({ err: error }, 'autoencoder training thread failed; training in-process from now on');
        }
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => { fail(new Error(`the training thread exited with code ${code}`)); });
      this.worker = worker;
      return worker;
    } catch (error) {
      this.broken = true;
      this.logger.warn({ err: error }, 'autoencoder training thread could not start; training in-process');
      return undefined;
    }
  }
}
