import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline, type PipelineOptions, type PipelineState } from '../../../src/app.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { DetectorSpec } from '../../../src/detect/detector-spec.js';
import type { StoredDeadLetter } from '../../../src/parse/records.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { DetectionPool, DetectionWorkerError } from '../../../src/workers/detection-pool.js';
import type { BatchMessage } from '../../../src/workers/message-batch.js';
import { MIN, T0, call, shell } from '../helpers/frontend-pod-lines.js';
import { WorkerPipeline } from '../../../src/workers/worker-pipeline.js';

/** Seven hours of frontend -> inference, a shell, a new edge to Vault, and input no parser takes. */
function story(): BatchMessage[] {
  const messages: BatchMessage[] = [];
  for (let i = 0; i < 7 * 12; i++) messages.push({ value: call(T0 + i * 5 * MIN, i, 'inference.ml-prod', 8080), position: messages.length });
  const at = T0 + 7 * 60 * MIN;
  messages.push({ value: shell(at + 5_000), position: messages.length });
  messages.push({ value: 'not a log line at all', position: messages.length });
  messages.push({ value: null, position: messages.length });
  messages.push({ value: Buffer.from(call(at + 20_000, 900, 'vault.vault', 8200), 'utf8'), position: messages.length });
  messages.push({ value: call(at + 9 * MIN, 901, 'inference.ml-prod', 8080), position: messages.length });
  return messages;
}

const OPTIONS: PipelineOptions = { ...DEFAULT_PIPELINE_OPTIONS, eventTime: { ...DEFAULT_PIPELINE_OPTIONS.eventTime, confirmations: 1 }, collect: true };
const ledger = { append: () => undefined, flush: () => Promise.resolve() };
let detectors: DetectorSpec[] = [];
let pool: DetectionPool;

beforeAll(async () => {
  const config = await loadConfig(['detectors/new-callee-edges.yaml', 'detectors/falco-runtime-alerts.yaml']);
  expect(config.problems).toEqual([]);
  detectors = config.detectors.map((d) => d.value);
  pool = new DetectionPool(2, silentLogger());
});

afterAll(async () => {
  await pool.close();
});

async function onWorker(id: string, messages: readonly BatchMessage[], state: PipelineState = {}): Promise<{ engine: WorkerPipeline; anomalies: Anomaly[]; letters: StoredDeadLetter[] }> {
  const anomalies: Anomaly[] = [];
  const letters: StoredDeadLetter[] = [];
  const engine = await WorkerPipeline.open({
    pool, id, detectors, playbooks: [], options: OPTIONS, state,
    sinks: { deadLetters: { add: (l) => { letters.push(l); } }, ledger, anomalies: { add: (a) => { anomalies.push(a); } } },
    shared: { clock: new ManualClock(T0), autoencoders: new Map() },
  });
  // Two batches, as two fetches would bring them.
  const half = Math.floor(messages.length / 2);
  await engine.feed(messages.slice(0, half), 'mesh/0', () => Promise.resolve());
  await engine.feed(messages.slice(half), 'mesh/0', () => Promise.resolve());
  return { engine, anomalies, letters };
}

function inThread(messages: readonly BatchMessage[]): { pipeline: Pipeline; letters: StoredDeadLetter[] } {
  const letters: StoredDeadLetter[] = [];
  const pipeline = new Pipeline(detectors, [], OPTIONS, { deadLetters: { add: (l) => { letters.push(l); } }, ledger }, {}, { clock: new ManualClock(T0) });
  for (const m of messages) {
    const origin = { source: 'mesh/0', position: m.position };
    if (m.value === null) pipeline.reject({ code: 'empty', reason: 'message without a value (tombstone)', raw: '', origin });
    else pipeline.ingest(typeof m.value === 'string' ? m.value : Buffer.from(m.value).toString('utf8'), origin);
  }
  return { pipeline, letters };
}

describe('a partition whose detection runs on a worker thread', () => {
  it('raises the anomalies, dead letters, open positions and state a pipeline in this thread does', async () => {
    const messages = story();
    const here = inThread(messages);
    const { engine, anomalies, letters } = await onWorker('mesh:0', messages);
    expect(here.pipeline.anomalies.map((a) => a.detector).sort()).toEqual(['falco-runtime-alerts', 'new-callee-edges']);
    expect(anomalies).toEqual(here.pipeline.anomalies);
    expect(letters).toEqual(here.letters);
    expect(letters.map((l) => l.code)).toEqual(['unknown-shape', 'empty']);
    expect(engine.parsed).toBe(here.pipeline.counters.parsed);
    expect(engine.resumePosition(messages.length)).toBe(here.pipeline.resumePosition(messages.length));
    expect(engine.resumePosition(messages.length)).toBeLessThan(messages.length);
    expect(await engine.state()).toEqual(here.pipeline.state());
    engine.close();
  });

  it('resumes from the state it saved as a pipeline in this thread resumes from it', async () => {
    const messages = story();
    const first = await onWorker('mesh:1', messages.slice(0, 40));
    const saved = await first.engine.state();
    first.engine.close();
    const resumed = await onWorker('mesh:1', messages.slice(40), saved);
    const here = inThread(messages);
    expect(await resumed.engine.state()).toEqual(here.pipeline.state());
    expect(resumed.anomalies.map((a) => a.id)).toEqual(here.pipeline.anomalies.map((a) => a.id));
    resumed.engine.close();
  });

  it('fails the batch in hand with a retriable error when its worker dies, and reports the partitions lost', async () => {
    const lost: string[][] = [];
    const crashing = new DetectionPool(1, silentLogger(), (partitions) => { lost.push([...partitions]); });
    try {
      const engine = await WorkerPipeline.open({
        pool: crashing, id: 'mesh:2', detectors, playbooks: [], options: OPTIONS, state: {},
        sinks: { deadLetters: { add: () => undefined }, ledger }, shared: { clock: new ManualClock(T0), autoencoders: new Map() },
      });
      const many = Array.from({ length: 20_000 }, (_, i) => ({ value: call(T0 + i * 1000, i, 'inference.ml-prod', 8080), position: i }));
      const feeding = engine.feed(many, 'mesh/0', () => Promise.resolve());
      await crashing.terminate(0);
      const error = await feeding.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(DetectionWorkerError);
      expect(error).toMatchObject({ code: 'detection-worker-failed', retriable: true, partitions: ['mesh:2'] });
      expect(lost).toEqual([['mesh:2']]);
      // A fresh thread takes the slot: the partition opens again from its state.
      const again = await WorkerPipeline.open({
        pool: crashing, id: 'mesh:2', detectors, playbooks: [], options: OPTIONS, state: {},
        sinks: { deadLetters: { add: () => undefined }, ledger }, shared: { clock: new ManualClock(T0), autoencoders: new Map() },
      });
      await again.feed(many.slice(0, 10), 'mesh/0', () => Promise.resolve());
      expect(again.parsed).toBe(10);
    } finally {
      await crashing.close();
    }
  });
});
