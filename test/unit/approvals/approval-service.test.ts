import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { EventEmitter } from 'node:events';
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalService } from '../../../src/approvals/approval-service.js';
import { decideFromConsole } from '../../../src/approvals/console-decision.js';
import { subjectsDigest } from '../../../src/approvals/subjects-digest.js';
import { FileApprovalStore } from '../../../src/approvals/approval-store.js';
import { sealForwarded } from '../../../src/approvals/forwarded-envelope.js';
import type { ApprovalRecord, InteractionResult } from '../../../src/approvals/approval-types.js';
import { APPROVE_ACTION_ID, DENY_ACTION_ID } from '../../../src/approvals/interaction-payload.js';
import { attachSocketMode, type SocketModeEventSource, type SocketModeInteractiveEvent } from '../../../src/approvals/socket-mode-adapter.js';
import { Secret } from '../../../src/shared/secret.js';
import {
  APPROVALS, BINDING_SECRET, MIN, quarantineRequest, SECRETS, SIGNING_SECRET, startSlackHarness, T0, type SlackHarness,
} from '../actions/slack/slack-harness.js';
import type { SignOptions } from '../../env/slack-server.js';

let h: SlackHarness;
beforeEach(async () => {
  h = await startSlackHarness();
});
afterEach(async () => {
  await h.close();
});

type Request = Parameters<ApprovalService['requestApproval']>[0];

async function requested(service: ApprovalService, overrides: Partial<Request> = {}): Promise<ApprovalRecord> {
  return service.requestApproval(quarantineRequest(overrides));
}

function where(record: ApprovalRecord): { channel: string; ts: string } {
  if (record.message === undefined) throw new Error(`approval ${record.id} was not posted`);
  return { channel: record.message.channel, ts: record.message.ts };
}

function clickPayload(record: ApprovalRecord, user: string, actionId = APPROVE_ACTION_ID, at?: number): Record<string, unknown> {
  return h.server.clickPayload({ ...where(record), user, actionId, ...(at !== undefined ? { at } : {}) });
}

/** Signs a payload as Slack would and hands it to the service's HTTP entry point. */
function deliver(service: ApprovalService, payload: unknown, sign: SignOptions = {}): Promise<InteractionResult> {
  const signed = h.server.signInteraction(payload, sign);
  return service.handleInteraction(signed.headers, signed.body);
}

function click(service: ApprovalService, record: ApprovalRecord, user: string, actionId = APPROVE_ACTION_ID): Promise<InteractionResult> {
  return deliver(service, clickPayload(record, user, actionId));
}

function threadReplies(record: ApprovalRecord): string[] {
  const message = record.message;
  if (message === undefined) return [];
  return h.server.replies(message.channel, message.threadTs).map((m) => m.text);
}

describe('requesting an approval', () => {
  it('posts Approve and Deny in the incident thread, showing the exact action, parameters and target with its UID and resourceVersion', async () => {
    const service = await h.approvals();
    const record = await requested(service);

    const parent = h.server.channelMessages(APPROVALS)[0];
    expect(h.server.channelMessages(APPROVALS)).toHaveLength(1);
    expect(record.message?.threadTs).toBe(parent?.ts);
    const request = h.server.message(APPROVALS, where(record).ts);
    expect(request?.threadTs).toBe(parent?.ts);
    const shown = JSON.stringify(request?.blocks);
    expect(shown).toContain('`kubernetes.quarantine-pod` on *Pod ml-prod/inference-abc12-xyz89*');
    expect(shown).toContain('UID `7f1c2d9e-0b7a-4c55-9d0e-3a1b2c3d4e5f`');
    expect(shown).toContain('resourceVersion `48213`');
    expect(shown).toContain('\\"expireAfter\\": \\"24h\\"');
    expect(shown).toContain('<@U0ALICE>, <@U0BOB>');
    const approve = h.server.clickPayload({ ...where(record), user: 'U0ALICE', actionId: APPROVE_ACTION_ID });
    const deny = h.server.clickPayload({ ...where(record), user: 'U0ALICE', actionId: DENY_ACTION_ID });
    const [approveAction] = approve['actions'] as { value: string }[];
    const [denyAction] = deny['actions'] as { value: string }[];
    expect(approveAction?.value).toMatch(new RegExp(`^${record.id}\\.[A-Za-z0-9_-]{43}$`));
    expect(denyAction?.value).toBe(approveAction?.value);
    expect(h.events.map((e) => e.type)).toEqual(['requested']);
  });

  it('returns the same approval, without posting again, when the same step asks twice', async () => {
    const service = await h.approvals();
    const first = await requested(service);
    const second = await requested(service);

    expect(second.id).toBe(first.id);
    expect(second.message).toEqual(first.message);
    expect(h.server.callsTo('chat.postMessage')).toHaveLength(2); // the thread's parent and the request
  });

  it('posts the request into the existing incident thread when the alert went to the same channel', async () => {
    const threads = h.threads();
    await threads.notify({ incidentId: 'inc-1', channel: '#soc-approvals', anomaly: quarantineRequest().anomaly, idempotencyKey: 'alert/inc-1/0' });
    const service = await h.approvals({ threads });
    const record = await requested(service);

    expect(h.server.channelMessages(APPROVALS)).toHaveLength(1);
    expect(record.message?.threadTs).toBe(h.server.channelMessages(APPROVALS)[0]?.ts);
  });

  it('refuses a request that names no approver or needs more approvers than it lists', async () => {
    const service = await h.approvals();
    await expect(requested(service, { approvers: { users: [], groups: [] } })).rejects.toMatchObject({ reason: 'client', message: expect.stringContaining('at least one approver') as string });
    await expect(requested(service, { required: 3 })).rejects.toMatchObject({ message: expect.stringContaining('required is 3 but only 2') as string });
    expect(h.server.calls).toHaveLength(0);
  });
});

