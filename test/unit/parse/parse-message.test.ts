import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMessage } from '../../../src/parse/parse-message.js';
import { readIstioSamples } from './istio-samples.js';

const samples = readIstioSamples();
const A = samples.A.map((line) => line.text);
const origin = { source: 'kafka:istio-logs', position: 42 };

function sample(n: number): string {
  const text = A[n - 1];
  if (text === undefined) throw new Error(`no sample A${n}`);
  return text;
}

/** §2.1 of input-formats.md: Fluent Bit tail + kubernetes filter, kafka output format json (sample A9). */
const FLUENT_BIT = {
  '@timestamp': 1718705982.614893,
  time: '2024-06-18T10:19:42.614893018Z',
  stream: 'stdout',
  _p: 'F',
  log: sample(9),
  kubernetes: {
    pod_name: 'internal-api-7d9c8b6f5-x2k4p',
    namespace_name: 'default',
    pod_id: '5d8a1b7e-0000-4000-8000-000000000001',
    labels: { app: 'internal-api', version: 'v1', 'security.istio.io/tlsMode': 'istio' },
    annotations: { 'sidecar.istio.io/status': '{}' },
    host: 'node-1',
    pod_ip: '10.34.127.167',
    container_name: 'istio-proxy',
    docker_id: 'abc',
    container_hash: 'sha256:def',
    container_image: 'docker.io/istio/proxyv2:1.21.3',
  },
};

const FLUENT_BIT_META = {
  namespace: 'default',
  pod: 'internal-api-7d9c8b6f5-x2k4p',
  container: 'istio-proxy',
  labels: { app: 'internal-api', version: 'v1', 'security.istio.io/tlsMode': 'istio' },
  node: 'node-1',
};

/** §2.2: Vector kubernetes_logs source, kafka sink with the json codec (sample A10). */
const VECTOR = {
  file: '/var/log/pods/default_sleep-9454cc476-vtx2p_0c8e/istio-proxy/0.log',
  kubernetes: {
    container_name: 'istio-proxy',
    pod_name: 'sleep-9454cc476-vtx2p',
    pod_namespace: 'default',
    pod_labels: { app: 'sleep' },
    pod_node_name: 'node-1',
    pod_owner: 'ReplicaSet/sleep-9454cc476',
  },
  message: sample(10),
  source_type: 'kubernetes_logs',
  stream: 'stdout',
  timestamp: '2023-04-24T15:57:17.512345678Z',
};

function attribute(key: string, value: string): { key: string; value: { stringValue: string } } {
  return { key, value: { stringValue: value } };
}

