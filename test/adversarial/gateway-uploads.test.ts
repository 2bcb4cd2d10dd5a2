import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import type { PlaybookSpec } from '../../src/playbook/playbook-spec.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const GATEWAY_POD = 'istio-ingressgateway-5c9d8f7b6-abcde';
const UPLOAD = 5 * 1024 * 1024;

/**
 * One request through the ingress gateway, as its sidecar logs it: to the frontend inside the
 * mesh, or (`external`) to a host outside it through the PassthroughCluster.
 */
function gatewayLine(at: number, i: number, client: string, bytesReceived: number, external = false): string {
  const upstream = external ? 'PassthroughCluster 10.42.0.9:52000 10.42.0.9:8443' : 'outbound|8080||frontend.ml-prod.svc.cluster.local 10.42.0.9:52000 10.42.0.9:8443';
  const text = `[${new Date(at).toISOString()}] "POST /api/v1/documents HTTP/1.1" 200 - via_upstream - "-" ${bytesReceived} 40 30 25 "${client}" "curl/8.5" "r-${i}" "shop.example.com" "${external ? '198.18.0.10:443' : '10.42.2.7:8080'}" ${upstream} ${client}:${40_000 + (i % 20_000)} ${external ? 'storage.example.net' : '-'} -`;
  return JSON.stringify({ log: text, kubernetes: { namespace_name: 'istio-system', pod_name: GATEWAY_POD, labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } } });
}

let detectors: DetectorSpec[] = [];
let playbooks: PlaybookSpec[] = [];
beforeAll(async () => {
  const config = await loadConfig(['detectors/egress-spike.yaml', 'playbooks/quarantine-on-exfiltration.yaml']);
  expect(config.problems).toEqual([]);
  detectors = config.detectors.map((d) => d.value);
  playbooks = config.playbooks.map((p) => p.value);
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
      p.ingest(gatewayLine(T0 + minute * MIN + s * 1000, i++, client, 800 + (i % 7) * 100, external), { source: 'gw', position: i });
    }
    if (minute !== 42) continue;
    for (let k = 0; k < 20; k++) p.ingest(gatewayLine(T0 + minute * MIN + k * 2000 + 500, i++, '203.0.113.9', UPLOAD, external), { source: 'gw', position: i });
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
