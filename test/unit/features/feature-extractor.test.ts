import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor } from '../../../src/features/feature-extractor.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';
import { drift, inbound, outbound, telemetry } from '../helpers/records.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);

function windowsOf(extractor: FeatureExtractor, key: string): FeatureWindow[] {
  return extractor.flush().windows.filter((w) => w.entity.key === key);
}

describe('FeatureExtractor', () => {
  it('computes ratios, latency quantiles and bytes per workload and pod window', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    for (let i = 0; i < 10; i++) {
      fx.ingest(inbound('inference-abc12-xyz89', 'inference', T0 + i * 1000, {
        responseCode: i < 2 ? 503 : i < 5 ? 401 : 200, duration: (i + 1) * 10, responseFlags: i < 2 ? ['UF'] : [],
      }));
    }
    const closed = fx.flush().windows;
    const workload = closed.find((w) => w.entity.key === 'workload:ml-prod/inference');
    const pod = closed.find((w) => w.entity.key === 'pod:ml-prod/inference-abc12-xyz89');
    expect(workload?.features).toMatchObject({ requests: 10, ratio_5xx: 0.2, ratio_401_403: 0.3, ratio_4xx: 0.3, ratio_flagged: 0.2, bytes_in: 1000, bytes_out: 5000 });
    expect(workload?.features.latency_p50).toBeCloseTo(55);
    expect(workload?.features.latency_p99).toBeCloseTo(99.1);
    expect(pod?.features.requests).toBe(10);
    expect(pod?.entity).toMatchObject({ kind: 'pod', namespace: 'ml-prod', pod: 'inference-abc12-xyz89', workload: 'inference' });
  });

  it('closes a window only once the watermark has passed its end plus the allowed lateness', () => {
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, allowedLatenessMs: 30_000 });
    fx.ingest(inbound('a-abc12-xyz89', 'a', T0 + 5_000));
    fx.ingest(inbound('a-abc12-xyz89', 'a', T0 + MIN + 20_000));
    expect(fx.advance().windows).toHaveLength(0);
    fx.ingest(inbound('a-abc12-xyz89', 'a', T0 + 2 * MIN + 31_000));
    const closed = fx.advance().windows.filter((w) => w.entity.kind === 'workload');
    expect(closed.map((w) => w.windowStart)).toEqual([T0, T0 + MIN]);
  });

  it('reports a record for an already closed window as late instead of counting it', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    fx.ingest(inbound('a-abc12-xyz89', 'a', T0 + 10 * MIN));
    fx.advance();
    expect(fx.ingest(inbound('a-abc12-xyz89', 'a', T0))).toBe('late');
    expect(fx.ingest(inbound('a-abc12-xyz89', 'a', T0 + 10 * MIN + 1))).toBe('accepted');
  });

  it('names an external caller at the gateway by the peer address the gateway saw, keeping the claimed X-Forwarded-For head as evidence', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    const gw = { kubernetes: { namespace: 'istio-system', pod: 'istio-ingressgateway-5c9d-abcde', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } } };
    fx.ingest(outbound('istio-ingressgateway-5c9d-abcde', 'istio-ingressgateway', T0, 'frontend.ml-prod.svc.cluster.local', {
      ...gw, xForwardedFor: '203.0.113.7, 198.51.100.9', downstreamRemoteAddress: '198.51.100.9:41000', responseCode: 401,
    }));
    const closed = fx.flush().windows;
    expect(closed.some((w) => w.entity.key === 'principal:203.0.113.7')).toBe(false);
    const principal = closed.find((w) => w.entity.key === 'principal:198.51.100.9');
    expect(principal?.features).toMatchObject({ requests: 1, ratio_401_403: 1 });
    expect(principal?.entity.identity).toBe('ip');
    expect(principal?.details.clientClaimedForwardedFor).toEqual(['203.0.113.7']);
  });

  it('resolves a mesh caller to its workload through addresses learned from its own lines', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0, 'inference.ml-prod.svc.cluster.local', { upstreamLocalAddress: '10.1.1.5:41000' }));
    fx.ingest(inbound('inference-abc12-xyz89', 'inference', T0 + 1, { downstreamRemoteAddress: '10.1.1.5:41000' }));
    expect(windowsOf(fx, 'principal:ml-prod/frontend')[0]?.features.requests).toBe(1);
  });

  it('attributes a raw line without metadata to the pod that owns its local address', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    fx.ingest(inbound('inference-abc12-xyz89', 'inference', T0, { downstreamLocalAddress: '10.2.0.9:8080' }));
    const { kubernetes: _omit, ...raw } = inbound('x', 'x', T0 + 1, { downstreamLocalAddress: '10.2.0.9:8080', envelope: 'raw' });
    expect(fx.ingest(raw)).toBe('accepted');
    const { kubernetes: _none, ...unknown } = inbound('x', 'x', T0 + 2, { downstreamLocalAddress: '10.9.9.9:8080', envelope: 'raw' });
    expect(fx.ingest(unknown)).toBe('unattributed');
    expect(windowsOf(fx, 'workload:ml-prod/inference')[0]?.features.requests).toBe(2);
  });


  it('gives an address back to a pod that writes it again after another pod took it', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    const at = { upstreamLocalAddress: '10.1.1.5:41000' };
    // frontend teaches 10.1.1.5 (twice: the second line is the one a cache may skip), batch takes
    // it, frontend writes it again: the directory must follow every change of owner.
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0, 'inference.ml-prod.svc.cluster.local', at));
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 1, 'inference.ml-prod.svc.cluster.local', at));
    fx.ingest(outbound('batch-abc12-xyz89', 'batch', T0 + 2, 'inference.ml-prod.svc.cluster.local', at));
    fx.ingest(inbound('inference-abc12-xyz89', 'inference', T0 + 3, { downstreamRemoteAddress: '10.1.1.5:41000' }));
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 4, 'inference.ml-prod.svc.cluster.local', at));
    fx.ingest(inbound('inference-abc12-xyz89', 'inference', T0 + 5, { downstreamRemoteAddress: '10.1.1.5:41000' }));
    const closed = fx.flush().windows;
    expect(closed.find((w) => w.entity.key === 'principal:ml-prod/batch')?.features.requests).toBe(1);
    expect(closed.find((w) => w.entity.key === 'principal:ml-prod/frontend')?.features.requests).toBe(1);
  });
  it('flags caller -> callee edges first seen after the learning period, with the edge in the details', () => {
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, edgeLearningMs: 60 * MIN });
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0, 'inference.ml-prod.svc.cluster.local'));
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 30 * MIN, 'auth.ml-prod.svc.cluster.local'));
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 61 * MIN, 'inference.ml-prod.svc.cluster.local'));
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 61 * MIN + 1, 'vault.vault.svc.cluster.local'));
    const windows = fx.flush().windows.filter((w) => w.entity.key === 'pod:ml-prod/frontend-abc12-xyz89');
    expect(windows.map((w) => w.features.new_edges)).toEqual([0, 0, 1]);
    expect(windows[2]?.details.new_edges).toEqual(['ml-prod/frontend -> vault.vault']);
    expect(windows[2]?.features.distinct_peers).toBe(2);
  });

  it('sums what a pod sends upstream as egress bytes', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    const { direction: _d, destinationService: _s, ...passthrough } = outbound('inference-abc12-xyz89', 'inference', T0, 'x', {
      bytesReceived: 5_000_000, upstreamCluster: 'PassthroughCluster', requestedServerName: 'storage.example.net',
    });
    fx.ingest(passthrough);
    const pod = windowsOf(fx, 'pod:ml-prod/inference-abc12-xyz89')[0];
    expect(pod?.features.egress_bytes).toBe(5_000_000);
    expect(pod?.features.distinct_peers).toBe(1);
  });

  it('weights interval confidence by requests and tracks drift per model version', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    fx.ingest(telemetry(T0, 0.9, { counts: { requests: 300 } }));
    fx.ingest(telemetry(T0 + 1, 0.5, { counts: { requests: 100 } }));
    fx.ingest(drift(T0 + 2, 'amount', 0.05, false));
    fx.ingest(drift(T0 + 3, 'merchant', 0.4, true));
    const model = windowsOf(fx, 'model:ml-prod/fraud-detector@v3')[0];
    expect(model?.features.confidence_mean).toBeCloseTo(0.8);
    expect(model?.features).toMatchObject({ model_requests: 400, drift_psi_max: 0.4, drift_share: 0.5 });
    expect(model?.details.drift_share).toEqual(['merchant']);
  });

  it('forgets entities that went quiet, keeping memory bounded', () => {
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, idleEvictionMs: 10 * MIN });
    fx.ingest(inbound('old-abc12-xyz89', 'old', T0));
    fx.ingest(inbound('new-abc12-xyz89', 'new', T0 + 30 * MIN));
    const { evicted } = fx.advance();
    // The shared caller (principal 10.0.0.20) stays: it is still active through the new workload.
    // The old workload's route goes with it.
    expect(evicted.sort()).toEqual(['pod:ml-prod/old-abc12-xyz89', 'route:ml-prod/old:GET:/api/v1/score', 'workload:ml-prod/old']);
    expect(fx.trackedEntities).toBe(4);
  });

  it('never tracks more entities than its bound', () => {
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, maxEntities: 50 });
    for (let i = 0; i < 500; i++) fx.ingest(inbound(`p${i}-abc12-xyz89`, `w${i}`, T0 + i, { downstreamRemoteAddress: `10.9.${i % 250}.1:1` }));
    expect(fx.trackedEntities).toBeLessThanOrEqual(50);
  });

  it('counts what a gateway forwards into the mesh as its caller\'s egress, and its own calls outside the mesh as its own', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    const gw = { kubernetes: { namespace: 'istio-system', pod: 'istio-ingressgateway-5c9d-abcde', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } } };
    fx.ingest(outbound('istio-ingressgateway-5c9d-abcde', 'istio-ingressgateway', T0, 'frontend.ml-prod.svc.cluster.local', {
      ...gw, bytesReceived: 5_000_000, xForwardedFor: '198.51.100.9', downstreamRemoteAddress: '198.51.100.9:41000', destinationNamespace: 'ml-prod',
    }));
    const { direction: _d, destinationService: _s, ...own } = outbound('istio-ingressgateway-5c9d-abcde', 'istio-ingressgateway', T0 + 1, 'x', {
      ...gw, bytesReceived: 700, upstreamCluster: 'PassthroughCluster', requestedServerName: 'oidc.example.net', downstreamRemoteAddress: '198.51.100.9:41000',
    });
    fx.ingest(own);
    const closed = fx.flush().windows;
    const pod = closed.find((w) => w.entity.key === 'pod:istio-system/istio-ingressgateway-5c9d-abcde');
    expect(pod?.features.egress_bytes).toBe(700);
    expect(pod?.entity.role).toBe('gateway');
    expect(closed.find((w) => w.entity.key === 'workload:istio-system/istio-ingressgateway')?.entity.role).toBe('gateway');
    expect(closed.find((w) => w.entity.key === 'principal:198.51.100.9')?.features.egress_bytes).toBe(5_000_000);
  });

  it('evicts client principals before workloads when full, and reports an evicted entity a detector has seen', () => {
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, maxEntities: 10, allowedLatenessMs: 0 });
    const gw = { kubernetes: { namespace: 'istio-system', pod: 'istio-ingressgateway-5c9d-abcde', labels: { istio: 'ingressgateway' } } };
    const line = (at: number, client: string) => outbound('istio-ingressgateway-5c9d-abcde', 'istio-ingressgateway', at, 'frontend.ml-prod.svc.cluster.local', {
      ...gw, downstreamRemoteAddress: `${client}:4000`,
    });
    fx.ingest(line(T0, '198.51.100.1'));
    fx.ingest(line(T0 + MIN, '198.51.100.2'));
    expect(fx.advance().windows.map((w) => w.entity.key)).toContain('principal:198.51.100.1');
    for (let i = 0; i < 100; i++) fx.ingest(line(T0 + MIN + i, `203.0.113.${i}`));
    expect(fx.trackedEntities).toBe(10);
    fx.ingest(line(T0 + 3 * MIN, '198.51.100.3'));
    const { windows, evicted } = fx.advance();
    expect(evicted).toContain('principal:198.51.100.1');
    // Principals born and evicted within one open window were never scored: nothing to report.
    expect(evicted).not.toContain('principal:203.0.113.0');
    expect(windows.map((w) => w.entity.key)).toContain('pod:istio-system/istio-ingressgateway-5c9d-abcde');
    expect(windows.some((w) => w.entity.key === 'principal:203.0.113.0')).toBe(false);
  });

  it('keeps learned callers within the same bound', () => {
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, maxEntities: 50 });
    for (let i = 0; i < 500; i++) fx.ingest(outbound(`w${i}-abc12-xyz89`, `w${i}`, T0 + i, 'inference.ml-prod.svc.cluster.local'));
    expect(fx.learnedCallers).toBe(50);
  });
});
