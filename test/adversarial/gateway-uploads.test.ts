import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../src/app.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import type { PlaybookSpec } from '../../src/playbook/playbook-spec.js';
import { GATEWAY_POD, gatewayLine, loadShipped, meshUpstream } from './attack-harness.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const UPLOAD = 5 * 1024 * 1024;

/**
 * One upload through the ingress gateway, as its sidecar logs it: to the frontend inside the mesh,
 * or (`external`) to a host outside it through the PassthroughCluster.
 */
function upload(at: number, i: number, client: string, bytesReceived: number, external = false): string {
  const upstream = external ? { host: '198.18.0.10:443', cluster: 'PassthroughCluster' } : meshUpstream('10.42.2.7:8080', 'frontend.ml-prod.svc.cluster.local');
  return gatewayLine({ at, i, peer: client, xff: client, code: 200, path: '/api/v1/documents', upstream, bytesReceived, ...(external ? { requestedServerName: 'storage.example.net' } : {}) });
}

let detectors: DetectorSpec[] = [];
let playbooks: PlaybookSpec[] = [];
beforeAll(async () => {
  ({ detectors, playbooks } = await loadShipped(['detectors/egress-spike.yaml', 'playbooks/quarantine-on-exfiltration.yaml']));
});

/** Forty quiet minutes of small requests from ten clients, then twenty 5 MB requests in one minute. */
function replay(external: boolean): Pipeline {
  const eventTime = { ...DEFAULT_PIPELINE_OPTIONS.eventTime, confirmations: 1 };
  const p = new Pipeline(detectors, playbooks, { ...DEFAULT_PIPELINE_OPTIONS, eventTime, collect: true }, {
    deadLetters: { add: () => undefined },
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
  });
  let i = 0;
  for (let minute = 0; minute < 45; minute++) {
    for (let s = 0; s < 60; s += 3) {
      const client = `198.51.100.${1 + (i % 10)}`;
      p.ingest(upload(T0 + minute * MIN + s * 1000, i++, client, 800 + (i % 7) * 100, external), { source: 'gw', position: i });
    }
    if (minute !== 42) continue;
    for (let k = 0; k < 20; k++) p.ingest(upload(T0 + minute * MIN + k * 2000 + 500, i++, '203.0.113.9', UPLOAD, external), { source: 'gw', position: i });
  }
  p.finish();
  return p;
}

describe('the ingress gateway under heavy uploads', () => {
  it('twenty 5 MB uploads through the gateway after a quiet baseline do not make the gateway a suspect', () => {
    const p = replay(false);
    expect(p.anomalies.filter((a) => a.entity.role === 'gateway' || a.entity.key.includes('ingressgateway'))).toEqual([]);
    expect(JSON.stringify({ incidents: p.incidents, actions: p.actions })).not.toContain('ingressgateway');
  });

  it('the gateway sending the same bytes to a host outside the mesh is still its own egress, and flagged', () => {
    const p = replay(true);
    const flagged = p.anomalies.filter((a) => a.detector === 'egress-spike').map((a) => a.entity);
    expect(flagged.map((e) => e.key)).toEqual([`pod:istio-system/${GATEWAY_POD}`]);
    // Marked, so the response rails can refuse destructive steps on the mesh's front door.
    expect(flagged[0]?.role).toBe('gateway');
  });
});
