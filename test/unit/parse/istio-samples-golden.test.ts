import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/parse/parse-message.js';
import type { AccessLogRecord } from '../../../src/parse/records.js';
import { readIstioSamples } from './istio-samples.js';

/** Expected fields of one line; kind, format, envelope and origin are added by the test. */
type Fields = Omit<AccessLogRecord, 'kind' | 'format' | 'envelope' | 'origin'>;

// Date.parse is the oracle for START_TIME: independent of the parser's own timestamp reader.
const ms = (iso: string): number => Date.parse(iso);

const samples = readIstioSamples();
const source = 'istio-access-log-samples.txt';

/** Section A: the current 22-field TEXT format, one expectation per line, in file order. */
const SECTION_A: readonly Fields[] = [
  // A1: client (sleep) sidecar, outbound to httpbin.foo
  {
    timestamp: ms('2020-11-25T21:26:18.409Z'),
    method: 'GET', path: '/status/418', protocol: 'HTTP/1.1',
    responseCode: 418, responseFlags: [], responseCodeDetails: 'via_upstream',
    bytesReceived: 0, bytesSent: 135, duration: 4, upstreamServiceTime: 4,
    userAgent: 'curl/7.73.0-DEV', requestId: '84961386-6d84-929d-98bd-c5aee93b5c88',
    authority: 'httpbin:8000', upstreamHost: '10.44.1.27:80',
    upstreamCluster: 'outbound|8000||httpbin.foo.svc.cluster.local',
    direction: 'outbound', destinationService: 'httpbin.foo.svc.cluster.local', destinationNamespace: 'foo',
    upstreamLocalAddress: '10.44.1.23:37652', downstreamLocalAddress: '10.0.45.184:8000',
    downstreamRemoteAddress: '10.44.1.23:46520', routeName: 'default',
  },
  // A2: server (httpbin) sidecar, inbound side of the same request: the service comes from the SNI
  {
    timestamp: ms('2020-11-25T21:26:18.409Z'),
    method: 'GET', path: '/status/418', protocol: 'HTTP/1.1',
    responseCode: 418, responseFlags: [], responseCodeDetails: 'via_upstream',
    bytesReceived: 0, bytesSent: 135, duration: 3, upstreamServiceTime: 1,
    userAgent: 'curl/7.73.0-DEV', requestId: '84961386-6d84-929d-98bd-c5aee93b5c88',
    authority: 'httpbin:8000', upstreamHost: '127.0.0.1:80',
    upstreamCluster: 'inbound|8000||',
    direction: 'inbound', destinationService: 'httpbin.foo.svc.cluster.local', destinationNamespace: 'foo',
    upstreamLocalAddress: '127.0.0.1:41854', downstreamLocalAddress: '10.44.1.27:80',
    downstreamRemoteAddress: '10.44.1.23:37652',
    requestedServerName: 'outbound_.8000_._.httpbin.foo.svc.cluster.local', routeName: 'default',
  },
  // A3: egress gateway, HTTP; an external host has no namespace
  {
    timestamp: ms('2024-01-09T15:35:47.283Z'),
    method: 'GET', path: '/politics', protocol: 'HTTP/1.1',
    responseCode: 301, responseFlags: [], responseCodeDetails: 'via_upstream',
    bytesReceived: 0, bytesSent: 0, duration: 2, upstreamServiceTime: 2,
    xForwardedFor: '172.30.239.55', userAgent: 'curl/7.87.0-DEV',
    requestId: '6c01d65f-a157-97cd-8782-320a40026901', authority: 'edition.cnn.com',
    upstreamHost: '151.101.195.5:80', upstreamCluster: 'outbound|80||edition.cnn.com',
    direction: 'outbound', destinationService: 'edition.cnn.com',
    upstreamLocalAddress: '172.30.239.16:55636', downstreamLocalAddress: '172.30.239.16:80',
    downstreamRemoteAddress: '172.30.239.55:59224', routeName: 'default.forward-cnn-from-egress-gateway.0',
  },
  // A4: TLS passthrough (TCP): "- - -", response code 0
  {
    timestamp: ms('2024-01-11T21:09:42.835Z'),
    responseCode: 0, responseFlags: [],
    bytesReceived: 839, bytesSent: 2504306, duration: 231,
    upstreamHost: '151.101.195.5:443', upstreamCluster: 'outbound|443||edition.cnn.com',
    direction: 'outbound', destinationService: 'edition.cnn.com',
    upstreamLocalAddress: '172.30.239.8:34470', downstreamLocalAddress: '172.30.239.8:443',
    downstreamRemoteAddress: '172.30.239.15:43956', requestedServerName: 'edition.cnn.com',
  },
  // A5: PR #27903, inbound 200
  {
    timestamp: ms('2020-10-29T03:22:16.126Z'),
    method: 'GET', path: '/headers', protocol: 'HTTP/1.1',
    responseCode: 200, responseFlags: [], responseCodeDetails: 'via_upstream',
    bytesReceived: 0, bytesSent: 547, duration: 5, upstreamServiceTime: 4,
    userAgent: 'curl/7.73.0-DEV', requestId: '24e58e43-e576-9048-829b-02e3f3da16f0',
    authority: 'httpbin:8000', upstreamHost: '127.0.0.1:80', upstreamCluster: 'inbound|8000||',
    direction: 'inbound', destinationService: 'httpbin.foo.svc.cluster.local', destinationNamespace: 'foo',
    upstreamLocalAddress: '127.0.0.1:51680', downstreamLocalAddress: '172.17.0.7:80',
    downstreamRemoteAddress: '172.17.0.6:59022',
    requestedServerName: 'outbound_.8000_._.httpbin.foo.svc.cluster.local', routeName: 'default',
  },
  // A6: L4 reject, NR + filter_chain_not_found, no cluster
  {
    timestamp: ms('2020-10-29T03:23:33.415Z'),
    responseCode: 0, responseFlags: ['NR'], responseCodeDetails: 'filter_chain_not_found',
    bytesReceived: 0, bytesSent: 0, duration: 0,
    downstreamLocalAddress: '172.17.0.7:80', downstreamRemoteAddress: '172.17.0.6:59800',
  },
  // A7: malformed HTTP/1 request, DPE
  {
    timestamp: ms('2020-10-29T03:24:13.520Z'),
    protocol: 'HTTP/1.1',
    responseCode: 400, responseFlags: ['DPE'], responseCodeDetails: 'http1.codec_error',
    bytesReceived: 0, bytesSent: 11, duration: 0,
    downstreamLocalAddress: '172.17.0.7:80', downstreamRemoteAddress: '172.17.0.6:60214',
  },
  // A8: AuthorizationPolicy deny: no flag, the reason is in the details; no cluster, so no direction
  {
    timestamp: ms('2020-10-29T03:25:20.162Z'),
    method: 'GET', path: '/headers', protocol: 'HTTP/1.1',
    responseCode: 403, responseFlags: [], responseCodeDetails: 'rbac_access_denied_matched_policy[none]',
    bytesReceived: 0, bytesSent: 19, duration: 0,
    userAgent: 'curl/7.73.0-DEV', requestId: '07541777-6ee2-908f-a78b-867fe257ac80', authority: 'httpbin:8000',
    downstreamLocalAddress: '172.17.0.7:80', downstreamRemoteAddress: '172.17.0.6:60898',
    requestedServerName: 'outbound_.8000_._.httpbin.foo.svc.cluster.local',
  },
  // A9: Istio 1.21 (%UPSTREAM_CLUSTER% variant), 503 UC after 120 s, inbound
  {
    timestamp: ms('2024-06-18T10:19:42.614Z'),
    method: 'POST', path: '/v1/accounting/api-portal/card/CSP_XXXXXXX/ORE00000/DEC000000/topup', protocol: 'HTTP/1.1',
    responseCode: 503, responseFlags: ['UC'],
    responseCodeDetails: 'upstream_reset_before_response_started{connection_termination}',
    bytesReceived: 138, bytesSent: 95, duration: 120001,
    requestId: 'ed37e325-1a4e-9827-b994-1a3317bcc0b1', authority: 'internal-api:8080',
    upstreamHost: '10.34.127.167:8080', upstreamCluster: 'inbound|8080||',
    direction: 'inbound', destinationService: 'internal-api.default.svc.cluster.local', destinationNamespace: 'default',
    upstreamLocalAddress: '127.0.0.6:58719', downstreamLocalAddress: '10.34.127.167:8080',
    downstreamRemoteAddress: '10.34.126.119:57080',
    requestedServerName: 'outbound_.8080_._.internal-api.default.svc.cluster.local', routeName: 'default',
  },
  // A10: TCP to BlackHoleCluster, UH
  {
    timestamp: ms('2023-04-24T15:57:17.434Z'),
    responseCode: 0, responseFlags: ['UH'],
    bytesReceived: 0, bytesSent: 0, duration: 0,
    upstreamCluster: 'BlackHoleCluster', direction: 'outbound',
    downstreamLocalAddress: '142.250.217.115:443', downstreamRemoteAddress: '10.52.97.65:58576',
    requestedServerName: 'sqa.ory.sh',
  },
  // A11: ingress gateway, ext_authz reject, UAEX
  {
    timestamp: ms('2024-06-02T13:35:27.054Z'),
    method: 'GET', path: '/', protocol: 'HTTP/2',
    responseCode: 302, responseFlags: ['UAEX'], responseCodeDetails: 'ext_authz_denied',
    bytesReceived: 0, bytesSent: 387, duration: 16,
    xForwardedFor: '192.168.0.24',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0',
    requestId: '1d3ec87f-d974-4521-b5ac-23404817a56a', authority: 'kubeflow.kubefrog.fr',
    upstreamCluster: 'outbound|80||centraldashboard.kubeflow.svc.cluster.local',
    direction: 'outbound', destinationService: 'centraldashboard.kubeflow.svc.cluster.local',
    destinationNamespace: 'kubeflow',
    downstreamLocalAddress: '10.0.0.196:8443', downstreamRemoteAddress: '192.168.0.24:41604',
    requestedServerName: 'kubeflow.kubefrog.fr',
  },
  // A12: 404 NR route_not_found with a long query string in PATH
  {
    timestamp: ms('2024-06-02T13:35:27.116Z'),
    method: 'GET',
    path:
      '/realms/kubeflow/protocol/openid-connect/auth?approval_prompt=force&client_id=3d36c09c69f4742960599330d5b796a9' +
      '&nonce=unbso0L930OzafqDFd6D7I_sDsTFx_1pUsHzm_j11TI&redirect_uri=https%3A%2F%2Fkubeflow.kubefrog.fr%2Foauth2%2Fcallback' +
      '&response_type=code&scope=openid&state=yrD_380ezS299jLCYU4n135fR8Yhe07GQ9VNqOlf94E%3A%2F',
    protocol: 'HTTP/2',
    responseCode: 404, responseFlags: ['NR'], responseCodeDetails: 'route_not_found',
    bytesReceived: 0, bytesSent: 0, duration: 0,
    xForwardedFor: '192.168.0.24',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0',
    requestId: '0b60ced5-f525-45e5-9233-171eb33b7c95', authority: 'auth.kubefrog.fr',
    downstreamLocalAddress: '10.0.0.196:8443', downstreamRemoteAddress: '192.168.0.24:41604',
    requestedServerName: 'kubeflow.kubefrog.fr',
  },
];

