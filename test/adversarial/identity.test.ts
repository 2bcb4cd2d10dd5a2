import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../src/app.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import type { PlaybookSpec } from '../../src/playbook/playbook-spec.js';
import { gatewayLine, loadShipped, meshUpstream } from './attack-harness.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const ATTACKER = '198.51.100.66';
const LOAD_BALANCER = '10.0.5.5';
const FRONTEND = meshUpstream('10.42.2.7:8080', 'frontend.ml-prod.svc.cluster.local');

let detectors: DetectorSpec[] = [];
let playbooks: PlaybookSpec[] = [];
beforeAll(async () => {
  ({ detectors, playbooks } = await loadShipped(['detectors/auth-failure-storm.yaml', 'detectors/distributed-auth-failures.yaml', 'playbooks/rotate-credentials-on-stuffing.yaml']));
});

/**
 * Ten ordinary clients log in for five minutes; during the last three, one client sends 200
 * refused logins a minute, each with an X-Forwarded-For it wrote itself, rotating over eight
 * addresses it does not own. `wrap` says how the header reaches the gateway.
 */
function replay(trustedProxyHops: number, wrap: (claimed: string, client: string) => { xff: string; peer: string }): Pipeline {
  const eventTime = { ...DEFAULT_PIPELINE_OPTIONS.eventTime, confirmations: 1 };
  const p = new Pipeline(detectors, playbooks, {
    ...DEFAULT_PIPELINE_OPTIONS, eventTime, collect: true, features: { ...DEFAULT_PIPELINE_OPTIONS.features, trustedProxyHops },
  }, {
    deadLetters: { add: () => undefined },
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
  });
  let i = 0;
  for (let minute = 0; minute < 5; minute++) {
    for (let s = 0; s < 60; s++) {
      const at = T0 + minute * MIN + s * 1000;
      for (let c = 1; c <= 10; c++) {
        if ((s + c) % 3 !== 0) continue;
        const client = `198.51.100.${c}`;
        p.ingest(gatewayLine({ at, i: i++, ...wrap('', client), code: 200, path: '/api/v1/score', upstream: FRONTEND }), { source: 'gw', position: i });
      }
      if (minute < 2) continue;
      for (let k = 0; k < 3; k++) {
        const spoofed = `203.0.113.${50 + (i % 8)}`;
        p.ingest(gatewayLine({ at: at + k * 300, i: i++, ...wrap(spoofed, ATTACKER), code: 401, path: '/api/v1/login', upstream: FRONTEND }), { source: 'gw', position: i });
      }
    }
  }
  p.finish();
  return p;
}

/** Everything the engine reports, acts on or records, except the client-supplied evidence lines. */
function reported(p: Pipeline): string {
  const anomalies = p.anomalies.map((a) => ({ ...a, evidence: a.evidence.map((e) => ({ ...e, details: (e.details ?? []).filter((d) => !d.startsWith('clientClaimedForwardedFor=')) })) }));
  return JSON.stringify({ anomalies, incidents: p.incidents, actions: p.actions, breakers: p.breakers });
}

function claimedEvidence(p: Pipeline): string[] {
  return p.anomalies.flatMap((a) => a.evidence.flatMap((e) => (e.details ?? []).filter((d) => d.includes('203.0.113.'))));
}

describe('identity at the gateway under a spoofed X-Forwarded-For', () => {
  it('a client rotating a spoofed X-Forwarded-For head is named by the peer address the gateway saw, once', () => {
    // The client writes the header; Envoy appends the peer it accepted the connection from.
    const p = replay(0, (claimed, client) => ({ xff: claimed === '' ? client : `${claimed}, ${client}`, peer: client }));
    const flagged = [...new Set(p.anomalies.map((a) => a.entity.key))];
    expect(flagged).toEqual([`principal:${ATTACKER}`]);
    expect(p.anomalies[0]?.entity.identity).toBe('ip');
    expect(new Set(p.incidents.map((incident) => incident.entity))).toEqual(new Set([`principal:${ATTACKER}`]));
    expect(p.breakers).toEqual([]);
    // The spoofed values reach no name, incident, action or target ...
    expect(reported(p)).not.toContain('203.0.113.');
    // ... and are kept only as evidence, marked as what the client claimed.
    const claims = claimedEvidence(p);
    expect(claims.length).toBeGreaterThan(0);
    for (const claim of claims) expect(claim).toMatch(/^clientClaimedForwardedFor=203\.0\.113\.5\d \(client-supplied\)$/);
  });

  it('behind one trusted load balancer the client is the entry the balancer appended, not what the client wrote', () => {
    // The balancer appends the client's address; the gateway appends the balancer's.
    const p = replay(1, (claimed, client) => ({ xff: `${claimed === '' ? '' : `${claimed}, `}${client}, ${LOAD_BALANCER}`, peer: LOAD_BALANCER }));
    expect([...new Set(p.anomalies.map((a) => a.entity.key))]).toEqual([`principal:${ATTACKER}`]);
    expect(reported(p)).not.toContain('203.0.113.');
    expect(reported(p)).not.toContain(`principal:${LOAD_BALANCER}`);
  });

  it('a header naming something that is not an address never becomes a principal', () => {
    const p = replay(1, (claimed, client) => ({ xff: claimed === '' ? `${client}, ${LOAD_BALANCER}` : `users/victim-user/creds, ${LOAD_BALANCER}`, peer: LOAD_BALANCER }));
    expect(p.anomalies).toEqual([]);
    expect(reported(p)).not.toContain('victim-user');
    // The refused lines are counted for the report, not silently dropped.
    expect(p.unnamedCallers).toBeGreaterThan(0);
  });
});