describe('verifying interactions', () => {
  it('counts a correctly signed click by an allow-listed approver', async () => {
    const service = await h.approvals();
    const record = await requested(service);
    const result = await click(service, record, 'U0ALICE');

    expect(result).toMatchObject({ type: 'decided', decision: { outcome: 'approved', proceed: true, by: ['U0ALICE'], approvalId: record.id } });
  });

  it('rejects unsigned, forged, altered and stale requests without counting or posting anything', async () => {
    const service = await h.approvals();
    const record = await requested(service, { required: 2 });
    const payload = clickPayload(record, 'U0ALICE');
    const posted = h.server.calls.length;

    const unsigned = await deliver(service, payload, { unsigned: true });
    const forged = await deliver(service, payload, { signingSecret: 'guessed-secret' });
    const signed = h.server.signInteraction(payload);
    const altered = await service.handleInteraction(signed.headers, signed.body.replace('U0ALICE', 'U0BOB00'));
    const stale = await deliver(service, payload, { timestampSec: Math.floor(T0 / 1000) - 301 });

    expect([unsigned, forged, altered, stale].map((r) => (r.type === 'rejected' ? r.reason : r.type))).toEqual(['unsigned', 'bad-signature', 'bad-signature', 'stale']);
    expect(service.get(record.id)?.approvals).toEqual([]);
    expect(h.server.calls.length).toBe(posted);
  });

  it('rejects a replay of an accepted payload', async () => {
    const service = await h.approvals();
    const record = await requested(service, { required: 2 });
    const signed = h.server.signInteraction(clickPayload(record, 'U0ALICE'));

    const first = await service.handleInteraction(signed.headers, signed.body);
    h.clock.advance(30_000);
    const replay = await service.handleInteraction(signed.headers, signed.body);

    expect(first).toMatchObject({ type: 'approved-by', approvals: 1, required: 2 });
    expect(replay).toMatchObject({ type: 'rejected', reason: 'replayed', approvalId: record.id, user: 'U0ALICE' });
    expect(service.get(record.id)?.approvals).toHaveLength(1);
  });

  it('rejects a button whose binding token was altered, and a click from another message', async () => {
    const service = await h.approvals();
    const record = await requested(service);
    const tampered = clickPayload(record, 'U0ALICE');
    const [action] = tampered['actions'] as { value: string }[];
    if (action === undefined) throw new Error('no action');
    action.value = `${record.id}.${'A'.repeat(43)}`;
    const elsewhere = clickPayload(record, 'U0BOB');
    elsewhere['container'] = { type: 'message', message_ts: '1793700000.999999', channel_id: APPROVALS };

    expect(await deliver(service, tampered)).toMatchObject({ type: 'rejected', reason: 'binding-mismatch' });
    expect(await deliver(service, elsewhere)).toMatchObject({ type: 'rejected', reason: 'wrong-message' });
    expect(service.get(record.id)?.decision).toBeUndefined();
  });

  it('rejects a click made more than five minutes before it arrives, even when freshly signed', async () => {
    const service = await h.approvals();
    const record = await requested(service);
    const old = clickPayload(record, 'U0ALICE', APPROVE_ACTION_ID, T0 - 6 * MIN);

    expect(await deliver(service, old)).toMatchObject({ type: 'rejected', reason: 'stale' });
  });

  it('ignores verified interactions that are not approval buttons, and refuses payloads it cannot read', async () => {
    const service = await h.approvals();
    expect(await deliver(service, { type: 'view_submission', user: { id: 'U0ALICE' } })).toMatchObject({ type: 'ignored' });
    expect(await deliver(service, { type: 'block_actions', user: { id: 'U0ALICE' }, actions: [{ type: 'button', action_id: 'other.app', action_ts: String(T0 / 1000) }] })).toMatchObject({ type: 'ignored' });
    expect(await deliver(service, { type: 'block_actions', actions: [] })).toMatchObject({ type: 'rejected', reason: 'malformed' });
    const noPayload = h.server.signInteraction({});
    expect(await service.handleInteraction(noPayload.headers, 'text=hello')).toMatchObject({ type: 'rejected', reason: 'bad-signature' });
  });

  it('refuses every HTTP interaction when no signing secret is configured', async () => {
    const service = await h.approvals({ unsigned: true });
    const record = await requested(service);
    expect(await click(service, record, 'U0ALICE')).toMatchObject({ type: 'rejected', reason: 'unsigned' });
  });
});

