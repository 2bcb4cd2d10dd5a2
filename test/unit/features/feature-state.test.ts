import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor, type FeatureExtractorOptions, type FeatureSnapshot } from '../../../src/features/feature-extractor.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';
import type { AccessLogRecord } from '../../../src/parse/records.js';
import { inbound, outbound } from '../helpers/records.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
const LEARNING: FeatureExtractorOptions = { ...DEFAULT_FEATURE_OPTIONS, edgeLearningMs: 60 * MIN };

interface Saved {
  readonly clock: { readonly closedUpTo: number | null; readonly maxTimestamp: number | null };
  readonly features: FeatureSnapshot;
}

/** Clock and snapshot through JSON, as a checkpoint carries them, into a new extractor (as the Pipeline does). */
function restart(fx: FeatureExtractor, options: FeatureExtractorOptions = DEFAULT_FEATURE_OPTIONS, withFeatures = true): FeatureExtractor {
  const saved = JSON.parse(JSON.stringify({ clock: fx.clock(), features: fx.snapshot() })) as Saved;
  const clock = { closedUpTo: saved.clock.closedUpTo ?? Number.NEGATIVE_INFINITY, maxTimestamp: saved.clock.maxTimestamp ?? Number.NEGATIVE_INFINITY };
  return new FeatureExtractor(options, clock, withFeatures ? saved.features : undefined);
}

/** The same line as a raw Envoy line would give: no Kubernetes metadata. */
function raw(record: AccessLogRecord): AccessLogRecord {
  const { kubernetes: _omit, ...rest } = record;
  return { ...rest, envelope: 'raw' };
}

function podWindows(fx: FeatureExtractor, pod: string): FeatureWindow[] {
  return fx.flush().windows.filter((w) => w.entity.key === `pod:ml-prod/${pod}`);
}

