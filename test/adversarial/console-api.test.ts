/**
 * The console API of the real `meshwarden serve`, attacked from outside: no token, a wrong token,
 * a token in the URL, a header far larger than any token, an identity the token is not bound to,
 * ids that try to leave the state directory. Only the holder of a configured token reads anything,
 * and the token never reaches the logs.
 */
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileApprovalStore } from '../../src/approvals/approval-store.js';
import type { ApprovalRecord } from '../../src/approvals/approval-types.js';
import { subjectsDigest } from '../../src/approvals/subjects-digest.js';
import { Ledger } from '../../src/audit/ledger.js';
import { ManualClock } from '../../src/shared/clock.js';
import { closedPort, startServe, type ServeProcess } from './serve-process.js';

const TOKEN = 'console-token-0123456789abcdef0123456789abcdef';
const T0 = Date.UTC(2026, 10, 2, 8, 0);

let serve: ServeProcess;
let stateDir: string;

const approval: ApprovalRecord = {
  id: 'ap-0123456789abcdef01234567', idempotencyKey: 'run-1/1', incidentId: 'inc-1', playbook: 'isolate-on-lateral-movement', runId: 'run-1',
  policy: { channel: '#soc', approvers: { users: ['U0ALICE'], groups: [] }, required: 1, timeoutMs: 3_600_000 * 24 * 365, onTimeout: 'deny' },
  subjects: [{ action: 'kubernetes.quarantine-pod', params: { namespace: 'ml-prod', pod: 'inference-0' }, target: { kind: 'Pod', namespace: 'ml-prod', name: 'inference-0', uid: 'u-1' } }],
  createdAt: Date.now(), expiresAt: Date.now() + 3_600_000 * 24 * 365, approvals: [],
};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-console-api-'));
  stateDir = join(dir, 'state');
  const ledger = await Ledger.open(join(stateDir, 'audit'), new ManualClock(T0));
  ledger.append('anomaly', { id: 'a1', detector: 'egress-spike', score: 0.99, entity: { key: 'pod:ml-prod/inference-0' }, windowStart: T0, windowEnd: T0 + 60_000 });
  ledger.append('incident', { event: 'opened', id: 'inc-1', entity: 'pod:ml-prod/inference-0', openedAt: T0 });
  await ledger.flush();
  await new FileApprovalStore(stateDir).saveApproval(approval);
  const tokenFile = join(dir, 'alice.token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  serve = await startServe({
    stateDir,
    kafka: { brokers: [`127.0.0.1:${await closedPort()}`] },
    console: { tokens: [{ name: 'alice-laptop', user: 'U0ALICE', file: tokenFile }] },
  });
  // Decisions wait for the ledger, opened once the configuration and models are loaded: the first
  // attempt at Kafka (a closed port here) comes after it.
  if (!(await serve.waitForOutput(/connecting to Kafka failed/, 60_000))) throw new Error(`the service did not get to Kafka:\n${serve.output()}`);
}, 120_000);

afterAll(async () => {
  await serve.stop();
});

