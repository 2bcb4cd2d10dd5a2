import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalService } from '../../src/approvals/approval-service.js';
import type { ApprovalRecord, InteractionResult } from '../../src/approvals/approval-types.js';
import { APPROVE_ACTION_ID } from '../../src/approvals/interaction-payload.js';
import { verifySlackSignature } from '../../src/approvals/slack-signature.js';
import { ConfigError } from '../../src/shared/errors.js';
import { Secret } from '../../src/shared/secret.js';
import { ALERTS, APPROVALS, quarantineRequest, startSlackHarness, T0, type SlackHarness } from '../unit/actions/slack/slack-harness.js';

// The attacker holds a genuine Approve button (copied from the request, or from a message it got
// re-posted in) and a way to deliver a click: a signed request, a Socket Mode connection, or a
// replica that forwards. It edits where the click says it came from, hoping the check that the
// click came from the request message is skipped.

let h: SlackHarness;
beforeEach(async () => {
  h = await startSlackHarness();
});
afterEach(async () => {
  await h.close();
});

/** The request, and a genuine click on it: each call is a new click (its own action_ts), so the replay guard lets it through. */
async function posted(service: ApprovalService): Promise<{ record: ApprovalRecord; click: () => Record<string, unknown> }> {
  const record = await service.requestApproval(quarantineRequest({ required: 1 }));
  const message = record.message;
  if (message === undefined) throw new Error('the approval request was not posted');
  return { record, click: () => h.server.clickPayload({ channel: message.channel, ts: message.ts, user: 'U0ALICE', actionId: APPROVE_ACTION_ID }) };
}

function deliver(service: ApprovalService, payload: unknown): Promise<InteractionResult> {
  const signed = h.server.signInteraction(payload);
  return service.handleInteraction(signed.headers, signed.body);
}

function reasonOf(result: InteractionResult): string {
  return result.type === 'rejected' ? `${result.reason}: ${result.detail}` : result.type;
}

describe('forged approval clicks', () => {
  it('refuses a click whose payload leaves out the message container and the channel', async () => {
    const service = await h.approvals();
    const { record, click } = await posted(service);
    const { container: _container, channel: _channel, ...bare } = click();

    expect(reasonOf(await deliver(service, bare))).toBe('wrong-message: the click names no message container');
    expect(service.get(record.id)?.decision).toBeUndefined();
  });

  it('refuses a click with a container but no message ts, or no channel anywhere', async () => {
    const service = await h.approvals();
    const { record, click } = await posted(service);
    const container = click()['container'] as Record<string, unknown>;
    const { message_ts: _ts, ...noTs } = container;
    const { channel_id: _channel, ...noChannel } = container;
    const { channel: _topChannel, ...withoutChannel } = click();

    expect(reasonOf(await deliver(service, { ...click(), container: noTs }))).toBe('wrong-message: the click names no message (container.message_ts)');
    expect(reasonOf(await deliver(service, { ...withoutChannel, container: noChannel }))).toBe('wrong-message: the click names no channel (container.channel_id, channel.id)');
    expect(service.get(record.id)?.decision).toBeUndefined();
  });

  it('refuses a click whose container is another channel\'s, whatever the channel field says', async () => {
    const service = await h.approvals();
    const { record, click } = await posted(service);
    const container = click()['container'] as Record<string, unknown>;

    const otherContainer = { ...click(), container: { ...container, channel_id: ALERTS } };
    const otherEverything = { ...click(), container: { ...container, channel_id: ALERTS }, channel: { id: ALERTS, name: 'soc-alerts' } };
    expect(reasonOf(await deliver(service, otherContainer))).toBe('wrong-message: the click\'s container and channel name different channels');
    expect(reasonOf(await deliver(service, otherEverything))).toBe('wrong-message: the click did not come from the approval request message');
    expect(service.get(record.id)?.decision).toBeUndefined();
  });

  it('still counts the genuine click', async () => {
    const service = await h.approvals();
    const { record, click } = await posted(service);
    expect(await deliver(service, click())).toMatchObject({ type: 'decided', decision: { outcome: 'approved', approvalId: record.id } });
    expect(record.message?.channel).toBe(APPROVALS);
  });
});

describe('a whitespace-only signing secret', () => {
  it('verifies nothing, even a request correctly signed with it', () => {
    const signed = h.server.signInteraction({ type: 'block_actions' }, { signingSecret: '   ', timestampSec: Math.floor(T0 / 1000) });
    const check = verifySlackSignature({ signingSecret: new Secret('   '), headers: signed.headers, rawBody: signed.body, nowMs: T0 });
    expect(check).toEqual({ ok: false, reason: 'unsigned', detail: 'the configured signing secret is empty or only whitespace, so no request can be verified' });
    const tabs = h.server.signInteraction({ type: 'block_actions' }, { signingSecret: '\t\n ', timestampSec: Math.floor(T0 / 1000) });
    expect(verifySlackSignature({ signingSecret: new Secret('\t\n '), headers: tabs.headers, rawBody: tabs.body, nowMs: T0 }).ok).toBe(false);
  });

  it('is refused when the approval service starts, as is a blank binding secret', async () => {
    await expect(h.approvals({ signingSecret: new Secret('   ') })).rejects.toBeInstanceOf(ConfigError);
    await expect(h.approvals({ signingSecret: new Secret('   ') })).rejects.toThrow(/the Slack signing secret is empty or only whitespace/);
    await expect(h.approvals({ bindingSecret: new Secret(' \n') })).rejects.toThrow(/the binding secret is empty or only whitespace/);
  });
});