describe('approvers', () => {
  it('accepts a member of an allow-listed user group, asking Slack for the members', async () => {
    const service = await h.approvals();
    const record = await requested(service, { approvers: { users: [], groups: ['S0SOCLEADS'] } });

    expect(await click(service, record, 'U0LEAD')).toMatchObject({ type: 'decided', decision: { outcome: 'approved', by: ['U0LEAD'] } });
    expect(h.server.callsTo('usergroups.users.list').map((c) => c.params['usergroup'])).toEqual(['S0SOCLEADS']);
  });

  it('rejects an unlisted user and says so in the thread, once', async () => {
    const service = await h.approvals();
    const record = await requested(service, { approvers: { users: ['U0ALICE'], groups: ['S0SOCLEADS'] } });

    expect(await click(service, record, 'U0MALLORY')).toMatchObject({ type: 'rejected', reason: 'not-an-approver', user: 'U0MALLORY' });
    expect(await click(service, record, 'U0MALLORY')).toMatchObject({ type: 'rejected', reason: 'not-an-approver' });
    expect(await click(service, record, 'U0MALLORY', DENY_ACTION_ID)).toMatchObject({ type: 'rejected', reason: 'not-an-approver' });
    await service.flush();

    expect(service.get(record.id)?.decision).toBeUndefined();
    expect(threadReplies(record).filter((t) => t.includes('not-an-approver'))).toHaveLength(1);
  });

  it('refuses rather than guesses when Slack cannot list an allow-listed group', async () => {
    const service = await h.approvals();
    const record = await requested(service, { approvers: { users: [], groups: ['S0SOCLEADS'] } });
    h.server.failNext('usergroups.users.list', 'missing_scope');

    expect(await click(service, record, 'U0LEAD')).toMatchObject({ type: 'rejected', reason: 'approver-check-failed' });
  });
});

