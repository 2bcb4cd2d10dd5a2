import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline, type PipelineState } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { DetectorSpec } from '../../../src/detect/detector-spec.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const FRONTEND = 'frontend-7d9c8b6f5-x2k4p';

/** An outbound Envoy line of the frontend pod (IP 10.42.1.5) calling `service`. */
function call(at: number, i: number, service: string, port: number): string {
  return `[${new Date(at).toISOString()}] "POST /v1/x HTTP/1.1" 200 - via_upstream - "-" 10 20 5 4 "-" "t/1" "r-${i}" "${service}:${port}" "10.43.0.5:${port}" outbound|${port}||${service}.svc.cluster.local 10.42.1.5:41000 10.96.0.10:${port} 10.42.1.5:41000 - default`;
}

/** As shipped by Fluent Bit, with the logging pod's Kubernetes metadata. */
function shipped(text: string): string {
  return JSON.stringify({ log: text, kubernetes: { namespace_name: 'ml-prod', pod_name: FRONTEND, labels: { app: 'frontend' } } });
}

/**
 * Seven hours of frontend -> inference (past the 6 h edge learning period), then the frontend pod
 * calls Vault. The last line before the checkpoint (read again after the restart: its window is
 * still open) and the call to Vault are raw lines without metadata, attributed through the address
 * the pod logged before.
 */
const lines: string[] = [];
for (let i = 0; i < 7 * 12; i++) {
  const text = call(T0 + i * 5 * MIN, i, 'inference.ml-prod', 8080);
  lines.push(i < 7 * 12 - 1 ? shipped(text) : text);
}
const CHECKPOINT_AT = lines.length;
lines.push(call(T0 + 7 * 60 * MIN + 10_000, 900, 'vault.vault', 8200));
lines.push(shipped(call(T0 + 7 * 60 * MIN + 30_000, 901, 'inference.ml-prod', 8080)));

let detectors: DetectorSpec[] = [];
beforeAll(async () => {
  const config = await loadConfig(['detectors/new-callee-edges.yaml']);
  expect(config.problems).toEqual([]);
  detectors = config.detectors.map((d) => d.value);
});

function pipeline(state: PipelineState = {}, replayBelow?: number): Pipeline {
  // About feature state, not event-time robustness: the watermark follows the newest record (one
  // confirmation), so the positions below are those of the windows the lines fall in.
  const eventTime = { ...DEFAULT_PIPELINE_OPTIONS.eventTime, confirmations: 1 };
  return new Pipeline(detectors, [], { ...DEFAULT_PIPELINE_OPTIONS, eventTime, collect: true }, {
    deadLetters: { add: () => undefined },
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
  }, state, replayBelow === undefined ? {} : { replayBelow });
}

function feed(p: Pipeline, from: number, to: number): void {
  for (let i = from; i < to; i++) p.ingest(lines[i] ?? '', { source: 't/0', position: i });
}

/** What an anomaly is about, without its generated id. */
function summary(p: Pipeline): unknown[] {
  return p.anomalies.map((a) => ({ detector: a.detector, entity: a.entity.key, windowStart: a.windowStart, edges: a.evidence.map((e) => e.details) }));
}

describe('Pipeline feature state across a restart', () => {
  it('a pipeline resumed from its checkpoint flags the same new edge as one that never stopped', () => {
    const uninterrupted = pipeline();
    feed(uninterrupted, 0, lines.length);
    uninterrupted.finish();
    expect(summary(uninterrupted)).toEqual([{
      detector: 'new-callee-edges', entity: `pod:ml-prod/${FRONTEND}`, windowStart: T0 + 7 * 60 * MIN, edges: [['ml-prod/frontend -> vault.vault']],
    }]);

    const first = pipeline();
    feed(first, 0, CHECKPOINT_AT);
    const resume = first.resumePosition(CHECKPOINT_AT);
    expect(resume).toBe(CHECKPOINT_AT - 1);
    const state = JSON.parse(JSON.stringify(first.state())) as PipelineState;
    expect(state.features?.callers).toEqual([['ml-prod/frontend', T0, ['inference.ml-prod']]]);

    const second = pipeline(state, CHECKPOINT_AT);
    feed(second, resume, lines.length);
    second.finish();
    expect(second.counters.unattributed).toBe(0);
    expect(summary(second)).toEqual(summary(uninterrupted));
  });

  it('a checkpoint from before the feature state was saved still loads, starting it empty', () => {
    const first = pipeline();
    feed(first, 0, CHECKPOINT_AT);
    const { features: _old, ...state } = JSON.parse(JSON.stringify(first.state())) as PipelineState;
    const second = pipeline(state, CHECKPOINT_AT);
    feed(second, first.resumePosition(CHECKPOINT_AT), lines.length);
    second.finish();
    // As before the feature state was kept: the raw lines cannot be attributed, the edge goes unnoticed.
    expect(second.counters.unattributed).toBe(2);
    expect(second.anomalies).toEqual([]);
  });
});
