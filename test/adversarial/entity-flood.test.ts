import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor } from '../../src/features/feature-extractor.js';
import type { AccessLogRecord } from '../../src/parse/records.js';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const CAP = 20_000;
const FLOOD = 200_000;
const CHUNK = 2_500;
const ROUNDS = 20;
const GATEWAY = { namespace: 'istio-system', pod: 'istio-ingressgateway-5c9d8f7b6-abcde', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The n-th distinct client address, all from addresses the attacker can source (a /8 of them). */
function address(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** One request through the ingress gateway from client `n`, 100 a second. */
function request(n: number): AccessLogRecord {
  return {
    kind: 'access-log', format: 'text', envelope: 'fluent-bit', timestamp: T0 + Math.floor(n / 100) * 1000,
    method: 'GET', path: '/', protocol: 'HTTP/1.1', responseCode: 404, responseFlags: ['NR'],
    bytesReceived: 0, bytesSent: 0, duration: 1, upstreamCluster: 'outbound|8080||frontend.ml-prod.svc.cluster.local', direction: 'outbound',
    destinationService: 'frontend.ml-prod.svc.cluster.local', destinationNamespace: 'ml-prod', upstreamLocalAddress: '10.42.0.9:52000',
    downstreamRemoteAddress: `${address(n)}:40000`, xForwardedFor: address(n), kubernetes: GATEWAY, origin: { source: 'flood', position: n },
  };
}

const POD_KEY = `pod:istio-system/${GATEWAY.pod}`;

/** Feeds records `from` .. `from + count`, advancing after each; returns the time taken (ms). */
function feed(fx: FeatureExtractor, from: number, count: number, seen: { podRequests: number; principalWindows: number; evicted: string[] }): number {
  const start = performance.now();
  for (let n = from; n < from + count; n++) {
    fx.ingest(request(n));
    const { windows, evicted } = fx.advance();
    for (const w of windows) {
      if (w.entity.key === POD_KEY) seen.podRequests += w.features.requests ?? 0;
      else if (w.entity.kind === 'principal') seen.principalWindows++;
    }
    seen.evicted.push(...evicted);
  }
  return performance.now() - start;
}

describe('a flood of distinct client addresses', () => {
  it('keeps the tracked entities at the cap, the cost per record flat and the heap bounded', () => {
    const seen = { podRequests: 0, principalWindows: 0, evicted: [] as string[] };
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, maxEntities: CAP });
    feed(fx, 0, 2 * CAP, seen);
    expect(fx.trackedEntities).toBe(CAP);

    // The same records, timed in turns so a busy machine slows both alike: into a fresh extractor
    // (room for all of them) and into the full one, where every new address evicts another.
    let belowCap = 0;
    let pastCap = 0;
    let next = 2 * CAP;
    for (let round = 0; round < ROUNDS; round++, next += CHUNK) {
      belowCap += feed(new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, maxEntities: CAP }), next, CHUNK, { podRequests: 0, principalWindows: 0, evicted: [] });
      pastCap += feed(fx, next, CHUNK, seen);
    }
    expect(fx.trackedEntities).toBe(CAP);
    expect(pastCap / belowCap).toBeLessThan(5);

    gc();
    const heapAtCap = process.memoryUsage().heapUsed;
    feed(fx, next, FLOOD - next, seen);
    gc();
    const growth = process.memoryUsage().heapUsed - heapAtCap;
    expect(fx.trackedEntities).toBe(CAP);
    // The last 110k addresses cost what a handful of entities do, not what 110k would (~60 MB).
    expect(growth).toBeLessThan(16 * 1024 * 1024);

    const { windows, evicted } = fx.flush();
    for (const w of windows) if (w.entity.key === POD_KEY) seen.podRequests += w.features.requests ?? 0;
    // The gateway's own entities survived the flood (clients are evicted first) and counted all of it.
    expect(seen.podRequests).toBe(FLOOD);
    // Evicted clients' open windows went with them: a window closes for tracked entities only.
    expect(windows.filter((w) => w.entity.kind === 'principal').length).toBeLessThanOrEqual(CAP);
    // Only clients were evicted for room, and those a detector had seen are reported (flush ends it all).
    expect(seen.evicted.length).toBeGreaterThan(0);
    expect(seen.evicted.filter((key) => !key.startsWith('principal:'))).toEqual([]);
    expect(evicted.length).toBeGreaterThan(0);
  }, 60_000);
});