describe('decisions', () => {
  it('needs N distinct approvers: the same approver clicking twice counts once', async () => {
    const service = await h.approvals();
    const record = await requested(service, { required: 2 });
    const waiting = service.awaitDecision(record.id);

    expect(await click(service, record, 'U0ALICE')).toMatchObject({ type: 'approved-by', approvals: 1, required: 2 });
    expect(await click(service, record, 'U0ALICE')).toMatchObject({ type: 'rejected', reason: 'duplicate-approver' });
    expect(await click(service, record, 'U0BOB')).toMatchObject({ type: 'decided', decision: { outcome: 'approved', by: ['U0ALICE', 'U0BOB'] } });
    await expect(waiting).resolves.toMatchObject({ outcome: 'approved', proceed: true });
  });

  it('ends on a deny by any allow-listed approver, even after an approval', async () => {
    const service = await h.approvals();
    const record = await requested(service, { required: 2 });
    await click(service, record, 'U0ALICE');
    const denied = await click(service, record, 'U0BOB', DENY_ACTION_ID);

    expect(denied).toMatchObject({ type: 'decided', decision: { outcome: 'denied', proceed: false, by: ['U0BOB'] } });
    expect(await click(service, record, 'U0ALICE')).toMatchObject({ type: 'rejected', reason: 'already-decided' });
    await expect(service.awaitDecision(record.id)).resolves.toMatchObject({ outcome: 'denied' });
  });

  it('posts the decision in the thread and replaces the buttons on the request', async () => {
    const service = await h.approvals();
    const record = await requested(service);
    await click(service, record, 'U0ALICE');
    await service.flush();

    const request = h.server.message(APPROVALS, where(record).ts);
    expect(JSON.stringify(request?.blocks)).not.toContain(APPROVE_ACTION_ID);
    expect(JSON.stringify(request?.blocks)).toContain('Approval granted');
    expect(threadReplies(record).some((t) => t.includes('granted') && t.includes('<@U0ALICE>'))).toBe(true);
  });

  it('takes a console decision while Slack is slow to take the request, and the request shows it once posted', async () => {
    const service = await h.approvals();
    const slack = h.server.hold('chat.postMessage');
    const requesting = requested(service);
    await slack.reached;
    const id = ApprovalService.approvalId(quarantineRequest().idempotencyKey);
    const pending = service.get(id);
    if (pending === undefined) throw new Error('the approval is not pending while its request is posted');
    const deciding = decideFromConsole(service, { approvalId: id, user: 'U0ALICE', verdict: 'approve', binding: subjectsDigest(pending) });
    // Slack still holds the post: a decision waiting behind it would never come.
    const first = await Promise.race([deciding.then(() => 'decided'), new Promise((resolve) => { setTimeout(resolve, 5_000, 'waiting for Slack'); })]);
    expect(first).toBe('decided');
    expect(await deciding).toMatchObject({ type: 'decided', decision: { outcome: 'approved', by: ['U0ALICE'] } });

    slack.release();
    const record = await requesting;
    await service.flush();
    expect(record.decision?.outcome).toBe('approved');
    const request = h.server.message(APPROVALS, where(record).ts);
    expect(JSON.stringify(request?.blocks)).not.toContain(APPROVE_ACTION_ID);
    expect(JSON.stringify(request?.blocks)).toContain('Approval granted');
    expect(threadReplies(record).some((t) => t.includes('granted') && t.includes('<@U0ALICE>'))).toBe(true);
    expect(service.get(id)?.message).toEqual(record.message);
  });

  it('keeps a console decision made while the request was on its way when Slack then refuses the post', async () => {
    const service = await h.approvals();
    const slack = h.server.hold('chat.postMessage');
    h.server.failNext('chat.postMessage', 'channel_not_found');
    const requesting = requested(service);
    await slack.reached;
    const id = ApprovalService.approvalId(quarantineRequest().idempotencyKey);
    const pending = service.get(id);
    if (pending === undefined) throw new Error('the approval is not pending while its request is posted');
    expect(await decideFromConsole(service, { approvalId: id, user: 'U0ALICE', verdict: 'approve', binding: subjectsDigest(pending) })).toMatchObject({ type: 'decided' });
    slack.release();
    const record = await requesting;
    expect(record).toMatchObject({ id, decision: { outcome: 'approved', by: ['U0ALICE'] } });
    expect(record.message).toBeUndefined();
  });

  it('posts a request asked for twice at once only once', async () => {
    const service = await h.approvals();
    const slack = h.server.hold('chat.postMessage');
    const first = requested(service);
    await slack.reached;
    const second = requested(service);
    slack.release();
    const [a, b] = await Promise.all([first, second]);
    expect(b.message).toEqual(a.message);
    expect(h.server.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.params).includes(APPROVE_ACTION_ID))).toHaveLength(1);
  });

  it('times out to deny by default, measured on the injected clock', async () => {
    const service = await h.approvals();
    const record = await requested(service, { required: 2 });
    await click(service, record, 'U0ALICE');
    const waiting = service.awaitDecision(record.id);

    expect(await service.expire(T0 + 10 * MIN - 1)).toEqual([]);
    h.clock.set(T0 + 10 * MIN);
    const [decision] = await service.expire();

    expect(decision).toMatchObject({ outcome: 'timed-out', proceed: false, approvalId: record.id });
    expect(decision?.reason).toContain('1 of 2 approvals');
    await expect(waiting).resolves.toEqual(decision);
  });

  it('times out to approve when the playbook says onTimeout: approve', async () => {
    const service = await h.approvals();
    const record = await requested(service, { onTimeout: 'approve' });
    const [decision] = await service.expire(T0 + 10 * MIN);

    expect(decision).toMatchObject({ outcome: 'timed-out', proceed: true, approvalId: record.id });
  });

  it('applies the timeout to a click arriving after it, before expiry was checked', async () => {
    const service = await h.approvals();
    const record = await requested(service);
    h.clock.set(T0 + 10 * MIN + 1000);

    expect(await click(service, record, 'U0ALICE')).toMatchObject({ type: 'rejected', reason: 'already-decided' });
    expect(service.get(record.id)?.decision).toMatchObject({ outcome: 'timed-out', proceed: false });
  });

  it('rejects waiting on an unknown approval, and stops waiting when aborted', async () => {
    const service = await h.approvals();
    const record = await requested(service);
    await expect(service.awaitDecision('ap-000000000000000000000000')).rejects.toMatchObject({ code: 'approval-unknown' });
    const controller = new AbortController();
    const waiting = service.awaitDecision(record.id, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ reason: 'timeout' });
  });
});

