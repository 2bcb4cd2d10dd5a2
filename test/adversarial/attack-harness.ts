/**
 * What the attack tests share: lines as an ingress gateway's sidecar logs them, and a feed of parsed
 * records through the feature stage and the shipped detectors.
 */
import { loadConfig } from '../../src/config/load-config.js';
import type { Anomaly } from '../../src/detect/anomaly.js';
import { DetectorRuntime } from '../../src/detect/detector-runtime.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor } from '../../src/features/feature-extractor.js';
import type { ParsedRecord } from '../../src/parse/records.js';
import type { PlaybookSpec } from '../../src/playbook/playbook-spec.js';

export const GATEWAY_POD = 'istio-ingressgateway-5c9d8f7b6-abcde';

/** One request through the ingress gateway, as the gateway's sidecar logs it (Fluent Bit envelope). */
export interface GatewayRequest {
  readonly at: number;
  /** Request number: the request id and the client's source port follow from it. */
  readonly i: number;
  /** The peer the gateway accepted the connection from. */
  readonly peer: string;
  /** X-Forwarded-For as the gateway logged it (after appending its own peer). */
  readonly xff: string;
  readonly code: number;
  readonly path: string;
  /** The upstream the gateway routed to: its address and its cluster (see {@link meshUpstream}). */
  readonly upstream: { readonly host: string; readonly cluster: string };
  readonly userAgent?: string;
  /** BYTES_RECEIVED: what the client uploaded (120 unless given). */
  readonly bytesReceived?: number;
  /** The SNI the gateway sent upstream (none unless given). */
  readonly requestedServerName?: string;
}

/** An in-mesh upstream: a pod address of `service` behind its outbound cluster. */
export function meshUpstream(host: string, service: string): { host: string; cluster: string } {
  return { host, cluster: `outbound|8080||${service}` };
}

export function gatewayLine(r: GatewayRequest): string {
  const text = `[${new Date(r.at).toISOString()}] "POST ${r.path} HTTP/1.1" ${r.code} - via_upstream - "-" ${r.bytesReceived ?? 120} 40 5 4 "${r.xff}" "${r.userAgent ?? 'curl/8.5'}" "r-${r.i}" "shop.example.com" "${r.upstream.host}" ${r.upstream.cluster} 10.42.0.9:52000 10.42.0.9:8443 ${r.peer}:${40_000 + (r.i % 20_000)} ${r.requestedServerName ?? '-'} -`;
  return JSON.stringify({ log: text, kubernetes: { namespace_name: 'istio-system', pod_name: GATEWAY_POD, labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } } });
}

/** Feeds records in time order through the feature stage and `detectors`; returns every anomaly. */
export function scoreRecords(detectors: readonly DetectorSpec[], records: readonly ParsedRecord[]): Anomaly[] {
  const features = new FeatureExtractor(DEFAULT_FEATURE_OPTIONS);
  const runtime = new DetectorRuntime(detectors);
  const anomalies: Anomaly[] = [];
  for (const record of [...records].sort((a, b) => a.timestamp - b.timestamp)) {
    features.ingest(record);
    anomalies.push(...runtime.scoreGroup(features.advance().windows));
  }
  anomalies.push(...runtime.scoreGroup(features.flush().windows));
  return anomalies;
}

/** Loads shipped detector and playbook files; any config problem fails the test that loads them. */
export async function loadShipped(paths: readonly string[]): Promise<{ detectors: DetectorSpec[]; playbooks: PlaybookSpec[] }> {
  const config = await loadConfig(paths);
  if (config.problems.length > 0) throw new Error(`shipped config has problems: ${JSON.stringify(config.problems)}`);
  return { detectors: config.detectors.map((d) => d.value), playbooks: config.playbooks.map((p) => p.value) };
}
