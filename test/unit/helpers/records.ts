import type { AccessLogRecord, DriftMetricRecord, ModelTelemetryRecord } from '../../../src/parse/records.js';

/** An inbound access-log record logged by `pod` (Fluent Bit metadata), with sensible defaults. */
export function inbound(pod: string, app: string, at: number, overrides: Partial<AccessLogRecord> = {}): AccessLogRecord {
  return {
    kind: 'access-log', format: 'text', envelope: 'fluent-bit', timestamp: at,
    method: 'GET', path: '/api/v1/score', protocol: 'HTTP/1.1', responseCode: 200, responseFlags: [],
    bytesReceived: 100, bytesSent: 500, duration: 20, upstreamCluster: 'inbound|8080||', direction: 'inbound',
    downstreamLocalAddress: '10.0.0.10:8080', downstreamRemoteAddress: '10.0.0.20:40000',
    kubernetes: { namespace: 'ml-prod', pod, labels: { app } },
    origin: { source: 'test', position: 1 },
    ...overrides,
  };
}

/** An outbound access-log record: `pod` calling `service` (an in-mesh FQDN or an external host). */
export function outbound(pod: string, app: string, at: number, service: string, overrides: Partial<AccessLogRecord> = {}): AccessLogRecord {
  return {
    kind: 'access-log', format: 'text', envelope: 'fluent-bit', timestamp: at,
    method: 'POST', path: '/v1/features', protocol: 'HTTP/1.1', responseCode: 200, responseFlags: [],
    bytesReceived: 300, bytesSent: 900, duration: 15, upstreamCluster: `outbound|8080||${service}`, direction: 'outbound',
    destinationService: service, upstreamLocalAddress: '10.0.0.10:51000',
    kubernetes: { namespace: 'ml-prod', pod, labels: { app } },
    origin: { source: 'test', position: 1 },
    ...overrides,
  };
}

export function telemetry(at: number, confidence: number, overrides: Partial<ModelTelemetryRecord> = {}): ModelTelemetryRecord {
  return {
    kind: 'model-telemetry', timestamp: at, granularity: 'interval', windowSeconds: 60,
    model: { name: 'fraud-detector', version: 'v3', namespace: 'ml-prod' },
    counts: { requests: 100, success: 99, failure: 1 }, latencyMs: { p95: 40 }, prediction: { confidence },
    origin: { source: 'test', position: 1 },
    ...overrides,
  };
}

export function drift(at: number, feature: string, psi: number, detected: boolean): DriftMetricRecord {
  return {
    kind: 'drift-metric', timestamp: at, model: { name: 'fraud-detector', version: 'v3', namespace: 'ml-prod' },
    tool: 'evidently', feature, method: 'psi', statistic: psi, threshold: 0.2, driftDetected: detected,
    origin: { source: 'test', position: 1 },
  };
}
