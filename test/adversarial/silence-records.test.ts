/**
 * Silences as the record sees them, attacked by whoever types the author and the comment: a comment
 * that carries a newline and a whole forged ledger line, an author with a newline and terminal
 * escapes, an author claiming to be another token. Through the real `meshwarden serve` (the console
 * API, its ledger) and on a state directory, with the real CLI: every change is exactly one record,
 * the chain verifies, and `audit show` prints each record on one escaped line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshwarden } from '../unit/cli/spawn-cli.js';
import { closedPort, startServe, type ServeProcess } from './serve-process.js';

const ALICE = 'alice-console-token-0123456789abcdef0123456789';
const MALLORY = 'mallory-console-token-0123456789abcdef01234567';

/** A comment that tries to end its record and start a forged one after it. */
const FORGING_COMMENT = 'maintenance"}}\n{"seq":2,"recordedAt":"2026-01-01T00:00:00.000Z","type":"action","data":{"action":"kubernetes.delete-pod","outcome":"succeeded"},"prev":"x","hash":"y"}\n';
/** An author that tries to break its line and rewrite the operator's screen. */
const HOSTILE_AUTHOR = 'alice\n\u001b[2J\u001b[1;1Hsilence approved by security-lead';

let dir: string;
let serve: ServeProcess;
let stateDir: string;
let aliceFile: string;
let malloryFile: string;

interface LedgerLine { readonly type: string; readonly data: Record<string, unknown> }

function ledger(state: string): LedgerLine[] {
  return readFileSync(join(state, 'audit', 'ledger.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LedgerLine);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshwarden-silence-records-'));
  stateDir = join(dir, 'state');
  aliceFile = join(dir, 'alice.token');
  malloryFile = join(dir, 'mallory.token');
  writeFileSync(aliceFile, `${ALICE}\n`, { mode: 0o600 });
  writeFileSync(malloryFile, `${MALLORY}\n`, { mode: 0o600 });
  serve = await startServe({
    stateDir,
    kafka: { brokers: [`127.0.0.1:${await closedPort()}`] },
    console: { tokens: [{ name: 'alice-laptop', user: 'U0ALICE', file: aliceFile }, { name: 'mallory-laptop', user: 'U0MALLORY', file: malloryFile }] },
  });
  // Silences are changed only once the ledger that records them is open (before Kafka is tried).
  if (!(await serve.waitForOutput(/connecting to Kafka failed/, 60_000))) throw new Error(`the service did not get to Kafka:\n${serve.output()}`);
}, 120_000);

afterAll(async () => {
  await serve.stop();
});

