import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalService } from '../../../src/approvals/approval-service.js';
import { APPROVE_ACTION_ID } from '../../../src/approvals/interaction-payload.js';
import { SlackApprovalGate, type GateDecision, type GateRequest } from '../../../src/approvals/slack-approval-gate.js';
import { MIN, podAnomaly, startSlackHarness, T0, type SlackHarness } from '../actions/slack/slack-harness.js';

let h: SlackHarness;
beforeEach(async () => {
  h = await startSlackHarness();
});
afterEach(async () => {
  await h.close();
});

const REQUEST: GateRequest = {
  runId: 'run-7', step: 1, playbook: 'isolate-on-lateral-movement', incidentId: 'inc-9', anomaly: podAnomaly(0),
  channel: '#soc-approvals', approvers: { users: ['U0ALICE'], groups: [] }, required: 1, timeoutMs: 10 * MIN, onTimeout: 'deny',
  actions: [{
    step: 2, action: 'kubernetes.quarantine-pod', params: { namespace: 'ml-prod', pod: 'inference-abc12-xyz89' },
    target: { kind: 'Pod', namespace: 'ml-prod', name: 'inference-abc12-xyz89', uid: 'uid-1', resourceVersion: '7' },
    description: 'label pod ml-prod/inference-abc12-xyz89 meshwarden.io/quarantine=true',
  }],
};

/** A gate whose deliveries land in `delivered`; `next()` waits for the next one. */
function gateOver(service: ApprovalService, currentUid?: string) {
  const delivered: [string, string, GateDecision][] = [];
  let wake: (() => void) | undefined;
  const gate = new SlackApprovalGate({
    service,
    logger: h.logger,
    deliver: (runId, approvalId, decision) => {
      delivered.push([runId, approvalId, decision]);
      wake?.();
      return Promise.resolve();
    },
    ...(currentUid !== undefined
      ? { currentSubjects: (approval) => Promise.resolve(approval.subjects.map((s) => ({ ...s, target: { ...s.target, uid: currentUid } }))) }
      : {}),
  });
  const next = (): Promise<void> => new Promise((resolve) => {
    wake = resolve;
  });
  return { gate, delivered, next };
}

async function approve(service: ApprovalService, approvalId: string): Promise<void> {
  const message = service.get(approvalId)?.message;
  if (message === undefined) throw new Error('not posted');
  const signed = h.server.signInteraction(h.server.clickPayload({ channel: message.channel, ts: message.ts, user: 'U0ALICE', actionId: APPROVE_ACTION_ID }));
  await service.handleInteraction(signed.headers, signed.body);
}

describe('SlackApprovalGate', () => {
  it('asks once per run and step, and hands the approval to the parked run', async () => {
    const service = await h.approvals();
    const { gate, delivered, next } = gateOver(service);
    const asked = await gate.request(REQUEST);
    const again = await gate.request(REQUEST);

    expect(again).toEqual(asked);
    expect(asked.deadline).toBe(T0 + 10 * MIN);
    const arrived = next();
    await approve(service, asked.approvalId);
    await arrived;
    expect(delivered).toEqual([['run-7', asked.approvalId, { approved: true, by: ['U0ALICE'], reason: '1 of 1 required approval given' }]]);
  });

  it('hands on a void decision when the target changed between the approval and the run', async () => {
    const service = await h.approvals();
    const { gate, delivered, next } = gateOver(service, 'uid-2');
    const { approvalId } = await gate.request(REQUEST);
    const arrived = next();
    await approve(service, approvalId);
    await arrived;

    expect(delivered[0]?.[2]).toMatchObject({ approved: false, by: [] });
    expect(delivered[0]?.[2].reason).toContain('UID uid-1 is now uid-2');
  });

  it('after a restart, delivers the timeout of an approval asked before it', async () => {
    const { approvalId } = await gateOver(await h.approvals()).gate.request(REQUEST);
    const service = await h.approvals();
    const { gate, delivered, next } = gateOver(service);
    gate.resume();
    const arrived = next();
    await service.expire(T0 + 10 * MIN);
    await arrived;

    expect(delivered).toEqual([['run-7', approvalId, { approved: false, by: [], reason: expect.stringContaining('onTimeout: deny') as string }]]);
  });
});