/** §2.3: an otlp_json batch with two resources (two pods), four log records, one of them bad. */
const OTLP_BATCH = {
  resourceLogs: [
    {
      resource: {
        attributes: [
          attribute('k8s.namespace.name', 'default'),
          attribute('k8s.pod.name', 'sleep-9454cc476-vtx2p'),
          attribute('k8s.container.name', 'istio-proxy'),
          attribute('k8s.pod.label.app', 'sleep'),
          attribute('k8s.node.name', 'node-1'),
        ],
      },
      scopeLogs: [
        {
          scope: {},
          logRecords: [
            {
              timeUnixNano: '1606339578409000000',
              body: { stringValue: `${sample(1)}\n` },
              attributes: [attribute('log.iostream', 'stdout')],
              traceId: '',
              spanId: '',
            },
            { timeUnixNano: '1606339578410000000', body: { stringValue: 'not an access log' } },
          ],
        },
      ],
    },
    {
      resource: {
        attributes: [
          attribute('k8s.namespace.name', 'foo'),
          attribute('k8s.pod.name', 'httpbin-74fb669cc6-qvlb5'),
          attribute('k8s.container.name', 'istio-proxy'),
          attribute('k8s.pod.labels.app', 'httpbin'),
        ],
      },
      scopeLogs: [
        { scope: { name: 'otel_envoy_accesslog' }, logRecords: [{ body: { stringValue: sample(2) } }] },
        {
          logRecords: [
            {
              body: {
                kvlistValue: {
                  values: [
                    attribute('start_time', '2020-11-25T21:26:18.409Z'),
                    { key: 'response_code', value: { intValue: '418' } },
                    { key: 'duration', value: { intValue: '3' } },
                    attribute('upstream_cluster', 'inbound|8000||'),
                  ],
                },
              },
            },
          ],
        },
      ],
    },
  ],
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseMessage envelopes', () => {
  it('takes the line and the Kubernetes metadata out of a Fluent Bit record', () => {
    const outcome = parseMessage(JSON.stringify(FLUENT_BIT), origin);
    expect(outcome.deadLetters).toEqual([]);
    expect(outcome.records).toHaveLength(1);
    expect(outcome.records[0]).toMatchObject({
      kind: 'access-log',
      format: 'text',
      envelope: 'fluent-bit',
      requestId: 'ed37e325-1a4e-9827-b994-1a3317bcc0b1',
      kubernetes: FLUENT_BIT_META,
      origin,
    });
    expect(outcome.records[0]).toStrictEqual({
      ...parseMessage(sample(9), origin).records[0],
      envelope: 'fluent-bit',
      kubernetes: FLUENT_BIT_META,
    });
  });

  it('reads the classic cri parser key `message` in a Fluent Bit record', () => {
    const { log, ...rest } = FLUENT_BIT;
    const outcome = parseMessage(JSON.stringify({ ...rest, message: log }), origin);
    expect(outcome.records[0]).toMatchObject({ envelope: 'fluent-bit', responseCode: 503, kubernetes: FLUENT_BIT_META });
  });

  it('reads a JSON access log inside a Fluent Bit `log` string', () => {
    const log = JSON.stringify({ start_time: '2024-06-18T10:19:42.614Z', response_code: 200, duration: 3, upstream_cluster: 'inbound|8080||' });
    const outcome = parseMessage(JSON.stringify({ ...FLUENT_BIT, log: `${log}\n` }), origin);
    expect(outcome.records[0]).toMatchObject({
      format: 'json',
      envelope: 'fluent-bit',
      responseCode: 200,
      direction: 'inbound',
      kubernetes: FLUENT_BIT_META,
    });
  });

  it('reads a Fluent Bit record whose JSON log keys were merged into it (Merge_Log)', () => {
    const { log: _log, ...rest } = FLUENT_BIT;
    const merged = { ...rest, start_time: '2024-06-18T10:19:42.614Z', response_code: 404, response_flags: 'NR' };
    expect(parseMessage(JSON.stringify(merged), origin).records[0]).toMatchObject({
      format: 'json',
      envelope: 'fluent-bit',
      responseCode: 404,
      responseFlags: ['NR'],
      kubernetes: FLUENT_BIT_META,
    });
  });

  it('takes the line and the Kubernetes metadata out of a Vector event (pod_namespace, pod_labels)', () => {
    const outcome = parseMessage(JSON.stringify(VECTOR), origin);
    expect(outcome.deadLetters).toEqual([]);
    expect(outcome.records[0]).toStrictEqual({
      ...parseMessage(sample(10), origin).records[0],
      envelope: 'vector',
      kubernetes: {
        namespace: 'default',
        pod: 'sleep-9454cc476-vtx2p',
        container: 'istio-proxy',
        labels: { app: 'sleep' },
        node: 'node-1',
      },
    });
  });

  it('reads a docker json-file line (log with its trailing newline), which carries no metadata', () => {
    const text = JSON.stringify({ log: `${sample(1)}\n`, stream: 'stdout', time: '2020-11-25T21:26:18.512Z' });
    const outcome = parseMessage(text, origin);
    expect(outcome.records).toStrictEqual([{ ...parseMessage(sample(1), origin).records[0], envelope: 'docker-json' }]);
  });

  it('parses every log record of a multi-resource OTLP-JSON batch, each with its resource metadata', () => {
    const text = JSON.stringify(OTLP_BATCH);
    const outcome = parseMessage(text, origin);
    const sleep = {
      namespace: 'default',
      pod: 'sleep-9454cc476-vtx2p',
      container: 'istio-proxy',
      labels: { app: 'sleep' },
      node: 'node-1',
    };
    const httpbin = { namespace: 'foo', pod: 'httpbin-74fb669cc6-qvlb5', container: 'istio-proxy', labels: { app: 'httpbin' } };
    expect(outcome.records).toStrictEqual([
      { ...parseMessage(sample(1), origin).records[0], envelope: 'otlp-json', kubernetes: sleep },
      { ...parseMessage(sample(2), origin).records[0], envelope: 'otlp-json', kubernetes: httpbin },
      {
        kind: 'access-log',
        format: 'json',
        envelope: 'otlp-json',
        timestamp: Date.parse('2020-11-25T21:26:18.409Z'),
        responseCode: 418,
        responseFlags: [],
        bytesReceived: 0,
        bytesSent: 0,
        duration: 3,
        upstreamCluster: 'inbound|8000||',
        direction: 'inbound',
        kubernetes: httpbin,
        origin,
      },
    ]);
    expect(outcome.deadLetters).toStrictEqual([
      {
        reason: 'not a known access log, telemetry or drift format',
        code: 'unknown-shape',
        raw: 'not an access log',
        origin,
        envelope: 'otlp-json',
        kubernetes: sleep,
        recordIndex: 1,
      },
    ]);
  });

  it.each([
    { what: 'an empty batch', batch: { resourceLogs: [] }, reason: 'empty OTLP-JSON batch: no log record in resourceLogs' },
    {
      what: 'a batch whose resources hold no record',
      batch: { resourceLogs: [{ resource: {}, scopeLogs: [{ logRecords: [] }] }, { resource: {} }] },
      reason: 'empty OTLP-JSON batch: no log record in resourceLogs',
    },
    {
      what: 'an undecodable batch',
      batch: { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: sample(1) } }] }] }, { scopeLogs: 5 }] },
      reason: 'undecodable OTLP-JSON batch: resourceLogs[1].scopeLogs is not an array',
    },
    { what: 'resourceLogs that is not a list', batch: { resourceLogs: {} }, reason: "undecodable OTLP-JSON batch: 'resourceLogs' is not an array" },
  ])('turns $what into one invalid-batch dead letter carrying the whole message', ({ batch, reason }) => {
    const text = JSON.stringify(batch);
    expect(parseMessage(text, origin)).toStrictEqual({
      records: [],
      deadLetters: [{ reason, code: 'invalid-batch', raw: text, origin, envelope: 'otlp-json' }],
    });
  });

  it('dead-letters only the bad line of an envelope, keeping the envelope metadata', () => {
    const outcome = parseMessage(JSON.stringify({ ...FLUENT_BIT, log: '2024-06-18T10:19:42.614893Z\tinfo\txdsproxy\tconnected\n' }), origin);
    expect(outcome).toStrictEqual({
      records: [],
      deadLetters: [
        {
          reason: 'an istio-proxy application log line (pilot-agent or Envoy), not an access log',
          code: 'not-access-log',
          raw: '2024-06-18T10:19:42.614893Z\tinfo\txdsproxy\tconnected\n',
          origin,
          envelope: 'fluent-bit',
          kubernetes: FLUENT_BIT_META,
        },
      ],
    });
  });

  it('dead-letters a Fluent Bit record that carries no line', () => {
    const { log: _log, ...rest } = FLUENT_BIT;
    const text = JSON.stringify(rest);
    expect(parseMessage(text, origin).deadLetters).toStrictEqual([
      { reason: "a fluent-bit envelope without a string 'log' or 'message'", code: 'unknown-shape', raw: text, origin },
    ]);
  });
});