const MISSING_START_TIME =
  'an Istio access log line cut before its [START_TIME]: the fields after it read, but a record needs the start time';
const LEGACY =
  'a pre-1.9 Istio access log line (no RESPONSE_CODE_DETAILS / CONNECTION_TERMINATION_DETAILS); only the 1.9+ 22-field format is read';

describe('Istio access-log samples (test/fixtures/istio, verbatim from reference/)', () => {
  it('has the number of lines per section that the tables below cover', () => {
    expect(samples.A).toHaveLength(SECTION_A.length);
    expect(samples.B).toHaveLength(3);
    expect(samples.C).toHaveLength(3);
    expect(samples.D).toHaveLength(2);
  });

  describe('section A: every current-format TEXT line parses to its exact fields', () => {
    it.each(samples.A.map((line, index) => ({ line, expected: SECTION_A[index], n: index + 1 })))(
      'A$n (line $line.lineNumber)',
      ({ line, expected }) => {
        const outcome = parseMessage(line.text, { source, position: line.lineNumber });
        expect(outcome.deadLetters).toEqual([]);
        expect(outcome.records).toStrictEqual([
          {
            kind: 'access-log',
            format: 'text',
            envelope: 'raw',
            ...expected,
            origin: { source, position: line.lineNumber },
          },
        ]);
      },
    );
  });

  describe('section B: wrapped or trimmed lines', () => {
    it('B1: skips a Cloud Logging viewer prefix before [START_TIME] and reads the line', () => {
      const line = samples.B[0];
      expect(line?.text.startsWith('INFO 2024-03-25T08:56:41.897522475Z [resource.labels.containerName: istio-proxy] ')).toBe(true);
      const outcome = parseMessage(line?.text ?? '', { source, position: 1 });
      expect(outcome.records).toStrictEqual([
        {
          kind: 'access-log',
          format: 'text',
          envelope: 'raw',
          timestamp: ms('2024-03-25T08:56:41.328Z'),
          responseCode: 0,
          responseFlags: ['UH'],
          bytesReceived: 0,
          bytesSent: 0,
          duration: 0,
          upstreamCluster: 'outbound|443||xxx.segment.xxx',
          direction: 'outbound',
          destinationService: 'xxx.segment.xxx',
          downstreamLocalAddress: 'xxxxx:8443',
          downstreamRemoteAddress: 'xxxxx:38532',
          requestedServerName: 'xxxx.segment.xxx',
          origin: { source, position: 1 },
        },
      ]);
    });

    it.each([
      { n: 2, what: 'leading "[START_TIME] " dropped' },
      { n: 3, what: 'leading \'[START_TIME] "\' dropped, 32-hex request id' },
    ])('B$n ($what): dead-letters as missing-start-time, with the line kept', ({ n }) => {
      const line = samples.B[n - 1];
      const text = line?.text ?? '';
      const outcome = parseMessage(text, { source, position: n });
      expect(outcome.records).toEqual([]);
      expect(outcome.deadLetters).toStrictEqual([
        { reason: MISSING_START_TIME, code: 'missing-start-time', raw: text, origin: { source, position: n } },
      ]);
    });
  });

  describe('section C: pre-1.9 lines are legacy, never misread as current ones', () => {
    it.each(samples.C.map((line, index) => ({ line, n: index + 1 })))('C$n (line $line.lineNumber)', ({ line }) => {
      const outcome = parseMessage(line.text, { source, position: line.lineNumber });
      expect(outcome.records).toEqual([]);
      expect(outcome.deadLetters).toStrictEqual([
        { reason: LEGACY, code: 'legacy-format', raw: line.text, origin: { source, position: line.lineNumber } },
      ]);
    });
  });

  describe('section D: JSON-shaped lines', () => {
    it('D1: Istio 1.5 all-strings JSON is read ("-" absent, multi-flag split, extra istio_policy_status ignored)', () => {
      const line = samples.D[0];
      const outcome = parseMessage(line?.text ?? '', { source, position: 1 });
      expect(outcome.deadLetters).toEqual([]);
      expect(outcome.records).toStrictEqual([
        {
          kind: 'access-log',
          format: 'json',
          envelope: 'raw',
          timestamp: ms('2020-05-02T01:36:42.538Z'),
          responseCode: 0,
          responseFlags: ['UF', 'URX'],
          bytesReceived: 0,
          bytesSent: 0,
          duration: 1,
          upstreamHost: '10.233.92.3:2181',
          upstreamCluster: 'outbound|2181||llnb-dhub-kafka-zookeeper.weyatech-dev.svc.cluster.local',
          direction: 'outbound',
          destinationService: 'llnb-dhub-kafka-zookeeper.weyatech-dev.svc.cluster.local',
          destinationNamespace: 'weyatech-dev',
          downstreamLocalAddress: '10.233.92.3:2181',
          downstreamRemoteAddress: '10.233.94.247:58228',
          origin: { source, position: 1 },
        },
      ]);
    });

    it('D2: a docker json-file envelope around a 2019 pre-1.9 line dead-letters that line as legacy', () => {
      const line = samples.D[1];
      const outcome = parseMessage(line?.text ?? '', { source, position: 2 });
      expect(outcome.records).toEqual([]);
      expect(outcome.deadLetters).toStrictEqual([
        {
          reason: LEGACY,
          code: 'legacy-format',
          raw:
            '[2019-01-23T19:28:44.859Z] "POST /cloudSpiderAccessor/v1/executeReport/taskId/ff808081662e858401687bfd7d51256fHTTP/1.1" ' +
            '503 UF 394 57 999 - "-" "Java/1.8.0_181" "8c75b45d-5b51-98a8-b4f8-d378c675aae4" "cloudSpiderGateWay:9000" ' +
            '"10.244.7.51:9000" outbound|9000||cloudspidergateway.cloudspider.svc.cluster.local - 10.96.123.71:9000 10.244.13.6:41746\n',
          origin: { source, position: 2 },
          envelope: 'docker-json',
        },
      ]);
    });
  });
});
