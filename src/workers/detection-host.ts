import type { StoredDeadLetter } from '../parse/records.js';
import type { ClosedGroup, DetectionListener } from '../pipeline/closed-group.js';
import { DetectionStage, type DetectionState } from '../pipeline/detection-stage.js';
import type { BatchResult, DetectionEvent, DetectionProgress, OpenResult, PartitionSetup } from './detection-protocol.js';
import { decodeBatch } from './message-batch.js';

/** What one batch produced so far, in order. */
class Collector implements DetectionListener {
  events: DetectionEvent[] = [];
  deadLetters: StoredDeadLetter[] = [];
  stage: DetectionStage | undefined;

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
    const learned = this.stage?.featureExtractor.takeLearned();
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

/**
 * One partition's (or shard's) detection stage with what a batch asks of it: messages in, the
 * batch's result out. A detection worker hosts one per partition pinned to it; an embedded replay
 * without workers hosts its shards the same way in its own thread, so both give the same results.
 */
export class DetectionHost {
  private readonly stage: DetectionStage;
  private readonly collector = new Collector();
  private readonly clock = { now: 0 };

  constructor(private readonly setup: PartitionSetup, now: number) {
    this.clock.now = now;
    this.stage = new DetectionStage(setup.options, {
      detectors: setup.detectors, deferred: setup.deferred, clock: { now: () => this.clock.now },
      ...(setup.replayBelow !== undefined ? { replayBelow: setup.replayBelow } : {}),
    }, this.collector, setup.state);
    this.collector.stage = this.stage;
    this.stage.featureExtractor.recordLearned();
  }

  opened(): OpenResult {
    const restored = this.stage.restoredClosedUpTo;
    return { ...this.progress(), restoredClosedUpTo: Number.isFinite(restored) ? restored : null };
  }

  /** Feeds a batch (see message-batch.ts) and, with `finish`, closes every window. */
  batch(buffer: ArrayBuffer, source: string, now: number, finish: boolean): BatchResult {
    this.clock.now = now;
    const stage = this.stage;
    for (const message of decodeBatch(buffer)) {
      const origin = { source, position: message.position };
      if (message.kind === 'message') stage.ingest(message.text, origin);
      else if (message.kind === 'tombstone') stage.reject({ code: 'empty', reason: 'message without a value (tombstone)', raw: '', origin });
      else {
        stage.reject({
          code: 'oversized', raw: message.text, origin,
          reason: `line of ${message.length} characters is over the ${this.setup.options.maxMessageBytes}-byte limit; only its beginning is kept`,
        });
      }
    }
    if (finish) stage.finish();
    return { ...this.progress(), ...this.collector.take() };
  }

  state(now: number): DetectionState {
    this.clock.now = now;
    return this.stage.state();
  }

  reconfigure(setup: Pick<PartitionSetup, 'detectors' | 'deferred'>, fresh: ReadonlySet<string>, now: number): void {
    this.clock.now = now;
    this.stage.reconfigure(setup.detectors, fresh, undefined, setup.deferred);
  }

  private progress(): DetectionProgress {
    const stage = this.stage;
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
}
