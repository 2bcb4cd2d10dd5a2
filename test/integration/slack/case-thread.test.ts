/**
 * One case, one thread: two incidents of one case (an error storm on the frontend workload and
 * one of its pods calling something new) run a playbook that notifies and asks for approval. Both
 * notifications and both approval requests land in the case's one thread, each request naming the
 * case and its root; an unrelated incident keeps a thread of its own. The real pipeline (triage,
 * cases, playbooks, the live executor), the approval service and the real WebClient against the
 * local Slack server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileIncidentThreadStore } from '../../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../../src/actions/slack/incident-threads.js';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../../src/app.js';
import { FileApprovalStore } from '../../../src/approvals/approval-store.js';
import { ApprovalService } from '../../../src/approvals/approval-service.js';
import { SlackApprovalGate } from '../../../src/approvals/slack-approval-gate.js';
import { Ledger } from '../../../src/audit/ledger.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { MemoryRunStore } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../../src/playbook/safety-guard.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { Secret } from '../../../src/shared/secret.js';
import { anomalyOn, billing, frontend, frontendPod, loadWithPlaybook } from '../../unit/helpers/case-story.js';
import { startSlackTestServer, type SlackTestServer } from '../../env/slack-server.js';

// Needs no backend from test/env: only the loopback Slack server started here. Run it alone with
// MESHWARDEN_TESTENV_BACKENDS=none npx vitest run --project integration test/integration/slack
const BOT_TOKEN = `xoxb-${Date.now()}-cases`;
const SIGNING_SECRET = `signing-${process.pid}-${Date.now()}-cases`;
const ALERTS = 'C0ALERTS';

/** Tell the SOC, then ask before telling the on-call channel (a step that only runs once approved). */
const PLAYBOOK = `apiVersion: meshwarden.io/v1
kind: Playbook
metadata:
  name: ask-before-paging
spec:
  trigger:
    detectors: [error-storm, new-callee-edges]
  steps:
    - name: alert
      action: slack.notify
      params:
        channel: "#soc-alerts"
    - name: approve paging
      action: slack.approval
      params:
        channel: "#soc-alerts"
        approvers: { users: [U0ALICE] }
        timeout: 30m
    - name: page on-call
      action: slack.notify
      params:
        channel: "#ml-oncall"
        text: "paging for {{ entity.key }}"
`;

let slackServer: SlackTestServer;
let pipeline: Pipeline;
let approvals: ApprovalService;

beforeAll(async () => {
  slackServer = await startSlackTestServer({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, channels: { 'soc-alerts': ALERTS, 'ml-oncall': 'C0ONCALL' } });
  const slack = new WebClient(BOT_TOKEN, { slackApiUrl: slackServer.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-case-thread-'));
  const logger = silentLogger();
  const threads = new SlackIncidentThreads({ slack, store: new FileIncidentThreadStore(stateDir, logger), logger });
  approvals = await ApprovalService.open({
    slack, threads, store: new FileApprovalStore(stateDir), bindingSecret: new Secret(`binding-${Date.now()}-cases-key`),
    signingSecret: new Secret(SIGNING_SECRET), clock: systemClock, logger,
  });
  const { detectors, playbooks } = await loadWithPlaybook(PLAYBOOK);
  const ledger = await Ledger.open(join(stateDir, 'audit'), systemClock);
  const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
  const gate = new SlackApprovalGate({ service: approvals, logger, deliver: (runId, approvalId, decision) => executor.decide(runId, approvalId, decision) });
  const executor: RunExecutor = new RunExecutor({
    playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard, store: new MemoryRunStore(), ledger,
    actionDeps: { slack, slackThreads: threads, clock: systemClock, logger }, approvals: gate,
  });
  pipeline = new Pipeline(detectors, playbooks, { ...DEFAULT_PIPELINE_OPTIONS, dryRun: false }, { deadLetters: { add: () => undefined }, ledger }, {}, { guard, executor });
}, 60_000);

afterAll(async () => {
  await slackServer.close();
});

describe('approval requests in the case\'s thread', () => {
  it('puts both incidents of a case and both their approval requests in one thread that names the case and its root', async () => {
    // Minutes ago, as in a live run: the storm, billing's own storm, then a pod of the frontend.
    const minute = Math.floor(Date.now() / 60_000) - 10;
    const at = (m: number): number => m - Math.floor(Date.UTC(2026, 10, 2, 8, 0) / 60_000);
    pipeline.inject(anomalyOn(frontend, 'error-storm', at(minute)));
    await pipeline.drain();
    pipeline.inject(anomalyOn(billing, 'error-storm', at(minute)));
    await pipeline.drain();
    pipeline.inject(anomalyOn(frontendPod, 'new-callee-edges', at(minute + 2)));
    await pipeline.drain();

    const pending = approvals.list();
    expect(pending).toHaveLength(3);
    const ofCase = pending.filter((a) => a.caseRoot === frontend.key);
    expect(ofCase).toHaveLength(2);
    const caseId = ofCase[0]?.caseId ?? '';
    expect(caseId).toMatch(/^[0-9a-f]{16}$/);
    expect(ofCase.map((a) => a.caseId)).toEqual([caseId, caseId]);
    // Two incidents of the case, two approvals, one thread.
    expect(new Set(ofCase.map((a) => a.incidentId)).size).toBe(2);
    const threadTs = ofCase[0]?.message?.threadTs ?? '';
    expect(ofCase.map((a) => [a.message?.channel, a.message?.threadTs])).toEqual([[ALERTS, threadTs], [ALERTS, threadTs]]);

    // The channel holds one parent per case: the frontend's case and billing's.
    const parents = slackServer.channelMessages(ALERTS);
    expect(parents).toHaveLength(2);
    expect(parents.map((p) => p.ts)).toContain(threadTs);
    const replies = slackServer.replies(ALERTS, threadTs);
    const requests = replies.filter((m) => m.text.startsWith('Approval needed'));
    expect(requests.map((m) => m.ts).sort()).toEqual(ofCase.map((a) => a.message?.ts).sort());
    for (const request of requests) {
      const blocks = JSON.stringify(request.blocks);
      expect(blocks).toContain(`for case \`${caseId}\` (root \`${frontend.key}\`)`);
      expect(blocks).toContain(`· case \`${caseId}\` · root \`${frontend.key}\``);
    }
    // The pod's own notification updated the case's thread rather than opening another.
    expect(replies.some((m) => m.text.includes('new-callee-edges') && m.text.includes(frontendPod.key))).toBe(true);

    // Billing is a case of its own, with its request in its own thread.
    const other = pending.find((a) => a.caseRoot === billing.key);
    expect(other?.caseId).not.toBe(caseId);
    expect(other?.message?.threadTs).not.toBe(threadTs);
    expect(slackServer.replies(ALERTS, other?.message?.threadTs ?? '').filter((m) => m.text.startsWith('Approval needed'))).toHaveLength(1);
  });
});