/** One raw request: the status, the headers and the body. */
function call(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${serve.url}${path}`, { method, agent: false, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }); });
    });
    req.on('error', reject);
    req.on('timeout', () => { req.destroy(new Error('timed out')); });
    req.end(body);
  });
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('the console API', () => {
  it('answers the holder of a configured token', async () => {
    const list = await call('/api/v1/incidents', bearer(TOKEN));
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as { items: { id: string; anomalies: number }[] }).items).toEqual([expect.objectContaining({ id: 'inc-1', anomalies: 1 })]);
    const shown = await call(`/api/v1/approvals/${approval.id}`, bearer(TOKEN));
    expect(JSON.parse(shown.body)).toMatchObject({ id: approval.id, state: 'pending', binding: subjectsDigest(approval) });
  });

  it('refuses a request without a token, and says nothing of the state', async () => {
    for (const path of ['/api/v1/incidents', `/api/v1/approvals/${approval.id}`, '/api/v1/runs']) {
      const answer = await call(path);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer realm="meshwarden"');
      expect(answer.body).not.toContain('inc-1');
    }
    expect((await call(`/api/v1/approvals/${approval.id}/approve`, {}, 'POST', JSON.stringify({ binding: subjectsDigest(approval) }))).status).toBe(401);
  });

  it('refuses a wrong token: one character off, a prefix, longer, another scheme', async () => {
    const wrong = [`${TOKEN.slice(0, -1)}0`, TOKEN.slice(0, 20), `${TOKEN}0`, ''];
    for (const token of wrong) expect((await call('/api/v1/incidents', bearer(token))).status).toBe(401);
    expect((await call('/api/v1/incidents', { authorization: `Basic ${Buffer.from(`alice:${TOKEN}`).toString('base64')}` })).status).toBe(401);
    expect((await call('/api/v1/incidents', { authorization: TOKEN })).status).toBe(401);
  });

  it('refuses a token in the query string, even beside a valid header', async () => {
    for (const parameter of ['access_token', 'token', 'api_key', 'Authorization']) {
      const alone = await call(`/api/v1/incidents?${parameter}=${TOKEN}`);
      expect(alone.status).toBe(400);
      expect(alone.body).toContain('only in the Authorization header');
      expect((await call(`/api/v1/incidents?limit=5&${parameter}=${TOKEN}`, bearer(TOKEN))).status).toBe(400);
    }
  });

  it('cuts off a header far larger than any token, and goes on answering', async () => {
    const huge = await call('/api/v1/incidents', { authorization: `Bearer ${'A'.repeat(64 * 1024)}` });
    expect(huge.status).toBe(431);
    // Within the listener's header limit but longer than any token: refused without comparing.
    expect((await call('/api/v1/incidents', bearer('A'.repeat(4000)))).status).toBe(401);
    expect((await call('/healthz')).status).toBe(200);
    expect((await call('/api/v1/incidents', bearer(TOKEN))).status).toBe(200);
  });

  it('never lets an id leave the state directory', async () => {
    for (const id of ['..%2F..%2F..%2Fetc%2Fpasswd', '%2e%2e', '..', '%00', '%E0%A4%A']) {
      const answer = await call(`/api/v1/runs/${id}`, bearer(TOKEN));
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain('root:');
    }
    expect((await call('/api/v1/approvals/../../incidents', bearer(TOKEN))).status).toBe(404);
  });

  it('decides only as the identity bound to the token, and records a refused impersonation', async () => {
    const body = JSON.stringify({ binding: subjectsDigest(approval), as: 'U0MALLORY' });
    const answer = await call(`/api/v1/approvals/${approval.id}/approve`, bearer(TOKEN), 'POST', body);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({ error: 'your token acts as U0ALICE, not U0MALLORY' });
    // Recorded (the ledger writes it with the next flush to the audit topic, which is down here) and logged.
    expect(await serve.waitForOutput(/"event":"console-vote","via":"token:alice-laptop","approvalId":"[^"]+","user":"U0ALICE","verdict":"approve","result":"refused: wrong-identity","reason":"asked to act as U0MALLORY"/, 5_000)).toBe(true);
    // Slack is off here: there is no approval service to decide with, and it says so.
    const honest = await call(`/api/v1/approvals/${approval.id}/approve`, bearer(TOKEN), 'POST', JSON.stringify({ binding: subjectsDigest(approval) }));
    expect(honest.status).toBe(409);
  });

  it('refuses a body that is not a decision, one larger than a decision, and a decision by GET', async () => {
    expect((await call(`/api/v1/approvals/${approval.id}/approve`, bearer(TOKEN), 'POST', '{"binding": 1}')).status).toBe(400);
    expect((await call(`/api/v1/approvals/${approval.id}/approve`, bearer(TOKEN), 'POST', 'not json')).status).toBe(400);
    expect((await call(`/api/v1/approvals/${approval.id}/approve`, bearer(TOKEN), 'GET')).status).toBe(405);
    // Over the route's 1 KiB: refused before the body is read.
    expect((await call(`/api/v1/approvals/${approval.id}/approve`, bearer(TOKEN), 'POST', JSON.stringify({ binding: 'x'.repeat(4096) }))).status).toBe(413);
  });

  it('never writes the token to its logs', () => {
    expect(serve.output()).toContain('console request refused');
    expect(serve.output()).not.toContain(TOKEN);
    expect(serve.output()).not.toContain(TOKEN.slice(0, 20));
  });
});