describe('binding to the target', () => {
  it('voids an approval when the target\'s resourceVersion changed before the action ran', async () => {
    const service = await h.approvals();
    const request = quarantineRequest();
    const record = await service.requestApproval(request);
    await click(service, record, 'U0ALICE');
    const [subject] = request.subjects;
    if (subject === undefined) throw new Error('no subject');

    const check = await service.confirmBinding(record.id, [{ ...subject, target: { ...subject.target, resourceVersion: '48214' } }]);

    expect(check).toMatchObject({ holds: false, decision: { outcome: 'void', proceed: false } });
    expect(check.decision?.reason).toContain('resourceVersion 48213 is now 48214');
    expect(service.get(record.id)?.decision?.outcome).toBe('void');
  });

  it('voids a pending approval when the pod was replaced (new UID) and refuses later clicks', async () => {
    const service = await h.approvals();
    const request = quarantineRequest();
    const record = await service.requestApproval(request);
    const subjects = request.subjects.map((s) => ({ ...s, target: { ...s.target, uid: 'a-new-pod-uid' } }));

    expect(await service.confirmBinding(record.id, subjects)).toMatchObject({ holds: false, decision: { outcome: 'void' } });
    expect(await click(service, record, 'U0ALICE')).toMatchObject({ type: 'rejected', reason: 'already-decided' });
  });

  it('holds when exactly the approved action, parameters and target are about to run', async () => {
    const service = await h.approvals();
    const request = quarantineRequest();
    const record = await service.requestApproval(request);
    await click(service, record, 'U0ALICE');
    const reordered = request.subjects.map((s) => ({ ...s, params: Object.fromEntries(Object.entries(s.params).reverse()) }));

    expect(await service.confirmBinding(record.id, reordered)).toMatchObject({ holds: true, decision: { outcome: 'approved', proceed: true } });
  });
});

describe('persistence', () => {
  it('keeps a pending approval, its approvals and the replay memory across a restart', async () => {
    const before = await h.approvals();
    const record = await requested(before, { required: 2 });
    const accepted = h.server.signInteraction(clickPayload(record, 'U0ALICE'));
    await before.handleInteraction(accepted.headers, accepted.body);
    await before.flush();

    const after = await h.approvals();
    expect(after.pending().map((p) => [p.id, p.approvals.map((v) => v.user)])).toEqual([[record.id, ['U0ALICE']]]);
    expect(await after.handleInteraction(accepted.headers, accepted.body)).toMatchObject({ type: 'rejected', reason: 'replayed' });
    expect(await click(after, record, 'U0BOB')).toMatchObject({ type: 'decided', decision: { outcome: 'approved', by: ['U0ALICE', 'U0BOB'] } });

    const again = await h.approvals();
    await expect(again.awaitDecision(record.id)).resolves.toMatchObject({ outcome: 'approved' });
    expect(await again.requestApproval(quarantineRequest({ required: 2 }))).toMatchObject({ id: record.id, decision: { outcome: 'approved' } });
  });

  it('still times out after a restart', async () => {
    const record = await requested(await h.approvals());
    const after = await h.approvals();
    expect(await after.expire(T0 + 10 * MIN)).toMatchObject([{ approvalId: record.id, outcome: 'timed-out', proceed: false }]);
  });
});

