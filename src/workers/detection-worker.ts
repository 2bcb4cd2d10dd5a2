/**
 * Entry of a detection worker thread (see detection-pool.ts): runs the detection stage of the
 * partitions pinned to it, one request at a time, and answers each batch with what it produced.
 * Loaded only inside a worker thread.
 */
import { parentPort } from 'node:worker_threads';
import type { StoredDeadLetter } from '../parse/records.js';
import type { ClosedGroup, DetectionListener } from '../pipeline/closed-group.js';
import { DetectionStage } from '../pipeline/detection-stage.js';
import { describeSafely } from '../shared/safe-error.js';
import type { BatchResult, DetectionEvent, DetectionProgress, OpenResult, WorkerReply, WorkerRequest } from './detection-protocol.js';
import { decodeBatch } from './message-batch.js';

/** What one batch produced so far. */
class Collector implements DetectionListener {
  events: DetectionEvent[] = [];
  deadLetters: StoredDeadLetter[] = [];

  constructor(private readonly stage: () => DetectionStage | undefined) {}

  deadLetter(letter: StoredDeadLetter): void {
    this.deadLetters.push(letter);
  }

  group(group: ClosedGroup): void {
    // What was learned up to the record that closed the group comes first: the response groups
    // the group's incidents along it, as in one thread.
    this.learned();
    // The autoencoders read features only: the evidence details stay here.
    const deferred = group.deferred.map((w) => ({ entity: w.entity, windowStart: w.windowStart, windowEnd: w.windowEnd, features: w.features, details: {} }));
    this.events.push({ kind: 'group', group: { ...group, deferred } });
  }

  learned(): void {
    const learned = this.stage()?.featureExtractor.takeLearned();
    if (learned !== undefined) this.events.push({ kind: 'learned', learned });
  }

  take(): { events: DetectionEvent[]; deadLetters: StoredDeadLetter[] } {
    this.learned();
    const taken = { events: this.events, deadLetters: this.deadLetters };
    this.events = [];
    this.deadLetters = [];
    return taken;
  }
}

interface Hosted {
  readonly stage: DetectionStage;
  readonly collector: Collector;
  readonly clock: { now: number };
  readonly maxMessageBytes: number;
}

const hosted = new Map<string, Hosted>();

function progress(stage: DetectionStage): DetectionProgress {
  const floor = stage.resumePosition(Number.POSITIVE_INFINITY);
  const closed = stage.closedUpTo;
  return {
    counters: { ...stage.counters },
    resumeFloor: Number.isFinite(floor) ? floor : null,
    firstEventTime: stage.firstEventTime ?? null,
    trackedEntities: stage.trackedEntities,
    unnamedCallers: stage.unnamedCallers,
    closedUpTo: Number.isFinite(closed) ? closed : null,
  };
}

function partition(id: string): Hosted {
  const found = hosted.get(id);
  if (found === undefined) throw new Error(`partition ${id} is not open on this worker`);
  return found;
}

function handle(request: WorkerRequest): BatchResult | OpenResult | ReturnType<DetectionStage['state']> | null {
  switch (request.type) {
    case 'open': {
      const clock = { now: request.now };
      const holder: { stage?: DetectionStage } = {};
      const collector = new Collector(() => holder.stage);
      const { setup } = request;
      const stage = new DetectionStage(setup.options, {
        detectors: setup.detectors, deferred: setup.deferred, clock: { now: () => clock.now },
        ...(setup.replayBelow !== undefined ? { replayBelow: setup.replayBelow } : {}),
      }, collector, setup.state);
      holder.stage = stage;
      stage.featureExtractor.recordLearned();
      hosted.set(request.id, { stage, collector, clock, maxMessageBytes: setup.options.maxMessageBytes });
      const restored = stage.restoredClosedUpTo;
      return { ...progress(stage), restoredClosedUpTo: Number.isFinite(restored) ? restored : null };
    }
    case 'batch': {
      const { stage, collector, clock, maxMessageBytes } = partition(request.id);
      clock.now = request.now;
      for (const message of decodeBatch(request.buffer)) {
        const origin = { source: request.source, position: message.position };
        if (message.kind === 'message') stage.ingest(message.text, origin);
        else if (message.kind === 'tombstone') stage.reject({ code: 'empty', reason: 'message without a value (tombstone)', raw: '', origin });
        else {
          stage.reject({
            code: 'oversized', raw: message.text, origin,
            reason: `line of ${message.length} characters is over the ${maxMessageBytes}-byte limit; only its beginning is kept`,
          });
        }
      }
      if (request.finish) stage.finish();
      return { ...progress(stage), ...collector.take() };
    }
    case 'state': {
      const { stage, clock } = partition(request.id);
      clock.now = request.now;
      return stage.state();
    }
    case 'reconfigure': {
      const { stage, clock } = partition(request.id);
      clock.now = request.now;
      stage.reconfigure(request.detectors, new Set(request.fresh), undefined, request.deferred);
      return null;
    }
    case 'close':
      hosted.delete(request.id);
      return null;
  }
}

const port = parentPort;
if (port !== null) {
  port.on('message', (request: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      reply = { seq: request.seq, ok: true, value: handle(request) };
    } catch (error) {
      // The partition's detection state is in doubt: it is dropped, and the main thread reloads
      // the partition from its checkpoint.
      hosted.delete(request.id);
      reply = { seq: request.seq, ok: false, error: describeSafely(error) };
    }
    port.postMessage(reply);
  });
}
