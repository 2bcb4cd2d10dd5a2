import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor } from '../../../src/features/feature-extractor.js';
import type { FalcoEventRecord } from '../../../src/parse/records.js';
import { inbound } from '../helpers/records.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);

function falco(namespace: string, name: string, at: number): FalcoEventRecord {
  return {
    kind: 'falco-event', envelope: 'raw', timestamp: at, rule: 'Terminal shell in container', priority: 'notice', tags: [],
    pod: { namespace, name }, fields: {}, droppedFields: 0, origin: { source: 'test', position: 1 },
  };
}

describe('a Falco alert for a pod the mesh has named', () => {
  it('goes to the pod entity with the labels its access-log lines carried, after the pod went quiet', () => {
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, idleEvictionMs: 10 * MIN });
    fx.ingest(inbound('inference-abc12-xyz89', 'inference', T0));
    // Another pod keeps event time moving until the first one is evicted as idle.
    for (let m = 1; m <= 20; m++) fx.ingest(inbound('other-abc12-xyz89', 'other', T0 + m * MIN));
    const evicted = fx.advance().evicted;
    expect(evicted).toContain('pod:ml-prod/inference-abc12-xyz89');
    expect(fx.ingest(falco('ml-prod', 'inference-abc12-xyz89', T0 + 20 * MIN + 1_000))).toBe('accepted');
    const pod = fx.flush().windows.find((w) => w.entity.key === 'pod:ml-prod/inference-abc12-xyz89');
    expect(pod?.entity.labels).toEqual({ app: 'inference' });
    expect(pod?.features.falco_alerts).toBe(1);
  });

  it('names a pod never seen in the mesh from the alert alone, without labels', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    fx.ingest(falco('ml-prod', 'stranger-abc12-xyz89', T0));
    const pod = fx.flush().windows.find((w) => w.entity.key === 'pod:ml-prod/stranger-abc12-xyz89');
    expect(pod?.entity).toMatchObject({ kind: 'pod', namespace: 'ml-prod', pod: 'stranger-abc12-xyz89', workload: 'stranger' });
    expect(pod?.entity.labels).toBeUndefined();
  });
});
