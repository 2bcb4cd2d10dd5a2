import type { Entity } from '../../../../src/features/entity.js';
import type { FeatureWindow } from '../../../../src/features/feature-window.js';
import { seededRandom } from '../../../../src/shared/random.js';

/** The workload features the autoencoder tests use, in order. */
export const WORKLOAD_FEATURES = [
  'request_rate', 'ratio_4xx', 'ratio_5xx', 'ratio_401_403', 'ratio_flagged', 'latency_p95', 'bytes_out', 'egress_bytes', 'distinct_peers',
] as const;

const MIN = 60_000;
export const T0 = Date.UTC(2026, 10, 2);

/** Workload `i` of a small mesh: base request rates from 5 to about 110 per second. */
export function workload(i: number): Entity {
  return { key: `workload:ml-prod/svc-${i}`, kind: 'workload', namespace: 'ml-prod', name: `svc-${i}`, workload: `svc-${i}` };
}

const ENTITIES = 10;

/** What to change in a window (multiplied or replaced), to inject an incident. */
export interface Injection {
  readonly scale?: Partial<Record<(typeof WORKLOAD_FEATURES)[number], number>>;
  readonly set?: Partial<Record<(typeof WORKLOAD_FEATURES)[number], number>>;
  readonly drop?: readonly (typeof WORKLOAD_FEATURES)[number][];
}

/**
 * A deterministic stream of normal workload windows: ten workloads of very different sizes whose
 * bytes and latency follow their load, with small error ratios and noise. Window `i` belongs to
 * workload `i % 10` at minute `floor(i / 10)`.
 */
export class MeshWindows {
  private readonly random: () => number;
  private index = 0;

  constructor(seed = 7) {
    this.random = seededRandom(seed);
  }

  next(injection: Injection = {}): FeatureWindow {
    const i = this.index++;
    const e = i % ENTITIES;
    const minute = Math.floor(i / ENTITIES);
    const u = (): number => this.random();
    const noise = (): number => 1 + 0.15 * (u() - 0.5);
    const rate = 5 * 2 ** (e / 2) * noise();
    const features: Record<string, number> = {
      request_rate: rate,
      ratio_4xx: 0.02 + 0.01 * u(),
      ratio_5xx: 0.004 * u(),
      ratio_401_403: 0.004 * u(),
      ratio_flagged: 0.003 * u(),
      latency_p95: (60 + 0.4 * rate) * noise(),
      bytes_out: rate * 60 * 2000 * noise(),
      egress_bytes: rate * 60 * 500 * noise(),
      distinct_peers: 2 + (e % 3),
    };
    for (const [name, factor] of Object.entries(injection.scale ?? {})) features[name] = (features[name] ?? 0) * factor;
    for (const [name, value] of Object.entries(injection.set ?? {})) features[name] = value;
    for (const name of injection.drop ?? []) Reflect.deleteProperty(features, name);
    return { entity: workload(e), windowStart: T0 + minute * MIN, windowEnd: T0 + (minute + 1) * MIN, features, details: {} };
  }

  take(count: number, injection: Injection = {}): FeatureWindow[] {
    return Array.from({ length: count }, () => this.next(injection));
  }
}

/** Exfiltration: a workload uploads hundreds of times its usual volume to new destinations. */
export const EXFILTRATION: Injection = { scale: { egress_bytes: 400 }, set: { distinct_peers: 9 } };

/** Credential stuffing: many more requests, most of them refused. */
export const CREDENTIAL_STUFFING: Injection = { scale: { request_rate: 6 }, set: { ratio_401_403: 0.6, ratio_4xx: 0.62 } };
