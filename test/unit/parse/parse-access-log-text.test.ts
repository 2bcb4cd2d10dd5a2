import { describe, expect, it } from 'vitest';
import { parseAccessLogText } from '../../../src/parse/parse-access-log-text.js';
import { readIstioSamples } from './istio-samples.js';

const samples = readIstioSamples();
const A = samples.A.map((line) => line.text);

function line(n: number): string {
  const text = A[n - 1];
  if (text === undefined) throw new Error(`no sample A${n}`);
  return text;
}

describe('parseAccessLogText', () => {
  it.each(A.map((text, index) => ({ text, n: index + 1 })))(
    'reads A$n the same through the lenient scanner (viewer prefix) as through the fast path',
    ({ text }) => {
      const fast = parseAccessLogText(text);
      expect(fast.kind).toBe('access-log');
      expect(parseAccessLogText(`INFO 2024-03-25T08:56:41.897522475Z [resource.labels.containerName: istio-proxy] ${text}`)).toStrictEqual(fast);
    },
  );

  it('accepts the trailing newline Istio always appends, and CRLF', () => {
    const expected = parseAccessLogText(line(1));
    expect(parseAccessLogText(`${line(1)}\n`)).toStrictEqual(expected);
    expect(parseAccessLogText(`${line(1)}\r\n`)).toStrictEqual(expected);
  });

  it('reads a User-Agent that contains quotes, since Envoy does not escape them', () => {
    const text = line(11).replace(
      '"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0"',
      '"evil" "agent" x"',
    );
    const record = parseAccessLogText(text);
    expect(record).toMatchObject({
      kind: 'access-log',
      xForwardedFor: '192.168.0.24',
      userAgent: 'evil" "agent" x',
      requestId: '1d3ec87f-d974-4521-b5ac-23404817a56a',
      authority: 'kubeflow.kubefrog.fr',
      upstreamCluster: 'outbound|80||centraldashboard.kubeflow.svc.cluster.local',
    });
    expect(record).not.toHaveProperty('upstreamHost');
  });

  it('reads the 1.23+ %UPSTREAM_CLUSTER_RAW% variant with a subset the same way (same shape)', () => {
    const text =
      '[2025-02-03T08:00:00.123Z] "GET /reviews/0 HTTP/1.1" 200 - via_upstream - "-" 0 358 7 6 "-" "python-requests/2.31" ' +
      '"3a7cbcc1-af72-47fb-bbac-a7672951f50f" "reviews:9080" "10.1.2.3:9080" outbound|9080|v2|reviews.bookinfo.svc.cluster.local ' +
      '10.1.2.4:50000 10.96.0.10:9080 10.1.2.4:40000 - default';
    expect(parseAccessLogText(text)).toMatchObject({
      timestamp: Date.parse('2025-02-03T08:00:00.123Z'),
      upstreamCluster: 'outbound|9080|v2|reviews.bookinfo.svc.cluster.local',
      direction: 'outbound',
      destinationService: 'reviews.bookinfo.svc.cluster.local',
      destinationNamespace: 'bookinfo',
      routeName: 'default',
    });
  });

  it('splits comma-joined response flags', () => {
    const text = line(10).replace(' 0 UH - - ', ' 0 UF,URX - - ');
    expect(parseAccessLogText(text)).toMatchObject({ responseFlags: ['UF', 'URX'] });
  });

  describe('rejections name the field that is wrong', () => {
    it.each([
      {
        what: 'an impossible START_TIME',
        text: line(1).replace('2020-11-25T21:26:18.409Z', '2020-02-30T21:26:18.409Z'),
        reason: 'Istio TEXT access log: START_TIME "2020-02-30T21:26:18.409Z" is not an RFC 3339 timestamp',
      },
      {
        what: 'a non-numeric BYTES_RECEIVED',
        text: line(1).replace('"-" 0 135 4 4', '"-" x 135 4 4'),
        reason: 'Istio TEXT access log: UPSTREAM_TRANSPORT_FAILURE_REASON is not followed by BYTES_RECEIVED',
      },
      {
        what: 'a non-numeric DURATION',
        text: line(1).replace('"-" 0 135 4 4', '"-" 0 135 four 4'),
        reason: 'Istio TEXT access log: DURATION is not an integer',
      },
      {
        what: 'an upstream service time that is neither a number nor -',
        text: line(1).replace('"-" 0 135 4 4', '"-" 0 135 4 4ms'),
        reason: 'Istio TEXT access log: X-ENVOY-UPSTREAM-SERVICE-TIME is neither an integer nor -',
      },
      {
        what: 'a line cut after the user agent',
        text: line(1).slice(0, line(1).indexOf('"84961386')),
        reason:
          'Istio TEXT access log: the line does not end with six fields UPSTREAM_CLUSTER .. ROUTE_NAME after "UPSTREAM_HOST"',
      },
      {
        what: 'a request field with two parts',
        text: line(1).replace('"GET /status/418 HTTP/1.1"', '"GET /status/418"'),
        reason: 'Istio TEXT access log: the request field is not "METHOD PATH PROTOCOL" (three space-separated parts)',
      },
    ])('$what', ({ text, reason }) => {
      expect(parseAccessLogText(text)).toStrictEqual({ kind: 'rejected', code: 'invalid-field', reason });
    });
  });

  it.each([
    {
      what: 'pilot-agent',
      text: '2024-06-18T10:19:42.614893Z\tinfo\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:15012\tid=1',
    },
    {
      what: 'Envoy as Istio configures its log format',
      text: '2024-06-18T10:19:43.001Z\twarning\tenvoy config external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:152\tStreamAggregatedResources gRPC config stream to xds-grpc closed: 13, \tthread=14',
    },
    {
      what: 'stock Envoy',
      text: '[2024-06-18 10:19:42.614][14][warning][config] [source/common/config/grpc_stream.h:201] gRPC config stream closed: 14, no healthy upstream',
    },
  ])('rejects an istio-proxy application log line ($what) as not-access-log', ({ text }) => {
    expect(parseAccessLogText(text)).toStrictEqual({
      kind: 'rejected',
      code: 'not-access-log',
      reason: 'an istio-proxy application log line (pilot-agent or Envoy), not an access log',
    });
  });

  it('rejects an empty line as empty and free text as unknown-shape', () => {
    expect(parseAccessLogText(' \n')).toStrictEqual({ kind: 'rejected', code: 'empty', reason: 'empty line' });
    expect(parseAccessLogText('hello [2024 world')).toStrictEqual({
      kind: 'rejected',
      code: 'unknown-shape',
      reason: 'not a known access log, telemetry or drift format',
    });
  });
});
