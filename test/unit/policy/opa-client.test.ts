import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionCache } from '../../../src/policy/decision-cache.js';
import { capReasons, MAX_REASON_CHARS, MAX_REASONS, OpaClient, parsePolicyAnswer, PolicyError } from '../../../src/policy/opa-client.js';
import { ManualClock } from '../../../src/shared/clock.js';

const AT = 'http://127.0.0.1:8181/v1/data/meshwarden/decision';

function failure(text: string): PolicyError {
  try {
    parsePolicyAnswer(text, AT);
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('parsing the decision', () => {
  it('reads {"allow": bool, "reasons": [string]} from the Data API result', () => {
    expect(parsePolicyAnswer('{"result":{"allow":false,"reasons":["change freeze"]},"decision_id":"x"}', AT)).toEqual({ allow: false, reasons: ['change freeze'] });
    expect(parsePolicyAnswer('{"result":{"allow":true}}', AT)).toEqual({ allow: true, reasons: [] });
  });

  it.each([
    ['not JSON', '{"result":', 'policy-malformed', `the policy at ${AT} answered with something that is not JSON`],
    ['an array', '[]', 'policy-malformed', `the policy at ${AT} answered with something that is not a Data API response`],
    ['no result (nothing defined at the path)', '{}', 'policy-undefined', `the policy at ${AT} defines no decision (is the package loaded, and the path right?)`],
    ['allow as a string', '{"result":{"allow":"true","reasons":[]}}', 'policy-malformed', `the decision of the policy at ${AT} is not {"allow": bool, "reasons": [string]} (allow: Invalid input: expected boolean, received string)`],
    ['a bare boolean', '{"result":true}', 'policy-malformed', `the decision of the policy at ${AT} is not {"allow": bool, "reasons": [string]} (result: Invalid input: expected object, received boolean)`],
    ['an unknown key', '{"result":{"allow":true,"reasons":[],"override":true}}', 'policy-malformed', `the decision of the policy at ${AT} is not {"allow": bool, "reasons": [string]} (result: Unrecognized key: "override")`],
    ['a reason that is not a string', '{"result":{"allow":false,"reasons":[{"allow":true}]}}', 'policy-malformed', `the decision of the policy at ${AT} is not {"allow": bool, "reasons": [string]} (reasons.0: Invalid input: expected string, received object)`],
  ])('refuses %s as %s, never as an allow', (_what, text, code, message) => {
    const error = failure(text);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error.retriable).toBe(false);
  });

  it('caps the reasons in number and length', () => {
    const long = 'x'.repeat(MAX_REASON_CHARS + 50);
    const capped = capReasons([long, ...Array.from({ length: MAX_REASONS + 3 }, (_, i) => `r${i}`)]);
    expect(capped).toHaveLength(MAX_REASONS + 1);
    expect(Array.from(capped[0] ?? '')).toHaveLength(MAX_REASON_CHARS);
    expect(capped[0]?.endsWith('…')).toBe(true);
    expect(capped.at(-1)).toBe('(4 more reason(s) not shown)');
  });
});

describe('reaching OPA', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let silentPort = 0;
  let closedPort = 0;

  beforeAll(async () => {
    // A listener that accepts and never answers: what a hung OPA looks like from here.
    silent = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('an OPA that does not answer in time is a retriable policy-timeout', async () => {
    const client = new OpaClient({ url: `http://127.0.0.1:${silentPort}`, path: 'meshwarden/decision', timeoutMs: 100 });
    const error = await client.decide({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('policy-timeout');
    expect((error as PolicyError).retriable).toBe(true);
  });

  it('an OPA that is not there is a retriable policy-unreachable', async () => {
    const client = new OpaClient({ url: `http://127.0.0.1:${closedPort}/`, path: 'meshwarden/decision', timeoutMs: 2_000 });
    const error = await client.decide({}).catch((e: unknown) => e);
    expect((error as PolicyError).code).toBe('policy-unreachable');
    expect((error as PolicyError).message).toContain(`http://127.0.0.1:${closedPort}/v1/data/meshwarden/decision`);
  });

  it('refuses a path that is not a package path', () => {
    expect(() => new OpaClient({ url: 'http://127.0.0.1:8181', path: '../v1/policies', timeoutMs: 500 })).toThrow('is not a package path');
  });
});

describe('the decision cache', () => {
  const allow = { allow: true, reasons: [] };

  it('answers only for the identical key, up to its TTL', () => {
    const clock = new ManualClock(0);
    const cache = new DecisionCache({ maxEntries: 10, ttlMs: 1_000 }, clock);
    const key = DecisionCache.key('{"a":1}');
    cache.set(key, allow);
    expect(cache.get(key)).toEqual(allow);
    expect(cache.get(DecisionCache.key('{"a":2}'))).toBeUndefined();
    clock.advance(1_000);
    expect(cache.get(key)).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new DecisionCache({ maxEntries: 2, ttlMs: 1_000 }, new ManualClock(0));
    cache.set('a', allow);
    cache.set('b', allow);
    cache.get('a');
    cache.set('c', allow);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual(allow);
  });

  it('with size 0 keeps nothing', () => {
    const cache = new DecisionCache({ maxEntries: 0, ttlMs: 1_000 }, new ManualClock(0));
    cache.set('a', allow);
    expect(cache.size).toBe(0);
  });
});
