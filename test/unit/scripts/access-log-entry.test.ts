import { describe, expect, it } from 'vitest';
import { formatText, isoNanos, toIstioJson } from '../../../scripts/recording/access-log-entry.js';
import { TEXT_ACCESS_LOG } from './recording-inspector.js';

// Real lines from reference/istio-access-log-samples.txt, section A.
const SAMPLE_A1 =
  '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default';
const SAMPLE_A4 =
  '[2024-01-11T21:09:42.835Z] "- - -" 0 - - - "-" 839 2504306 231 - "-" "-" "-" "-" "151.101.195.5:443" outbound|443||edition.cnn.com 172.30.239.8:34470 172.30.239.8:443 172.30.239.15:43956 edition.cnn.com -';

describe('formatText', () => {
  it('renders an HTTP entry exactly as Envoy wrote sample A1', () => {
    const line = formatText({
      startMs: Date.parse('2020-11-25T21:26:18.409Z'),
      method: 'GET',
      path: '/status/418',
      protocol: 'HTTP/1.1',
      responseCode: 418,
      responseCodeDetails: 'via_upstream',
      bytesReceived: 0,
      bytesSent: 135,
      durationMs: 4,
      upstreamServiceTimeMs: 4,
      userAgent: 'curl/7.73.0-DEV',
      requestId: '84961386-6d84-929d-98bd-c5aee93b5c88',
      authority: 'httpbin:8000',
      upstreamHost: '10.44.1.27:80',
      upstreamCluster: 'outbound|8000||httpbin.foo.svc.cluster.local',
      upstreamLocalAddress: '10.44.1.23:37652',
      downstreamLocalAddress: '10.0.45.184:8000',
      downstreamRemoteAddress: '10.44.1.23:46520',
      routeName: 'default',
    });
    expect(line).toBe(SAMPLE_A1);
    expect(TEXT_ACCESS_LOG.test(line)).toBe(true);
  });

  it('renders a TCP connection with "- - -", code 0 and dashes for every unset field, as in sample A4', () => {
    const line = formatText({
      startMs: Date.parse('2024-01-11T21:09:42.835Z'),
      responseCode: 0,
      bytesReceived: 839,
      bytesSent: 2504306,
      durationMs: 231,
      upstreamHost: '151.101.195.5:443',
      upstreamCluster: 'outbound|443||edition.cnn.com',
      upstreamLocalAddress: '172.30.239.8:34470',
      downstreamLocalAddress: '172.30.239.8:443',
      downstreamRemoteAddress: '172.30.239.15:43956',
      requestedServerName: 'edition.cnn.com',
    });
    expect(line).toBe(SAMPLE_A4);
  });
});

describe('toIstioJson', () => {
  it('types numbers as numbers, keeps the upstream service time a header string, and writes null for unset values', () => {
    const json = toIstioJson({
      startMs: Date.parse('2026-11-03T09:05:00.250Z'),
      method: 'POST',
      path: '/api/v1/login',
      protocol: 'HTTP/2',
      responseCode: 401,
      responseCodeDetails: 'via_upstream',
      bytesReceived: 120,
      bytesSent: 52,
      durationMs: 41,
      upstreamServiceTimeMs: 40,
      xForwardedFor: '203.0.113.77',
    });
    expect(json).toMatchObject({
      start_time: '2026-11-03T09:05:00.250Z',
      response_code: 401,
      response_flags: '-',
      bytes_received: 120,
      duration: 41,
      upstream_service_time: '40',
      x_forwarded_for: '203.0.113.77',
      upstream_cluster: null,
      route_name: null,
      connection_termination_details: null,
    });
    expect(Object.keys(json)).toHaveLength(24);
  });
});

describe('isoNanos', () => {
  it('writes nine fractional digits, the sub-millisecond part zero-padded', () => {
    expect(isoNanos(Date.parse('2026-11-02T00:00:07.005Z'), 42)).toBe('2026-11-02T00:00:07.005000042Z');
  });
});
