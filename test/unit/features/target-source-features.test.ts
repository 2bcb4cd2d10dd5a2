import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor } from '../../../src/features/feature-extractor.js';
import { outbound } from '../helpers/records.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
const GW_POD = 'istio-ingressgateway-5c9d-abcde';
const GW = { kubernetes: { namespace: 'istio-system', pod: GW_POD, labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } } };

function login(fx: FeatureExtractor, at: number, client: string, responseCode: number, xForwardedFor = client): void {
  fx.ingest(outbound(GW_POD, 'istio-ingressgateway', at, 'auth.ml-prod.svc.cluster.local', {
    ...GW, xForwardedFor, downstreamRemoteAddress: `${client}:41000`, responseCode,
  }));
}

describe('per-target features across principals', () => {
  it('counts on the gateway workload the callers refused, refused every time, and new after learning', () => {
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, edgeLearningMs: MIN });
    login(fx, T0, '198.51.100.1', 200);
    // Next window, past the learning period: two new sources refused every time, one regular
    // caller who mistypes once and gets in.
    login(fx, T0 + MIN + 1_000, '198.51.100.1', 401);
    login(fx, T0 + MIN + 2_000, '198.51.100.1', 200);
    login(fx, T0 + MIN + 3_000, '203.0.113.1', 401);
    login(fx, T0 + MIN + 4_000, '203.0.113.2', 403);
    login(fx, T0 + MIN + 5_000, '203.0.113.2', 401);
    const closed = fx.flush().windows;
    const windows = closed.filter((w) => w.entity.key === 'workload:istio-system/istio-ingressgateway');
    expect(windows[0]?.features).toMatchObject({ distinct_failing_sources: 0, refused_sources: 0, new_sources: 0, auth_failures: 0 });
    expect(windows[1]?.features).toMatchObject({
      distinct_failing_sources: 3, refused_sources: 2, new_sources: 2, new_failing_sources: 2, auth_failures: 4,
    });
    // The per-target counts live on the workload only, not on its pods or on the principals.
    const others = closed.filter((w) => w.entity.kind !== 'workload');
    expect(others.length).toBeGreaterThan(0);
    for (const w of others) expect(w.features.refused_sources).toBeUndefined();
  });

  it('names sources by the address the gateway saw: rotating X-Forwarded-For heads is still one source', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    for (let i = 0; i < 50; i++) login(fx, T0 + i * 100, '198.51.100.66', 401, `192.0.2.${i}, 198.51.100.66`);
    const gateway = fx.flush().windows.find((w) => w.entity.key === 'workload:istio-system/istio-ingressgateway');
    expect(gateway?.features).toMatchObject({ distinct_failing_sources: 1, refused_sources: 1, auth_failures: 50 });
  });
});