describe('FeatureExtractor snapshot', () => {
  it('attributes a raw line to the pod learned before the restart, with its labels, and names its caller', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
    const labels = { app: 'inference', 'pod-template-hash': 'abc12', team: 'ml' };
    fx.ingest(inbound('inference-abc12-xyz89', 'inference', T0, { downstreamLocalAddress: '10.2.0.9:8080', kubernetes: { namespace: 'ml-prod', pod: 'inference-abc12-xyz89', labels } }));
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 1, 'inference.ml-prod.svc.cluster.local', { upstreamLocalAddress: '10.1.1.5:41000' }));
    fx.flush();

    const restored = restart(fx);
    expect(restored.ingest(raw(inbound('x', 'x', T0 + 10 * MIN, { downstreamLocalAddress: '10.2.0.9:8080', downstreamRemoteAddress: '10.1.1.5:41000' })))).toBe('accepted');
    const windows = restored.flush().windows;
    const pod = windows.find((w) => w.entity.key === 'pod:ml-prod/inference-abc12-xyz89');
    expect(pod?.features.requests).toBe(1);
    expect(pod?.entity.labels).toEqual(labels);
    expect(windows.find((w) => w.entity.key === 'workload:ml-prod/inference')?.entity.labels).toEqual({ app: 'inference', team: 'ml' });
    expect(windows.find((w) => w.entity.key === 'principal:ml-prod/frontend')?.features.requests).toBe(1);

    // Without the snapshot the same line cannot be attributed.
    expect(restart(fx, DEFAULT_FEATURE_OPTIONS, false).ingest(raw(inbound('x', 'x', T0 + 10 * MIN, { downstreamLocalAddress: '10.2.0.9:8080' })))).toBe('unattributed');
  });

  it('flags a new edge of a caller past its learning period right after the restart, and not a known one', () => {
    const fx = new FeatureExtractor(LEARNING);
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0, 'inference.ml-prod.svc.cluster.local'));
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 30 * MIN, 'auth.ml-prod.svc.cluster.local'));
    fx.flush();

    const restored = restart(fx, LEARNING);
    restored.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 61 * MIN, 'inference.ml-prod.svc.cluster.local'));
    restored.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 62 * MIN, 'auth.ml-prod.svc.cluster.local'));
    restored.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 62 * MIN + 1, 'vault.vault.svc.cluster.local'));
    const windows = podWindows(restored, 'frontend-abc12-xyz89');
    expect(windows.map((w) => w.features.new_edges)).toEqual([0, 1]);
    expect(windows[1]?.details.new_edges).toEqual(['ml-prod/frontend -> vault.vault']);

    // Without the snapshot the caller starts learning again and the edge goes unnoticed.
    const fresh = restart(fx, LEARNING, false);
    fresh.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0 + 62 * MIN + 1, 'vault.vault.svc.cluster.local'));
    expect(podWindows(fresh, 'frontend-abc12-xyz89').map((w) => w.features.new_edges)).toEqual([0]);
  });

  it('leaves out edges first seen in a window still open, so reading that window again flags them again', () => {
    const fx = new FeatureExtractor(LEARNING);
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0, 'inference.ml-prod.svc.cluster.local'));
    const lateral = outbound('frontend-abc12-xyz89', 'frontend', T0 + 61 * MIN, 'vault.vault.svc.cluster.local');
    fx.ingest(lateral);
    fx.advance();
    expect(fx.snapshot().callers).toEqual([['ml-prod/frontend', T0, ['inference.ml-prod']]]);

    const restored = restart(fx, LEARNING);
    restored.ingest(lateral);
    expect(podWindows(restored, 'frontend-abc12-xyz89').map((w) => w.features.new_edges)).toEqual([1]);
    // Once its window closed, the edge is kept.
    expect(restored.snapshot().callers).toEqual([['ml-prod/frontend', T0, ['inference.ml-prod', 'vault.vault']]]);
  });

  it('survives a second restart unchanged', () => {
    const fx = new FeatureExtractor(LEARNING);
    fx.ingest(inbound('inference-abc12-xyz89', 'inference', T0, { downstreamLocalAddress: '10.2.0.9:8080' }));
    fx.ingest(outbound('frontend-abc12-xyz89', 'frontend', T0, 'inference.ml-prod.svc.cluster.local', { upstreamLocalAddress: '10.1.1.5:41000' }));
    fx.flush();
    const once = restart(fx, LEARNING);
    expect(restart(once, LEARNING).snapshot()).toEqual(fx.snapshot());
  });

  it('stays within the bounds of the extractor: entities, edges per caller and addresses', () => {
    const options = { ...LEARNING, maxEntities: 3, maxSnapshotBytes: 64 * 1024 * 1024 };
    const fx = new FeatureExtractor(options);
    for (let i = 0; i < 5; i++) {
      fx.ingest(outbound(`app${i}-abc12-xyz89`, `app${i}`, T0 + i, 'inference.ml-prod.svc.cluster.local', { upstreamLocalAddress: `10.3.0.${i}:5000` }));
    }
    for (let i = 0; i < 5000; i++) fx.ingest(outbound('app4-abc12-xyz89', 'app4', T0 + 10, `svc${i}.ml-prod.svc.cluster.local`, { upstreamLocalAddress: '10.3.0.4:5000' }));
    fx.flush();
    const snapshot = fx.snapshot();
    expect(snapshot.pods).toHaveLength(3);
    expect(snapshot.callers.map(([caller]) => caller)).toEqual(['ml-prod/app2', 'ml-prod/app3', 'ml-prod/app4']);
    expect(snapshot.callers[2]?.[2]).toHaveLength(4096);
    expect(snapshot.ips).toHaveLength(5);
    // Labels are kept for the pods cache only; the directory still knows the other two pods.
    expect(snapshot.labels).toHaveLength(3);
    expect(snapshot.owners).toHaveLength(5);

    // A snapshot over the bounds (written with other settings) is cut to them, keeping the newest.
    const big: FeatureSnapshot = {
      version: 1, labels: [], owners: [['ml-prod', 'a-abc12-xyz89', 'a']],
      ips: Array.from({ length: 100_005 }, (_, i): [string, number] => [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 0]),
      pods: [[0, -1], [0, -1], [0, -1], [0, -1]],
      callers: Array.from({ length: 5 }, (_, i): [string, number, string[]] => [`ml-prod/c${i}`, T0, Array.from({ length: 5000 }, (_, j) => `s${j}`)]),
    };
    const restored = new FeatureExtractor(options, fx.clock(), big).snapshot();
    expect(restored.ips).toHaveLength(100_000);
    expect(restored.ips[0]?.[0]).toBe('10.0.0.5');
    expect(restored.callers.map(([caller, , callees]) => [caller, callees.length])).toEqual([['ml-prod/c2', 4096], ['ml-prod/c3', 4096], ['ml-prod/c4', 4096]]);
  });

  it('stays within its byte budget, keeping the newest callers whole, then the newest addresses and pods', () => {
    const options = { ...LEARNING, maxSnapshotBytes: 16 * 1024 };
    const fx = new FeatureExtractor(options);
    for (let i = 0; i < 1000; i++) {
      const app = `app${i}`;
      const labels = { app, 'pod-template-hash': 'abc12', 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': app };
      fx.ingest(outbound(`${app}-abc12-xyz89`, app, T0 + i, `svc${i % 7}.ml-prod.svc.cluster.local`, {
        upstreamLocalAddress: `10.4.${i >> 8}.${i & 255}:5000`, kubernetes: { namespace: 'ml-prod', pod: `${app}-abc12-xyz89`, labels },
      }));
    }
    fx.flush();
    const snapshot = fx.snapshot();
    const bytes = Buffer.byteLength(JSON.stringify(snapshot));
    expect(bytes).toBeLessThanOrEqual(16 * 1024);
    expect(bytes).toBeGreaterThan(12 * 1024);
    // The newest callers come whole, in up to half the budget; the newest addresses take the rest.
    expect(snapshot.callers.length).toBeGreaterThan(100);
    expect(snapshot.callers.length).toBeLessThan(1000);
    expect(Buffer.byteLength(JSON.stringify(snapshot.callers))).toBeLessThanOrEqual(8 * 1024);
    expect(snapshot.ips.length).toBeGreaterThan(100);
    expect(snapshot.ips.at(-1)).toEqual(['10.4.3.231', 0]);
    expect(snapshot.callers.at(-1)).toEqual(['ml-prod/app999', T0 + 999, ['svc5.ml-prod']]);
    expect(snapshot.callers.every(([, , callees]) => callees.length === 1)).toBe(true);

    const restored = restart(fx, options);
    expect(restored.ingest(raw(outbound('x', 'x', T0 + 10 * MIN, 'svc0.ml-prod.svc.cluster.local', { upstreamLocalAddress: '10.4.3.231:5000' })))).toBe('accepted');
    expect(restored.ingest(raw(outbound('x', 'x', T0 + 10 * MIN, 'svc0.ml-prod.svc.cluster.local', { upstreamLocalAddress: '10.4.0.0:5000' })))).toBe('unattributed');
  });

  it('starts empty from a checkpoint without the snapshot or with another version of it', () => {
    const line = raw(inbound('x', 'x', T0, { downstreamLocalAddress: '10.2.0.9:8080' }));
    expect(new FeatureExtractor(DEFAULT_FEATURE_OPTIONS, undefined, undefined).ingest(line)).toBe('unattributed');
    const future = { version: 2, ips: [['10.2.0.9', 0]] } as unknown as FeatureSnapshot;
    const fx = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS, undefined, future);
    expect(fx.ingest(line)).toBe('unattributed');
    expect(fx.snapshot()).toEqual({ version: 1, labels: [], owners: [], ips: [], pods: [], callers: [], revisions: [] });
  });
});