describe('Socket Mode', () => {
  /** Emits `interactive` envelopes the way SocketModeClient does. */
  class FakeSocketMode extends EventEmitter implements SocketModeEventSource {
    readonly acks: string[] = [];

    envelope(body: unknown, id: string): void {
      const event: SocketModeInteractiveEvent = {
        envelope_id: id,
        body,
        ack: () => {
          this.acks.push(id);
          return Promise.resolve();
        },
      };
      this.emit('interactive', event);
    }
  }

  it('acknowledges every envelope and applies the same replay, freshness and allow-list checks as HTTP', async () => {
    const service = await h.approvals({ unsigned: true });
    const record = await requested(service, { required: 2 });
    const socket = new FakeSocketMode();
    const results: InteractionResult[] = [];
    let handled: (() => void) | undefined;
    const detach = attachSocketMode(socket, service, h.logger, (r) => {
      results.push(r);
      handled?.();
    });
    const send = async (body: unknown, id: string): Promise<void> => {
      const done = new Promise<void>((resolve) => {
        handled = resolve;
      });
      socket.envelope(body, id);
      await done;
    };
    const alice = clickPayload(record, 'U0ALICE');

    await send(alice, 'env-1');
    await send(alice, 'env-2');
    await send(clickPayload(record, 'U0MALLORY'), 'env-3');
    await send(clickPayload(record, 'U0BOB', APPROVE_ACTION_ID, T0 - 6 * MIN), 'env-4');
    await send(clickPayload(record, 'U0BOB'), 'env-5');
    detach();
    socket.envelope(clickPayload(record, 'U0ALICE', DENY_ACTION_ID), 'env-6');
    await service.flush();

    expect(socket.acks).toEqual(['env-1', 'env-2', 'env-3', 'env-4', 'env-5']);
    expect(results.map((r) => (r.type === 'rejected' ? r.reason : r.type))).toEqual(['approved-by', 'replayed', 'not-an-approver', 'stale', 'decided']);
    expect(results.every((r) => r.type !== 'rejected' || r.transport === 'socket-mode')).toBe(true);
    expect(service.get(record.id)?.decision).toMatchObject({ outcome: 'approved', by: ['U0ALICE', 'U0BOB'] });
  });
});

