/**
 * Entry of a detection worker thread (see detection-pool.ts): hosts the detection stage of the
 * partitions pinned to it, handles one request at a time, and answers each batch with what it
 * produced. Loaded only inside a worker thread.
 */
import { parentPort } from 'node:worker_threads';
import { describeSafely } from '../shared/safe-error.js';
import { DetectionHost } from './detection-host.js';
import type { WorkerReply, WorkerRequest } from './detection-protocol.js';

const hosted = new Map<string, DetectionHost>();

function host(id: string): DetectionHost {
  const found = hosted.get(id);
  if (found === undefined) throw new Error(`partition ${id} is not open on this worker`);
  return found;
}

function handle(request: WorkerRequest): WorkerReply {
  switch (request.type) {
    case 'ping':
      return { seq: request.seq, ok: true, value: null };
    case 'open': {
      const opened = new DetectionHost(request.setup, request.now);
      hosted.set(request.id, opened);
      return { seq: request.seq, ok: true, value: opened.opened() };
    }
    case 'batch':
      return { seq: request.seq, ok: true, value: host(request.id).batch(request.buffer, request.source, request.now, request.finish) };
    case 'state':
      return { seq: request.seq, ok: true, value: host(request.id).state(request.now) };
    case 'reconfigure':
      host(request.id).reconfigure(request, new Set(request.fresh), request.now);
      return { seq: request.seq, ok: true, value: null };
    case 'close':
      hosted.delete(request.id);
      return { seq: request.seq, ok: true, value: null };
  }
}

const port = parentPort;
if (port !== null) {
  port.on('message', (request: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      reply = handle(request);
    } catch (error) {
      // The partition's detection state is in doubt: it is dropped, and the main thread reloads
      // the partition from its checkpoint.
      hosted.delete(request.id);
      reply = { seq: request.seq, ok: false, error: describeSafely(error) };
    }
    port.postMessage(reply);
  });
}
