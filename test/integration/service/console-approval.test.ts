/**
 * Approving without Slack's buttons, end to end on the running service: lines on Kafka -> anomaly
 * -> a run parked on an approval -> `meshwarden approve --server` with an operator's token -> the
 * run goes on, and the ledger records who decided through which token. The real `meshwarden serve`
 * process, real Kafka, the local Slack server (the approval request still goes to Slack).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, randomName } from '../../env/backends.js';
import { startSlackTestServer } from '../../env/slack-server.js';
import { waitFor } from '../../env/wait-for.js';
import { startServe } from '../../adversarial/serve-process.js';
import { serviceTopics } from './service-topics.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const ROOT = join(import.meta.dirname, '..', '..', '..');
const T0 = Date.now() - 30 * 60_000;
const MIN = 60_000;
const BOT_TOKEN = `xoxb-${Date.now()}-console`;
const SIGNING_SECRET = `signing-${process.pid}-${Date.now()}`;
const ALICE_TOKEN = `alice-${'a1'.repeat(20)}`;
const MALLORY_TOKEN = `mallory-${'m2'.repeat(20)}`;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A Fluent Bit message carrying an outbound Istio TEXT line: `pod` sent `bytes` upstream. */
function outbound(pod: string, at: number, bytes: number, i: number): string {
  const text = `[${new Date(at).toISOString()}] "POST /v1/upload HTTP/1.1" 200 - via_upstream - "-" ${bytes} 135 4 4 "-" "loader/1.0" "req-${i}" "store:8000" "10.44.1.27:8000" outbound|8000||store.data.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default`;
  return JSON.stringify({ '@timestamp': at / 1000, log: text, kubernetes: { namespace_name: 'ml-prod', pod_name: pod, container_name: 'istio-proxy', labels: { app: 'loader' } } });
}