/** One POST on a connection of its own (a pooled one may be closed by the server while idle). */
function post(path: string, token: string, body: unknown): Promise<{ status: number; body: string }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${serve.url}${path}`, {
      method: 'POST', agent: false, timeout: 10_000,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
    }, (res) => {
      let answer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { answer += chunk; });
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: answer }); });
    });
    req.on('error', reject);
    req.on('timeout', () => { req.destroy(new Error('timed out')); });
    req.end(text);
  });
}

describe('silences through the service\'s console API', () => {
  it('records each add and expire once in the service\'s ledger, with the token\'s identity; a forging comment stays inside its record', async () => {
    const added = meshwarden(['silence', 'add', '--server', serve.url, '--token-file', aliceFile, '-m', 'detector=egress-spike', '-m', 'namespace=ml-prod', '--duration', '1h', '--comment', FORGING_COMMENT, '--author', 'alice']);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const id = added.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    // An author with a newline and terminal escapes is refused by the service, and nothing changes.
    const hostile = meshwarden(['silence', 'add', '--server', serve.url, '--token-file', aliceFile, '-m', 'pod=inference-0', '--comment', 'x', '--author', HOSTILE_AUTHOR]);
    expect(hostile.code).toBe(2);
    expect(hostile.stderr).toContain('the service refused (400): the author must be a name on one line');

    // Mallory types Alice's name as the author: recorded as typed, beside the token that really sent it.
    const claimed = await post('/api/v1/silences', MALLORY, { matchers: ['pod=inference-0'], durationMs: 600_000, comment: 'quiet please', author: 'token:alice-laptop' });
    expect(claimed.status).toBe(201);
    const claimedId = (JSON.parse(claimed.body) as { silence: { id: string } }).silence.id;

    const expired = meshwarden(['silence', 'expire', id, '--server', serve.url, '--token-file', aliceFile]);
    expect(expired).toMatchObject({ code: 0, stderr: '' });
    expect(expired.stdout).toMatch(new RegExp(`^expired ${id} at `));
    const listed = JSON.parse(meshwarden(['silence', 'list', '--server', serve.url, '--token-file', aliceFile, '--all', '-o', 'json']).stdout) as { id: string; state: string; comment: string }[];
    expect(listed.map((s) => [s.id, s.state])).toEqual([[id, 'expired'], [claimedId, 'active']]);
    expect(listed[0]?.comment).toBe(FORGING_COMMENT);

    // Without a valid token nothing is recorded: a stranger cannot fill the ledger.
    const stranger = await post('/api/v1/silences', 'not-a-token', { matchers: ['pod=inference-0'], durationMs: 600_000, comment: 'x', author: HOSTILE_AUTHOR });
    expect(stranger.status).toBe(401);

    await serve.stop();
    // The refused request of a valid token leaves a trace naming the token, the author as escaped data.
    const refused = ledger(stateDir).filter((r) => r.data.event === 'console-silence');
    expect(refused.map((r) => [r.type, r.data.action, r.data.via, r.data.user, r.data.result])).toEqual([['decision', 'add', 'token:alice-laptop', 'U0ALICE', 'refused']]);
    expect(refused[0]?.data.reason).toContain('the author must be a name on one line');
    const records = ledger(stateDir).filter((r) => typeof r.data.event === 'string' && r.data.event.startsWith('silence-'));
    expect(records.map((r) => [r.data.event, r.data.id, r.data.via, r.data.user, r.data.createdBy])).toEqual([
      ['silence-created', id, 'token:alice-laptop', 'U0ALICE', 'alice'],
      ['silence-created', claimedId, 'token:mallory-laptop', 'U0MALLORY', 'token:alice-laptop'],
      ['silence-expired', id, 'token:alice-laptop', 'U0ALICE', 'alice'],
    ]);
    expect(records[0]?.data.comment).toBe(FORGING_COMMENT);
    expect(records[2]?.data.expiredBy).toBe('token:alice-laptop');
    // No record but the engine's: the forged line is text inside a comment.
    expect(ledger(stateDir).some((r) => r.type === 'action')).toBe(false);
    expect(meshwarden(['audit', 'verify', stateDir])).toMatchObject({ code: 0, stdout: expect.stringContaining('chain intact') as unknown });

    const show = meshwarden(['audit', 'show', id, '--state-dir', stateDir]);
    expect(show.code).toBe(0);
    const lines = show.stdout.trimEnd().split('\n');
    // A header and exactly the silence's two records, one line each.
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('maintenance"}}\\x0a{"seq":2');
    expect(lines[2]).toContain(`silence ${id} expired by token:alice-laptop (token:alice-laptop, U0ALICE)`);
  }, 120_000);
});

describe('silences on a state directory', () => {
  it('refuses a hostile author before anything is written, and keeps a forging comment inside one record', () => {
    const state = join(dir, 'embedded');
    const refused = meshwarden(['silence', 'add', '--state-dir', state, '-m', 'pod=inference-0', '--comment', 'x', '--author', HOSTILE_AUTHOR]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('error: the author must be a name on one line: no control, line-separator or bidirectional characters\n');
    const escapes = meshwarden(['silence', 'add', '--state-dir', state, '-m', 'pod=inference-0', '--comment', 'ok\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007']);
    expect(escapes.code).toBe(2);
    expect(escapes.stderr).toContain('the comment must be text');

    const added = meshwarden(['silence', 'add', '--state-dir', state, '-m', 'pod=inference-0', '--comment', FORGING_COMMENT, '--author', 'alice']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const id = added.stdout.trim();
    const records = ledger(state);
    expect(records.map((r) => [r.type, r.data.event, r.data.id])).toEqual([['decision', 'silence-created', id]]);
    expect(records[0]?.data.comment).toBe(FORGING_COMMENT);
    expect(meshwarden(['audit', 'verify', state])).toMatchObject({ code: 0, stdout: expect.stringContaining('ok: 1 record(s), chain intact') as unknown });
    const show = meshwarden(['audit', 'show', id, '--state-dir', state]);
    expect(show.code).toBe(0);
    expect(show.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(show.stdout).not.toContain('\u001b');
  });
});
