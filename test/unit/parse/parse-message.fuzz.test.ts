import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMessage } from '../../../src/parse/parse-message.js';
import type { DeadLetterCode, ParseOutcome } from '../../../src/parse/records.js';
import { readIstioSamples } from './istio-samples.js';

const origin = { source: 'fuzz', position: 0 };
const samples = readIstioSamples();
const LINES = [...samples.A, ...samples.B, ...samples.C, ...samples.D].map((line) => line.text);

const CODES: readonly DeadLetterCode[] = [
  'oversized',
  'empty',
  'invalid-json',
  'invalid-batch',
  'unknown-shape',
  'legacy-format',
  'missing-start-time',
  'not-access-log',
  'invalid-field',
  'schema-violation',
];

const TYPED_JSON_LINE = JSON.stringify({
  start_time: '2024-06-18T10:19:42.614Z',
  method: 'GET',
  path: '/status/418',
  protocol: 'HTTP/1.1',
  response_code: 418,
  response_flags: null,
  bytes_received: 0,
  bytes_sent: 135,
  duration: 4,
  upstream_service_time: '4',
  request_id: '84961386-6d84-929d-98bd-c5aee93b5c88',
  upstream_cluster: 'outbound|8000||httpbin.foo.svc.cluster.local;',
  route_name: null,
});
const TELEMETRY_LINE =
  '{"schema":"model_telemetry.v1","ts":"2025-03-14T09:27:00Z","kind":"interval","window_s":15,"model":{"name":"resnet50"},"counts":{"requests":12}}';
const DRIFT_LINE =
  '{"schema":"drift_metric.v1","ts":"2025-03-14T10:10:00Z","model":{"name":"m"},"feature":"f","method":"ks","statistic":0.08,"p_value":0.01,"drift_detected":true}';
const SEEDS = [
  ...LINES,
  TYPED_JSON_LINE,
  TELEMETRY_LINE,
  DRIFT_LINE,
  JSON.stringify({ log: `${LINES[0] ?? ''}\n`, kubernetes: { namespace_name: 'default', pod_name: 'p', labels: { app: 'a' } } }),
  JSON.stringify({ message: LINES[1] ?? '', kubernetes: { pod_namespace: 'foo', pod_name: 'q' } }),
  JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'k8s.namespace.name', value: { stringValue: 'default' } }] },
        scopeLogs: [{ logRecords: [{ body: { stringValue: LINES[2] ?? '' } }, { body: { stringValue: TYPED_JSON_LINE } }] }],
      },
    ],
  }),
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The accounting rule, computed independently of the parser: one outcome per message, except an
 * OTLP-JSON batch that can be walked and holds log records, which yields one per log record.
 */
function expectedOutcomes(raw: string, maxBytes: number): number {
  if (Buffer.byteLength(raw, 'utf8') > maxBytes) return 1;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return 1;
  }
  if (!isObject(value) || value.resourceLogs === undefined) return 1;
  const resources = value.resourceLogs;
  if (!Array.isArray(resources)) return 1;
  let count = 0;
  for (const resource of resources) {
    if (!isObject(resource)) return 1;
    const scopes = resource.scopeLogs ?? resource.instrumentationLibraryLogs;
    if (scopes === undefined || scopes === null) continue;
    if (!Array.isArray(scopes)) return 1;
    for (const scope of scopes) {
      if (!isObject(scope)) return 1;
      const records = scope.logRecords;
      if (records === undefined || records === null) continue;
      if (!Array.isArray(records)) return 1;
      for (const record of records) {
        if (!isObject(record)) return 1;
        count++;
      }
    }
  }
  return count === 0 ? 1 : count;
}

function checkOutcome(raw: string, outcome: ParseOutcome, maxBytes: number): void {
  expect(outcome.records.length + outcome.deadLetters.length).toBe(expectedOutcomes(raw, maxBytes));
  for (const letter of outcome.deadLetters) {
    expect(CODES).toContain(letter.code);
    expect(letter.reason.length).toBeGreaterThan(0);
    expect(letter.origin).toBe(origin);
  }
  for (const record of outcome.records) {
    expect(Number.isFinite(record.timestamp)).toBe(true);
    if (record.kind === 'access-log') {
      for (const n of [record.responseCode, record.bytesReceived, record.bytesSent, record.duration]) {
        expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
      }
    }
  }
}

/** Parses and checks; `parseMessage` must not throw, so any exception fails the property. */
function roundTrip(raw: string, maxBytes = 1024 * 1024): void {
  checkOutcome(raw, parseMessage(raw, origin, { maxBytes }), maxBytes);
}

const seed = fc.constantFrom(...SEEDS);

