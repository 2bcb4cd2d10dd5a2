import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileIncidentThreadStore } from '../../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../../src/actions/slack/incident-threads.js';
import { FileApprovalStore } from '../../../src/approvals/approval-store.js';
import { ApprovalService } from '../../../src/approvals/approval-service.js';
import type { ApprovalRecord, InteractionResult } from '../../../src/approvals/approval-types.js';
import { APPROVE_ACTION_ID } from '../../../src/approvals/interaction-payload.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { createSlackInteractionsEndpoint, slackInteractionsListener } from '../../../src/server/slack-interactions.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { Secret } from '../../../src/shared/secret.js';
import { startSlackTestServer, type SlackTestServer } from '../../env/slack-server.js';

// Needs no backend from test/env: only the loopback Slack server started here. Run it alone with
// MESHWARDEN_TESTENV_BACKENDS=none npx vitest run --project integration test/integration/slack
const BOT_TOKEN = `xoxb-${Date.now()}-integration`;
const SIGNING_SECRET = `signing-${process.pid}-${Date.now()}`;

let slackServer: SlackTestServer;
let engine: Server;
let interactionsUrl: string;
let slack: WebClient;
let threads: SlackIncidentThreads;
let approvals: ApprovalService;
let stateDir: string;
const received: InteractionResult[] = [];

function anomaly(id: string, detector: string, score: number): Anomaly {
  const now = Date.now();
  return {
    id, detector, severity: 'high', score,
    entity: { key: 'pod:ml-prod/frontend-r6xzqz8xn2-c9ssh', kind: 'pod', namespace: 'ml-prod', name: 'frontend-r6xzqz8xn2-c9ssh', pod: 'frontend-r6xzqz8xn2-c9ssh' },
    windowStart: now - 60_000, windowEnd: now,
    evidence: [{ feature: 'new_edges', observed: 3, expected: 0.5, spread: 0.5, score, details: ['ml-prod/frontend -> vault.vault'] }],
  };
}

