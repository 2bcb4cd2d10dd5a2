import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { DetectorSpec } from '../../../src/detect/detector-spec.js';
import { MIN, POD, T0, call, shell } from '../helpers/frontend-pod-lines.js';

let detectors: DetectorSpec[] = [];
beforeAll(async () => {
  const config = await loadConfig(['detectors/new-callee-edges.yaml', 'detectors/falco-runtime-alerts.yaml']);
  expect(config.problems).toEqual([]);
  detectors = config.detectors.map((d) => d.value);
});

describe('a shell in a pod and the new egress edge it opens', () => {
  it('lead to anomalies and incidents on the same pod entity', () => {
    const eventTime = { ...DEFAULT_PIPELINE_OPTIONS.eventTime, confirmations: 1 };
    const pipeline = new Pipeline(detectors, [], { ...DEFAULT_PIPELINE_OPTIONS, eventTime, collect: true }, {
      deadLetters: { add: () => undefined },
      ledger: { append: () => undefined, flush: () => Promise.resolve() },
    });
    let position = 0;
    // Seven hours of frontend -> inference: past the six-hour edge learning period.
    for (let i = 0; i < 7 * 12; i++) pipeline.ingest(call(T0 + i * 5 * MIN, i, 'inference.ml-prod', 8080), { source: 'mesh/0', position: position++ });
    const at = T0 + 7 * 60 * MIN;
    pipeline.ingest(shell(at + 5_000), { source: 'falco/0', position: 0 });
    pipeline.ingest(call(at + 20_000, 900, 'vault.vault', 8200), { source: 'mesh/0', position: position++ });
    pipeline.finish();

    expect(pipeline.counters.deadLettered).toBe(0);
    const byDetector = new Map(pipeline.anomalies.map((a) => [a.detector, a]));
    const falco = byDetector.get('falco-runtime-alerts');
    const edge = byDetector.get('new-callee-edges');
    expect(falco?.entity.key).toBe(`pod:ml-prod/${POD}`);
    expect(edge?.entity.key).toBe(`pod:ml-prod/${POD}`);
    // The pod known from its mesh traffic keeps its labels on the Falco anomaly too.
    expect(falco?.entity.labels).toEqual({ app: 'frontend' });
    expect(falco).toMatchObject({ severity: 'high', score: 0.8 });
    expect(falco?.evidence).toEqual([{
      feature: 'falco: Terminal shell in container', observed: 1, expected: 0, spread: 1, score: 0.8,
      details: ['priority notice', 'proc.cmdline=sh -i proc.name=sh user.name=root container.id=788861c3cf83'],
    }]);
    expect(edge?.evidence[0]?.details).toEqual(['ml-prod/frontend -> vault.vault']);
    const incidents = pipeline.incidents.filter((incident) => incident.entity === `pod:ml-prod/${POD}`);
    expect(incidents.map((incident) => incident.detectors)).toEqual([['falco-runtime-alerts', 'new-callee-edges']]);
  });

  it('keeps a Falco alert without a pod out of every entity (counted unattributed)', () => {
    const pipeline = new Pipeline(detectors, [], { ...DEFAULT_PIPELINE_OPTIONS, collect: true }, {
      deadLetters: { add: () => undefined },
      ledger: { append: () => undefined, flush: () => Promise.resolve() },
    });
    const hostAlert = JSON.parse(shell(T0)) as { output_fields: Record<string, unknown> };
    hostAlert.output_fields['k8s.pod.name'] = null;
    pipeline.ingest(JSON.stringify(hostAlert), { source: 'falco/0', position: 0 });
    pipeline.finish();
    expect(pipeline.counters.unattributed).toBe(1);
    expect(pipeline.anomalies).toEqual([]);
  });
});