/** Damage a real message the ways transport and humans do. */
const mutated = fc.oneof(
  // truncation
  fc.tuple(seed, fc.nat()).map(([text, at]) => text.slice(0, at % (text.length + 1))),
  // character flips
  fc
    .tuple(seed, fc.array(fc.tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), { minLength: 1, maxLength: 8 }))
    .map(([text, flips]) => {
      let out = text;
      for (const [at, char] of flips) {
        const i = at % Math.max(out.length, 1);
        out = out.slice(0, i) + char + out.slice(i + 1);
      }
      return out;
    }),
  // field deletion (a space-separated token, or a JSON member)
  fc.tuple(seed, fc.nat()).map(([text, at]) => {
    const tokens = text.split(text.startsWith('{') ? ',' : ' ');
    tokens.splice(at % tokens.length, 1);
    return tokens.join(text.startsWith('{') ? ',' : ' ');
  }),
  // huge values
  fc.tuple(seed, fc.nat(), fc.constantFrom('9'.repeat(400), 'x'.repeat(20_000), '"'.repeat(50), '-1e309')).map(
    ([text, at, value]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + value + text.slice(i);
    },
  ),
  // wrong types in JSON seeds
  fc.tuple(fc.constantFrom(TYPED_JSON_LINE, TELEMETRY_LINE, DRIFT_LINE), fc.nat(), fc.jsonValue()).map(([text, at, value]) => {
    const obj = JSON.parse(text) as Record<string, unknown>;
    const keys = Object.keys(obj);
    const key = keys[at % keys.length] ?? 'x';
    return JSON.stringify({ ...obj, [key]: value });
  }),
);

/**
 * OTLP-shaped batches with random structure, to exercise the batch walk and its accounting. Junk
 * is rare at each level (weight 1 in 8), so that most batches are walkable and hold many records.
 */
const junk = { arbitrary: fc.jsonValue(), weight: 1 };
const logRecord = fc.oneof(junk, {
  arbitrary: fc.record(
    { body: fc.oneof(fc.jsonValue(), seed.map((line) => ({ stringValue: line }))) },
    { requiredKeys: [] },
  ),
  weight: 7,
});
const scope = fc.oneof(junk, {
  arbitrary: fc.record({ logRecords: fc.oneof(junk, { arbitrary: fc.array(logRecord, { maxLength: 6 }), weight: 7 }) }, { requiredKeys: [] }),
  weight: 7,
});
const resource = fc.oneof(junk, {
  arbitrary: fc.record(
    {
      resource: fc.oneof(fc.jsonValue(), fc.constant({ attributes: [{ key: 'k8s.pod.name', value: { stringValue: 'p' } }] })),
      scopeLogs: fc.oneof(junk, { arbitrary: fc.array(scope, { maxLength: 3 }), weight: 7 }),
    },
    { requiredKeys: [] },
  ),
  weight: 7,
});
const otlpish = fc
  .oneof(junk, { arbitrary: fc.array(resource, { maxLength: 3 }), weight: 7 })
  .map((resourceLogs) => JSON.stringify({ resourceLogs }));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseMessage under fuzzing: never throws, every message accounted for', () => {
  it('random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (raw) => { roundTrip(raw); }), { numRuns: 1000 });
  });

  it('random JSON', () => {
    fc.assert(fc.property(fc.json(), (raw) => { roundTrip(raw); }), { numRuns: 1000 });
  });

  it('random objects with envelope and record keys', () => {
    const keys = fc.constantFrom(
      'log', 'message', 'kubernetes', 'schema', 'response_code', 'start_time', 'level', 'scope', 'resourceLogs', 'model', 'ts',
    );
    const values = fc.oneof(
      fc.jsonValue(),
      seed,
      fc.constantFrom('model_telemetry.v1', 'drift_metric.v1', { namespace_name: 'ns' }, { pod_namespace: 'ns' }),
    );
    fc.assert(fc.property(fc.dictionary(keys, values), (obj) => { roundTrip(JSON.stringify(obj)); }), { numRuns: 1000 });
  });

  it('mutations of real lines and messages (truncation, flips, deleted fields, huge values, wrong types)', () => {
    fc.assert(fc.property(mutated, (raw) => { roundTrip(raw); }), { numRuns: 2000 });
  });

  it('OTLP-JSON batches of random structure: one outcome per log record, or one for the batch', () => {
    fc.assert(fc.property(otlpish, (raw) => { roundTrip(raw); }), { numRuns: 1000 });
  });

  it('oversized input is dead-lettered without being parsed', () => {
    const parse = vi.spyOn(JSON, 'parse');
    fc.assert(
      fc.property(fc.oneof(seed, fc.string({ unit: 'binary', minLength: 1 })), fc.nat({ max: 50 }), (raw, slack) => {
        const maxBytes = Math.max(0, Buffer.byteLength(raw, 'utf8') - 1 - slack);
        const outcome = parseMessage(raw, origin, { maxBytes });
        expect(outcome.records).toEqual([]);
        expect(outcome.deadLetters).toHaveLength(1);
        expect(outcome.deadLetters[0]).toMatchObject({ code: 'oversized', raw });
      }),
      { numRuns: 500 },
    );
    expect(parse).not.toHaveBeenCalled();
  });
});
