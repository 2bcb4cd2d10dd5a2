import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/parse/parse-message.js';

const origin = { source: 'istio-json', position: 7 };

/** Sample A9 (issue #51619) in the 24-key JSON encoding, typed as Envoy 1.2x renders it. */
const TYPED = {
  start_time: '2024-06-18T10:19:42.614Z',
  route_name: 'default',
  method: 'POST',
  path: '/v1/accounting/api-portal/card/CSP_XXXXXXX/ORE00000/DEC000000/topup',
  protocol: 'HTTP/1.1',
  response_code: 503,
  response_flags: 'UC',
  response_code_details: 'upstream_reset_before_response_started{connection_termination}',
  connection_termination_details: null,
  bytes_received: 138,
  bytes_sent: 95,
  duration: 120001,
  upstream_service_time: null,
  x_forwarded_for: null,
  user_agent: null,
  request_id: 'ed37e325-1a4e-9827-b994-1a3317bcc0b1',
  authority: 'internal-api:8080',
  upstream_host: '10.34.127.167:8080',
  upstream_cluster: 'inbound|8080||',
  upstream_local_address: '127.0.0.6:58719',
  downstream_local_address: '10.34.127.167:8080',
  downstream_remote_address: '10.34.126.119:57080',
  requested_server_name: 'outbound_.8080_._.internal-api.default.svc.cluster.local',
  upstream_transport_failure_reason: null,
};

const EXPECTED = {
  kind: 'access-log',
  format: 'json',
  envelope: 'raw',
  timestamp: Date.parse('2024-06-18T10:19:42.614Z'),
  responseCode: 503,
  responseFlags: ['UC'],
  bytesReceived: 138,
  bytesSent: 95,
  duration: 120001,
  origin,
  method: 'POST',
  path: '/v1/accounting/api-portal/card/CSP_XXXXXXX/ORE00000/DEC000000/topup',
  protocol: 'HTTP/1.1',
  responseCodeDetails: 'upstream_reset_before_response_started{connection_termination}',
  requestId: 'ed37e325-1a4e-9827-b994-1a3317bcc0b1',
  authority: 'internal-api:8080',
  upstreamHost: '10.34.127.167:8080',
  upstreamCluster: 'inbound|8080||',
  direction: 'inbound',
  destinationService: 'internal-api.default.svc.cluster.local',
  destinationNamespace: 'default',
  upstreamLocalAddress: '127.0.0.6:58719',
  downstreamLocalAddress: '10.34.127.167:8080',
  downstreamRemoteAddress: '10.34.126.119:57080',
  requestedServerName: 'outbound_.8080_._.internal-api.default.svc.cluster.local',
  routeName: 'default',
};

/** The same entry with every value a string and every absent value "-" (Istio <= 1.5). */
function allStrings(obj: Record<string, string | number | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(obj).map(([key, value]) => [key, value === null ? '-' : String(value)]));
}

function parse(obj: unknown): ReturnType<typeof parseMessage> {
  return parseMessage(JSON.stringify(obj), origin);
}

describe('Istio JSON access log', () => {
  it('reads the 24 keys with typed values and null for absent', () => {
    expect(parse(TYPED)).toStrictEqual({ records: [EXPECTED], deadLetters: [] });
  });

  it('reads the same entry with all-string values and "-" for absent', () => {
    expect(parse(allStrings(TYPED))).toStrictEqual({ records: [EXPECTED], deadLetters: [] });
  });

  it('does not depend on key order', () => {
    const reversed = Object.fromEntries(Object.entries(TYPED).reverse());
    expect(parse(reversed)).toStrictEqual({ records: [EXPECTED], deadLetters: [] });
  });

  it('ignores keys a custom format adds', () => {
    expect(parse({ ...TYPED, traceparent: '00-abc-def-01', istio_policy_status: '-', x_custom: { a: 1 } })).toStrictEqual({
      records: [EXPECTED],
      deadLetters: [],
    });
  });

  it.each(['outbound|8000||httpbin.foo.svc.cluster.local;', 'outbound|8000||httpbin.foo.svc.cluster.local;httpbin.foo'])(
    'strips the trailing ";..." Istio 1.23-1.24 appended to upstream_cluster (%s)',
    (cluster) => {
      const outcome = parse({ ...TYPED, upstream_cluster: cluster, requested_server_name: null });
      expect(outcome.records[0]).toMatchObject({
        upstreamCluster: 'outbound|8000||httpbin.foo.svc.cluster.local',
        direction: 'outbound',
        destinationService: 'httpbin.foo.svc.cluster.local',
        destinationNamespace: 'foo',
      });
    },
  );

  it('reads an upstream service time given as a header string', () => {
    expect(parse({ ...TYPED, upstream_service_time: '4' }).records[0]).toMatchObject({ upstreamServiceTime: 4 });
  });

  it('reads a missing response_code value (null) as 0, no response sent', () => {
    expect(parse({ ...TYPED, response_code: null }).records[0]).toMatchObject({ responseCode: 0 });
  });

  it('dead-letters wrong types as invalid-field, naming every bad key and quoting its value', () => {
    const text = JSON.stringify({ ...TYPED, bytes_sent: 'lots', method: 5, duration: -1, start_time: 'yesterday' });
    expect(parseMessage(text, origin)).toStrictEqual({
      records: [],
      deadLetters: [
        {
          reason:
            "Istio JSON access log: 'start_time' must be an RFC 3339 timestamp, got \"yesterday\"; " +
            "'bytes_sent' must be a non-negative integer, got \"lots\"; " +
            "'duration' must be a non-negative integer, got -1; " +
            "'method' must be a string, got 5",
          code: 'invalid-field',
          raw: text,
          origin,
        },
      ],
    });
  });

  it('dead-letters an entry without start_time: a record needs its time', () => {
    const { start_time: _dropped, ...rest } = TYPED;
    expect(parse(rest).deadLetters).toMatchObject([
      { code: 'invalid-field', reason: "Istio JSON access log: 'start_time' is missing" },
    ]);
  });

  it('dead-letters a JSON pilot-agent log (level/scope/msg) as not-access-log', () => {
    const text = '{"level":"info","time":"2024-06-18T10:19:42.614893Z","scope":"xdsproxy","msg":"connected to upstream XDS server"}';
    expect(parseMessage(text, origin).deadLetters).toStrictEqual([
      {
        reason: 'an istio-proxy application log in JSON (level/scope/msg), not an access log',
        code: 'not-access-log',
        raw: text,
        origin,
      },
    ]);
  });
});