beforeAll(async () => {
  slackServer = await startSlackTestServer({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, usergroups: { S0SOC: ['U0CAROL'] } });
  slack = new WebClient(BOT_TOKEN, { slackApiUrl: slackServer.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-slack-it-'));
  const logger = silentLogger();
  threads = new SlackIncidentThreads({ slack, store: new FileIncidentThreadStore(stateDir, logger), logger });
  approvals = await ApprovalService.open({
    slack, threads, store: new FileApprovalStore(stateDir), bindingSecret: new Secret(`binding-${Date.now()}`),
    signingSecret: new Secret(SIGNING_SECRET), clock: systemClock, logger,
  });
  engine = createServer(slackInteractionsListener(createSlackInteractionsEndpoint(approvals), logger, (r) => received.push(r)));
  await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
  interactionsUrl = `http://127.0.0.1:${(engine.address() as AddressInfo).port}/slack/interactions`;
});

afterAll(async () => {
  engine.closeAllConnections();
  await new Promise((resolve) => engine.close(resolve));
  await slackServer.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('Slack over HTTP with the real WebClient', () => {
  it('authenticates the bot token and refuses another', async () => {
    await expect(slack.auth.test()).resolves.toMatchObject({ ok: true, user_id: 'U0MESHBOT' });
    const stranger = new WebClient('xoxb-not-ours', { slackApiUrl: slackServer.apiUrl, retryConfig: { retries: 0 } });
    await expect(stranger.auth.test()).rejects.toMatchObject({ code: 'slack_webapi_platform_error', data: { error: 'invalid_auth' } });
  });

  it('posts one thread per incident, updates its parent in place and replies in the thread', async () => {
    const first = await threads.notify({ incidentId: 'it-incident-1', channel: '#soc-alerts', anomaly: anomaly('x1', 'new-callee-edges', 0.9), idempotencyKey: 'pb/it-incident-1/0' });
    const second = await threads.notify({ incidentId: 'it-incident-1', channel: '#soc-alerts', anomaly: anomaly('x2', 'auth-failure-storm', 0.97), text: 'auth failures too', idempotencyKey: 'pb2/it-incident-1/0' });
    const other = await threads.notify({ incidentId: 'it-incident-2', channel: '#soc-alerts', anomaly: anomaly('y1', 'egress-spike', 0.99), idempotencyKey: 'pb/it-incident-2/0' });

    expect([first.outcome, second.outcome, other.outcome]).toEqual(['posted', 'updated', 'posted']);
    expect(second.ts).toBe(first.ts);
    expect(other.ts).not.toBe(first.ts);
    // Read the thread back through the Web API, as any Slack client would.
    const thread = await slack.conversations.replies({ channel: first.channel, ts: first.ts });
    expect(thread.messages?.map((m) => m.ts)).toEqual([first.ts, second.replyTs]);
    const parent = thread.messages?.[0];
    expect(parent?.edited).toBeDefined();
    expect(JSON.stringify(parent?.blocks)).toContain('auth-failure-storm, new-callee-edges');
    expect(JSON.stringify(parent?.blocks)).toContain('0.970');
  });

  describe('approval interactions delivered to the endpoint', () => {
    let record: ApprovalRecord;

    beforeAll(async () => {
      record = await approvals.requestApproval({
        idempotencyKey: 'isolate/it-incident-1/0', incidentId: 'it-incident-1', playbook: 'isolate-on-lateral-movement',
        anomaly: anomaly('x1', 'new-callee-edges', 0.9), channel: '#soc-approvals',
        approvers: { users: ['U0ALICE'], groups: ['S0SOC'] }, required: 1, timeoutMs: 600_000, onTimeout: 'deny',
        subjects: [{
          action: 'kubernetes.quarantine-pod', params: { namespace: 'ml-prod', pod: 'frontend-r6xzqz8xn2-c9ssh' },
          target: { kind: 'Pod', namespace: 'ml-prod', name: 'frontend-r6xzqz8xn2-c9ssh', uid: 'c0a8012e-5d4f-4b0e-9a57-6d2f8e1b7c3a', resourceVersion: '90210' },
        }],
      });
    });

    function approveClick(user: string): Record<string, unknown> {
      if (record.message === undefined) throw new Error('the approval request was not posted');
      return slackServer.clickPayload({ channel: record.message.channel, ts: record.message.ts, user, actionId: APPROVE_ACTION_ID });
    }

    it('answers 401 to forged, unsigned and stale requests, and 405 to anything but POST, counting none', async () => {
      const payload = approveClick('U0ALICE');
      const forged = await slackServer.deliver(interactionsUrl, slackServer.signInteraction(payload, { signingSecret: 'forged' }));
      const unsigned = await slackServer.deliver(interactionsUrl, slackServer.signInteraction(payload, { unsigned: true }));
      const stale = await slackServer.deliver(interactionsUrl, slackServer.signInteraction(payload, { timestampSec: Math.floor(Date.now() / 1000) - 600 }));
      const get = await fetch(interactionsUrl);

      expect([forged.status, unsigned.status, stale.status, get.status]).toEqual([401, 401, 401, 405]);
      expect(forged.body + unsigned.body + stale.body).toBe('');
      expect(received.slice(-3).map((r) => (r.type === 'rejected' ? r.reason : r.type))).toEqual(['bad-signature', 'unsigned', 'stale']);
      expect(approvals.get(record.id)?.decision).toBeUndefined();
    });

    it('approves on a signed click by a member of an allow-listed group, and refuses the replay', async () => {
      const waiting = approvals.awaitDecision(record.id);
      const signed = slackServer.signInteraction(approveClick('U0CAROL'));
      const response = await slackServer.deliver(interactionsUrl, signed);
      const replay = await slackServer.deliver(interactionsUrl, signed);

      expect(response.status).toBe(200);
      await expect(waiting).resolves.toMatchObject({ outcome: 'approved', proceed: true, by: ['U0CAROL'] });
      expect(replay.status).toBe(200);
      expect(received.at(-1)).toMatchObject({ type: 'rejected', reason: 'replayed' });
      await approvals.flush();
      const request = await slack.conversations.replies({ channel: record.message?.channel ?? '', ts: record.message?.threadTs ?? '' });
      expect(request.messages?.some((m) => (m.text ?? '').includes('granted'))).toBe(true);
    });
  });
});
