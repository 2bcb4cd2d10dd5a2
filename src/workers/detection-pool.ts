import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MeshwardenError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { safeError } from '../shared/safe-error.js';
import type { WorkerReply, WorkerRequest } from './detection-protocol.js';

/** Detection workers by default: one per core the process may use; 1 (or 0) runs detection in-thread. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}

/**
 * A request a worker could not answer: it threw (the partition's detection state is dropped
 * there) or the worker died. Either way the partition is reloaded from its checkpoint.
 */
export class DetectionWorkerError extends MeshwardenError {
  constructor(message: string, readonly partitions: readonly string[] = []) {
    super('detection-worker-failed', message, { retriable: true });
  }
}

type Distributive<T> = T extends unknown ? Omit<T, 'seq'> : never;
/** A request without its sequence number (the pool numbers it). */
export type PoolRequest = Distributive<WorkerRequest>;

interface Slot {
  worker: Worker | undefined;
  /** Partitions pinned to this worker. */
  readonly partitions: Set<string>;
  readonly pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
}

/**
 * Detection worker threads, each partition (or shard) pinned to one of them for its life, so its
 * batches are handled in order by the thread holding its state. A worker that dies takes its
 * partitions' state with it: every waiting request rejects with a {@link DetectionWorkerError},
 * the `lost` listener hears which partitions went, and a fresh thread takes the slot.
 */
export class DetectionPool {
  private readonly slots: Slot[];
  private readonly pins = new Map<string, Slot>();
  private nextSeq = 1;
  private closed = false;

  constructor(
    size: number,
    private readonly logger: Logger,
    private readonly lost: (partitions: readonly string[], error: Error) => void = () => undefined,
  ) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => ({ worker: undefined, partitions: new Set<string>(), pending: new Map() }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Pins `id` to the worker holding the fewest partitions (once; later calls keep the pin). */
  pin(id: string): number {
    let slot = this.pins.get(id);
    if (slot === undefined) {
      slot = this.slots.reduce((a, b) => (b.partitions.size < a.partitions.size ? b : a));
      slot.partitions.add(id);
      this.pins.set(id, slot);
    }
    return this.slots.indexOf(slot);
  }

  /** Forgets a partition's pin (after `close`, or when its worker died). */
  unpin(id: string): void {
    this.pins.get(id)?.partitions.delete(id);
    this.pins.delete(id);
  }

  /**
   * Starts every worker and waits until each answers: a thread takes a while to load the engine,
   * and a consumer that waited for that inside its first batch would miss its heartbeats.
   */
  async warm(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.post(slot, { type: 'ping', id: '', now: 0 }, [])));
  }

  /** Posts a request to the worker `request.id` is pinned to; `transfer` moves buffers instead of copying. */
  request<T>(request: PoolRequest, transfer: readonly ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new DetectionWorkerError('the detection workers are stopped'));
    const slot = this.slots[this.pin(request.id)];
    if (slot === undefined) return Promise.reject(new DetectionWorkerError(`no worker for ${request.id}`));
    return this.post(slot, request, transfer);
  }

  private post<T>(slot: Slot, request: PoolRequest, transfer: readonly ArrayBuffer[]): Promise<T> {
    let worker: Worker;
    try {
      worker = this.start(slot);
    } catch (error) {
      return Promise.reject(new DetectionWorkerError(`a detection worker could not start: ${safeError(error).message}`));
    }
    const seq = this.nextSeq++;
    return new Promise<T>((resolve, reject) => {
      // A worker keeps the process alive only while it has work in hand.
      if (slot.pending.size === 0) worker.ref();
      slot.pending.set(seq, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, seq }, [...transfer]);
    });
  }

  /**
   * Ends worker `index` as a crash would: its requests reject, its partitions are reported lost
   * and the next request starts a new thread. What a supervisor does to a stuck worker, and what
   * the crash tests do.
   */
  async terminate(index: number): Promise<void> {
    const worker = this.slots[index]?.worker;
    if (worker !== undefined) await worker.terminate();
  }

  /** Stops every worker (their partitions' state goes with them). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map(async (slot) => {
      const worker = slot.worker;
      slot.worker = undefined;
      if (worker !== undefined) await worker.terminate();
    }));
  }

  private start(slot: Slot): Worker {
    if (slot.worker !== undefined) return slot.worker;
    // From a source checkout the entry is TypeScript: the bootstrap registers tsx in the thread first.
    const entry = import.meta.url.replace(/detection-pool\.(ts|js)$/, 'detection-worker.$1');
    const bootstrap = entry.endsWith('.ts')
      ? `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`
      : `import(${JSON.stringify(entry)});`;
    const worker = new Worker(bootstrap, { eval: true });
    worker.unref();
    slot.worker = worker;
    worker.on('message', (reply: WorkerReply) => {
      const waiter = slot.pending.get(reply.seq);
      if (waiter === undefined) return;
      slot.pending.delete(reply.seq);
      if (slot.pending.size === 0) worker.unref();
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new DetectionWorkerError(reply.error));
    });
    const fail = (error: Error): void => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const partitions = [...slot.partitions];
      for (const id of partitions) this.unpin(id);
      const failure = new DetectionWorkerError(`a detection worker stopped: ${error.message}`, partitions);
      for (const waiter of slot.pending.values()) waiter.reject(failure);
      slot.pending.clear();
      if (this.closed) return;
      this.logger.error({ err: safeError(error), partitions }, 'a detection worker stopped; its partitions are reloaded from their checkpoints');
      this.lost(partitions, failure);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => { fail(new Error(`exit code ${code}`)); });
    return worker;
  }
}