describe('parseMessage limits and bad input', () => {
  it('dead-letters a message over maxBytes without parsing it', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const text = JSON.stringify({ log: sample(1), padding: 'x'.repeat(200) });
    const outcome = parseMessage(text, origin, { maxBytes: 100 });
    expect(parse).not.toHaveBeenCalled();
    expect(outcome).toStrictEqual({
      records: [],
      deadLetters: [
        { reason: `message of ${text.length} bytes is over the 100-byte limit; not parsed`, code: 'oversized', raw: text, origin },
      ],
    });
  });

  it('counts UTF-8 bytes, not characters, against maxBytes', () => {
    const text = '€'.repeat(40); // 40 characters, 120 bytes
    expect(parseMessage(text, origin, { maxBytes: 100 }).deadLetters[0]).toMatchObject({
      code: 'oversized',
      reason: 'message of 120 bytes is over the 100-byte limit; not parsed',
    });
    expect(parseMessage(text, origin, { maxBytes: 120 }).deadLetters[0]).toMatchObject({ code: 'unknown-shape' });
  });

  it('applies a 1 MiB limit by default', () => {
    const text = `${sample(1)} ${' '.repeat(1024 * 1024)}`;
    expect(parseMessage(text, origin).deadLetters[0]).toMatchObject({ code: 'oversized' });
  });

  it('dead-letters text that starts like JSON but is not, with the JSON error', () => {
    const text = '{"log": "[2020-11-25T21:26:18.409Z] \\"GET';
    const [letter] = parseMessage(text, origin).deadLetters;
    expect(letter).toMatchObject({ code: 'invalid-json', raw: text, origin });
    expect(letter?.reason).toMatch(/^the message starts with '\{' but is not valid JSON: /);
  });

  it('dead-letters a JSON object of no known shape, and an unknown schema by name', () => {
    expect(parseMessage('{"hello":"world"}', origin).deadLetters[0]).toStrictEqual({
      reason: 'a JSON object that is neither an access log (no response_code), a telemetry or drift record (no schema) nor a Falco alert (no rule and priority)',
      code: 'unknown-shape',
      raw: '{"hello":"world"}',
      origin,
    });
    expect(parseMessage('{"schema":"model_telemetry.v2"}', origin).deadLetters[0]).toMatchObject({
      code: 'unknown-shape',
      reason: 'unknown schema "model_telemetry.v2": expected model_telemetry.v1 or drift_metric.v1',
    });
  });
});
