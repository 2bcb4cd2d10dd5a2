/**
 * What the attack tests share: lines as an ingress gateway's sidecar logs them, and a feed of parsed
 * records through the feature stage and the shipped detectors.
 */
import type { Anomaly } from '../../src/detect/anomaly.js';
import { DetectorRuntime } from '../../src/detect/detector-runtime.js';
import type { DetectorSpec } from '../../src/detect/detector-spec.js';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor } from '../../src/features/feature-extractor.js';
import type { ParsedRecord } from '../../src/parse/records.js';

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
  /** The upstream the gateway routed to: its pod address and its service. */
  readonly upstream: { readonly host: string; readonly service: string };
  readonly userAgent?: string;
}

export function gatewayLine(r: GatewayRequest): string {
  const text = `[${new Date(r.at).toISOString()}] "POST ${r.path} HTTP/1.1" ${r.code} - via_upstream - "-" 120 40 5 4 "${r.xff}" "${r.userAgent ?? 'curl/8.5'}" "r-${r.i}" "shop.example.com" "${r.upstream.host}" outbound|8080||${r.upstream.service} 10.42.0.9:52000 10.42.0.9:8443 ${r.peer}:${40_000 + (r.i % 20_000)} - -`;
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