describe('secrets', () => {
  it('never show the bot token, signing secret or binding secret in logs, errors, results, events, state files or messages', async () => {
    const service = await h.approvals();
    const record = await requested(service, { required: 2 });
    const outputs: unknown[] = [];
    outputs.push(await deliver(service, clickPayload(record, 'U0ALICE'), { signingSecret: 'wrong' }));
    outputs.push(await deliver(service, clickPayload(record, 'U0ALICE'), { unsigned: true }));
    outputs.push(await deliver(service, clickPayload(record, 'U0MALLORY')));
    outputs.push(await click(service, record, 'U0ALICE'));
    outputs.push(await service.confirmBinding(record.id, []));
    const badToken = new WebClient('xoxb-unauthorised', { slackApiUrl: h.server.apiUrl, retryConfig: { retries: 0 } });
    const unauthorised = await h.approvals({ slack: badToken, threads: h.threads() });
    const failure = await unauthorised.requestApproval(quarantineRequest({ idempotencyKey: 'other', approvers: { users: [], groups: ['S0SOCLEADS'] } })).catch((e: unknown) => e);
    outputs.push(failure, String(failure), inspect(failure), (failure as Error).stack);
    h.logger.info({ signingSecret: new Secret(SIGNING_SECRET), bindingSecret: new Secret(BINDING_SECRET) }, 'settings');
    await service.flush();

    const stateFiles = listFiles(h.stateDir).map((file) => readFileSync(file, 'utf8'));
    const slackSide = JSON.stringify(h.server.calls.map((c) => c.params));
    const everything = [h.logs.join('\n'), JSON.stringify(h.events), JSON.stringify(outputs), ...outputs.map((o) => inspect(o, { depth: 8 })), ...stateFiles, slackSide].join('\n');
    expect(h.logs.length).toBeGreaterThan(5);
    expect(stateFiles.length).toBeGreaterThan(1);
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('clicks that reach a replica which does not hold the approval', () => {
  /** The replica that asked (`holder`) and another one with its own store (`other`), forwarding to the holder. */
  async function replicas() {
    const holder = await h.approvals();
    const otherDir = mkdtempSync(join(tmpdir(), 'meshwarden-other-replica-'));
    const other = await h.approvals({ store: new FileApprovalStore(otherDir) });
    const sent: string[] = [];
    other.setForwarder((sealed) => {
      sent.push(sealed);
      return Promise.resolve();
    });
    return { holder, other, sent };
  }

  it('are verified, sealed and forwarded; the holder applies them like its own clicks', async () => {
    const { holder, other, sent } = await replicas();
    const record = await requested(holder);
    expect(await click(other, record, 'U0ALICE')).toEqual({ type: 'forwarded', approvalId: record.id });
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toContain(BINDING_SECRET);
    expect(await holder.handleForwarded(sent[0] ?? '')).toMatchObject({ type: 'decided', decision: { outcome: 'approved', by: ['U0ALICE'], approvalId: record.id } });
    // The same click forwarded again (Slack retried to a third replica) is a replay.
    expect(await holder.handleForwarded(sent[0] ?? '')).toMatchObject({ type: 'rejected', reason: 'replayed' });
    // A replica that holds neither ignores it quietly.
    expect(await other.handleForwarded(sent[0] ?? '')).toMatchObject({ type: 'ignored' });
  });

  it('are not forwarded when unsigned, and a forged or stale seal is refused', async () => {
    const { holder, other, sent } = await replicas();
    const record = await requested(holder);
    expect(await deliver(other, clickPayload(record, 'U0ALICE'), { signingSecret: 'not-the-signing-secret' })).toMatchObject({ type: 'rejected', reason: 'bad-signature' });
    expect(sent).toEqual([]);

    await click(other, record, 'U0ALICE');
    const envelope = JSON.parse(sent[0] ?? '{}') as { payload: { user: { id: string } }; sealedAt: number; mac: string };
    const forged = JSON.stringify({ ...envelope, payload: { ...envelope.payload, user: { id: 'U0MALLORY' } } });
    expect(await holder.handleForwarded(forged)).toMatchObject({ type: 'rejected', reason: 'bad-signature', detail: 'a forwarded interaction whose seal does not verify' });
    expect(await holder.handleForwarded(sealForwarded(envelope.payload, new Secret('another-binding-secret'), h.clock.now()))).toMatchObject({ type: 'rejected', reason: 'bad-signature' });
    h.clock.advance(6 * MIN);
    expect(await holder.handleForwarded(sent[0] ?? '')).toMatchObject({ type: 'rejected', reason: 'bad-signature', detail: expect.stringContaining('outside the window') as string });
    expect(holder.get(record.id)?.decision).toBeUndefined();
  });

  it('are refused as unknown by a replica that has nowhere to forward them', async () => {
    const holder = await h.approvals();
    const record = await requested(holder);
    const lone = await h.approvals({ store: new FileApprovalStore(mkdtempSync(join(tmpdir(), 'meshwarden-lone-'))) });
    expect(await click(lone, record, 'U0ALICE')).toMatchObject({ type: 'rejected', reason: 'unknown-approval' });
  });
});

describe('retention', () => {
  it('forgets approvals decided before the cut-off, in memory and on disk, and keeps pending ones', async () => {
    const service = await h.approvals();
    const decided = await requested(service);
    await click(service, decided, 'U0ALICE');
    const pending = await requested(service, { idempotencyKey: 'contain/inc-2/1', incidentId: 'inc-2' });
    h.clock.advance(8 * 24 * 60 * MIN);
    expect(await service.prune(h.clock.now() - 7 * 24 * 60 * MIN)).toBe(1);
    expect(service.get(decided.id)).toBeUndefined();
    expect(service.get(pending.id)?.decision).toBeUndefined();
    const reopened = await h.approvals();
    expect(reopened.list().map((r) => r.id)).toEqual([pending.id]);
  });
});