/** The CLI as an operator runs it. */
function meshwarden(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin/meshwarden.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('approving from the console, on the running service', () => {
  it('counts the allow-listed token holder\'s approval, refuses another token\'s, and the run goes on', async () => {
    const slackServer = await startSlackTestServer({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, channels: { 'soc-approvals': 'C0APPROVALS', 'soc-alerts': 'C0ALERTS' } });
    cleanups.push(() => slackServer.close());
    const dir = mkdtempSync(join(tmpdir(), 'meshwarden-console-approval-'));
    const stateDir = join(dir, 'state');
    const aliceFile = join(dir, 'alice.token');
    const malloryFile = join(dir, 'mallory.token');
    writeFileSync(aliceFile, ALICE_TOKEN, { mode: 0o600 });
    writeFileSync(malloryFile, MALLORY_TOKEN, { mode: 0o600 });

    const prefix = randomName('console');
    const topics = serviceTopics(prefix);
    const kafka = new Kafka({ clientId: 'test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ waitForLeaders: true, topics: [topics.accessLogs, topics.modelTelemetry, topics.driftMetrics].map((topic) => ({ topic })) });

    const serve = await startServe({
      stateDir, dryRun: false, coordination: { claims: 'none' },
      detectors: join(FIXTURES, 'crash-recovery', 'detectors'), playbooks: join(FIXTURES, 'console-approval', 'playbooks'),
      slack: { enabled: true, mode: 'http', apiUrl: slackServer.apiUrl },
      kafka: { brokers: kafkaBrokers(), groupId: `${prefix}-group`, topics },
      console: { tokens: [{ name: 'alice-laptop', user: 'U0ALICE', file: aliceFile }, { name: 'mallory', user: 'U0MALLORY', file: malloryFile }] },
    }, {
      MESHWARDEN_SLACK_BOT_TOKEN: BOT_TOKEN, MESHWARDEN_SLACK_SIGNING_SECRET: SIGNING_SECRET, MESHWARDEN_APPROVAL_KEY: `approval-key-${Date.now()}-0123456789`,
    });
    cleanups.push(() => serve.stop());

    // 20 minutes of one pod's uploads, 40x at minute 15.
    const lines: string[] = [];
    for (let minute = 0; minute < 20; minute++) {
      for (let r = 0; r < 20; r++) lines.push(outbound('loader-7d9c8b6f5-x2k4p', T0 + minute * MIN + r * 2_900, (minute === 15 ? 40 : 1) * (30_000 + ((r * 7919) % 5_000)), lines.length));
    }
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({ topic: topics.accessLogs, messages: lines.map((value) => ({ value })) });

    const server = ['--server', serve.url];
    let approvalId = '';
    await waitFor('a pending approval on the service', 90_000, async () => {
      const answer = await fetch(`${serve.url}/api/v1/approvals`, { headers: { authorization: `Bearer ${ALICE_TOKEN}` } });
      const items = ((await answer.json()) as { items: { id: string; state: string }[] }).items;
      approvalId = items.find((a) => a.state === 'pending')?.id ?? '';
      return approvalId !== '';
    }, 1_000);

    // An approver decides on a request they were shown: it is in #soc-approvals first. (The service
    // lists an approval as pending as soon as it is saved, and posts it to Slack after that.)
    await waitFor('the approval request in #soc-approvals', 90_000, () => slackServer.channelMessages('C0APPROVALS').some((parent) => slackServer.replies('C0APPROVALS', parent.ts).length > 0), 200)
      .catch((error: unknown) => { throw new Error(`${String(error)}\n${serve.output().slice(-3000)}`); });

    const listed = meshwarden(['approvals', 'list', ...server, '--token-file', aliceFile]);
    expect(listed.stdout).toMatch(new RegExp(`${approvalId}\\s+pending\\s+\\S+\\s+approve-then-notify\\s+[0-9a-f]{16}\\s+0/1\\s+slack.notify on SlackChannel #soc-alerts`));

    // Not on the allow-list: refused, whatever identity the client claims.
    const mallory = meshwarden(['approve', approvalId, ...server, '--token-file', malloryFile]);
    expect(mallory).toMatchObject({ code: 1, stderr: 'refused (not-an-approver): U0MALLORY is not on the approver allow-list\n' });
    const impersonating = meshwarden(['approve', approvalId, ...server, '--token-file', malloryFile, '--as', 'U0ALICE']);
    expect(impersonating).toMatchObject({ code: 1, stderr: 'refused (forbidden): your token acts as U0MALLORY, not U0ALICE\n' });

    const alice = meshwarden(['approve', approvalId, ...server, '--token-file', aliceFile]);
    expect(alice.stderr).toBe('');
    expect(alice).toMatchObject({ code: 0, stdout: `approving: slack.notify on SlackChannel #soc-alerts\napproval ${approvalId}: approved (1 of 1 required approval given)\n` });

    // The run goes on: the step after the approval runs.
    await waitFor('the run to finish', 60_000, async () => {
      const answer = await fetch(`${serve.url}/api/v1/runs`, { headers: { authorization: `Bearer ${ALICE_TOKEN}` } });
      return ((await answer.json()) as { items: { state: string }[] }).items.some((r) => r.state === 'done');
    }, 1_000).catch((error: unknown) => { throw new Error(`${String(error)}\n${serve.output().slice(-3000)}`); });
    const runs = JSON.parse(meshwarden(['runs', 'list', ...server, '--token-file', aliceFile, '-o', 'json']).stdout) as { state: string; steps: { outcome: string }[] }[];
    expect(runs).toEqual([expect.objectContaining({ state: 'done', steps: [expect.objectContaining({ outcome: 'approved' }), expect.objectContaining({ outcome: 'succeeded' })] })]);

    // The ledger: who decided, through which token, refused or not; and the executor's decision.
    await waitFor('the decisions in the ledger', 30_000, () => readFileSync(join(stateDir, 'audit', 'ledger.jsonl'), 'utf8').includes('"outcome":"approved"'));
    const ledger = readFileSync(join(stateDir, 'audit', 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    const votes = ledger.filter((r) => r.data.event === 'console-vote').map((r) => [r.data.via, r.data.user, r.data.result]);
    expect(votes).toEqual([['token:mallory', 'U0MALLORY', 'refused: not-an-approver'], ['token:mallory', 'U0MALLORY', 'refused: wrong-identity'], ['token:alice-laptop', 'U0ALICE', 'approved']]);
    expect(ledger.find((r) => r.type === 'decision' && r.data.approvalId === approvalId && r.data.outcome === 'approved')?.data.description).toBe('1 of 1 required approval given (by U0ALICE)');
    expect(serve.output()).not.toContain(ALICE_TOKEN);
    expect(serve.output()).not.toContain(MALLORY_TOKEN);
  }, 240_000);
});
