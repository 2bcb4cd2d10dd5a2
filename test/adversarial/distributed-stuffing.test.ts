import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../src/app.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import type { PlaybookSpec } from '../../src/playbook/playbook-spec.js';
import { seededRandom } from '../../src/shared/random.js';
import { gatewayLine, loadShipped, meshUpstream } from './attack-harness.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const AUTH = meshUpstream('10.42.3.7:8080', 'auth.ml-prod.svc.cluster.local');
const GATEWAY = 'workload:istio-system/istio-ingressgateway';
/** Warm-up before the attack: longer than the detector's 30-window baseline warm-up. */
const ATTACK_AT = T0 + 40 * MIN;
const ATTACK_MINUTES = 5;

let detectors: DetectorSpec[] = [];
let playbooks: PlaybookSpec[] = [];
beforeAll(async () => {
  ({ detectors, playbooks } = await loadShipped(['detectors/auth-failure-storm.yaml', 'detectors/distributed-auth-failures.yaml', 'playbooks/rotate-credentials-on-stuffing.yaml']));
});

/** A login attempt through the gateway to auth. */
interface AuthAttempt {
  readonly at: number;
  readonly client: string;
  readonly code: number;
  readonly path: string;
  /** X-Forwarded-For as the gateway logged it; defaults to the client address alone. */
  readonly xff?: string;
}

type Attacker = (minute: number, start: number, emit: (r: AuthAttempt) => void) => void;

/**
 * Fifty ordinary clients use the login API for `minutes`, 3-5 requests a minute each, each refused
 * 2-5% of the time (mistyped passwords); `attacker` adds its own requests minute by minute.
 */
function replay(minutes: number, attacker?: Attacker): Pipeline {
  const eventTime = { ...DEFAULT_PIPELINE_OPTIONS.eventTime, confirmations: 1 };
  const p = new Pipeline(detectors, playbooks, { ...DEFAULT_PIPELINE_OPTIONS, eventTime, collect: true }, {
    deadLetters: { add: () => undefined },
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
  });
  const random = seededRandom(12);
  const failShare = Array.from({ length: 50 }, () => 0.02 + 0.03 * random());
  let i = 0;
  for (let minute = 0; minute < minutes; minute++) {
    const start = T0 + minute * MIN;
    const batch: AuthAttempt[] = [];
    failShare.forEach((share, c) => {
      for (let k = 3 + Math.floor(random() * 3); k > 0; k--) {
        const refused = random() < share;
        batch.push({ at: start + Math.floor(random() * MIN), client: `198.51.100.${c + 1}`, code: refused ? 401 : 200, path: refused || random() < 0.3 ? '/api/v1/login' : '/api/v1/session' });
      }
    });
    attacker?.(minute, start, (r) => batch.push(r));
    batch.sort((a, b) => a.at - b.at);
    for (const r of batch) p.ingest(gatewayLine({ ...r, i: i++, peer: r.client, xff: r.xff ?? r.client, upstream: AUTH, userAgent: 'Mozilla/5.0' }), { source: 'gw', position: i });
  }
  p.finish();
  return p;
}

/** Twenty addresses, each trying 2-3 passwords a minute, one try in a hundred succeeding. */
const stuffing: Attacker = (() => {
  let attempts = 0;
  return (minute, start, emit) => {
    if (start < ATTACK_AT || start >= ATTACK_AT + ATTACK_MINUTES * MIN) return;
    for (let s = 0; s < 20; s++) {
      const tries = 2 + ((s + minute) % 2);
      for (let k = 0; k < tries; k++) {
        attempts++;
        emit({ at: start + 1_000 + s * 2_000 + k * 20_000, client: `203.0.113.${10 + s}`, code: attempts % 100 === 0 ? 200 : 401, path: '/api/v1/login' });
      }
    }
  };
})();

describe('credential stuffing spread over twenty addresses', () => {
  it('is caught on the gateway within two windows and answered by rotating the credential, though no single address is', () => {
    const p = replay(ATTACK_AT / MIN - T0 / MIN + ATTACK_MINUTES + 5, stuffing);
    // No address on its own comes near what a per-principal detector judges.
    expect(p.anomalies.filter((a) => a.detector === 'auth-failure-storm')).toEqual([]);
    const distributed = p.anomalies.filter((a) => a.detector === 'distributed-auth-failures');
    expect(distributed.length).toBeGreaterThan(0);
    expect(distributed.every((a) => a.entity.key === GATEWAY)).toBe(true);
    const first = Math.min(...distributed.map((a) => a.windowStart));
    expect(first).toBeGreaterThanOrEqual(ATTACK_AT);
    expect(first - ATTACK_AT).toBeLessThanOrEqual(MIN);
    const refused = distributed.flatMap((a) => a.evidence).find((e) => e.feature === 'refused_sources');
    expect(refused?.observed).toBeGreaterThanOrEqual(19);
    // The response names its targets itself: no address reaches one.
    const rotations = p.actions.filter((a) => a.playbook === 'rotate-credentials-on-stuffing' && a.action === 'vault.rotate-secret');
    expect(rotations.length).toBe(1);
    expect(JSON.stringify(p.actions.map((a) => a.target))).not.toContain('203.0.113.');
  });

  it('fifty ordinary users refused 2-5% of the time for an hour raise nothing', () => {
    const p = replay(60);
    expect(p.anomalies).toEqual([]);
    expect(p.actions).toEqual([]);
  });

  it('one client writing fifty different X-Forwarded-For heads is one source, not fifty', () => {
    // Posing as a distributed attack (to set off rotations, or to hide behind the addresses of
    // others) takes addresses the gateway really accepts connections from.
    let n = 0;
    const p = replay(ATTACK_AT / MIN - T0 / MIN + ATTACK_MINUTES, (_minute, start, emit) => {
      if (start < ATTACK_AT) return;
      for (let k = 0; k < 50; k++) {
        const claimed = `192.0.2.${1 + (n++ % 50)}`;
        emit({ at: start + k * 1_000, client: '198.51.100.200', xff: `${claimed}, 198.51.100.200`, code: 401, path: '/api/v1/login' });
      }
    });
    expect(p.anomalies.filter((a) => a.detector === 'distributed-auth-failures')).toEqual([]);
    expect(new Set(p.anomalies.map((a) => a.entity.key))).toEqual(new Set(['principal:198.51.100.200']));
  });
});
