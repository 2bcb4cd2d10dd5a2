import { describe, expect, it } from 'vitest';
import type { BlockActionsPayload } from '../../../src/approvals/interaction-payload.js';
import { requestMessageProblem } from '../../../src/approvals/request-message-check.js';
import { unusableSecretProblems } from '../../../src/approvals/usable-secret.js';
import { Secret } from '../../../src/shared/secret.js';

const POSTED = { channel: 'C0APPROVALS', ts: '1793700000.000100' };

function click(where: Pick<BlockActionsPayload, 'container' | 'channel'>): BlockActionsPayload {
  return { type: 'block_actions', user: { id: 'U0ALICE' }, actions: [{ type: 'button', action_id: 'a', action_ts: '1793700001.000200' }], ...where };
}

describe('requestMessageProblem', () => {
  it('accepts a click on the request message, with or without the top-level channel', () => {
    expect(requestMessageProblem(click({ container: { type: 'message', message_ts: POSTED.ts, channel_id: POSTED.channel }, channel: { id: POSTED.channel } }), POSTED)).toBeUndefined();
    expect(requestMessageProblem(click({ container: { type: 'message', message_ts: POSTED.ts, channel_id: POSTED.channel } }), POSTED)).toBeUndefined();
    expect(requestMessageProblem(click({ container: { type: 'message', message_ts: POSTED.ts }, channel: { id: POSTED.channel } }), POSTED)).toBeUndefined();
  });

  it('refuses a click that does not say where it came from, or says two different things', () => {
    expect(requestMessageProblem(click({}), POSTED)).toBe('the click names no message container');
    expect(requestMessageProblem(click({ container: { type: 'view', message_ts: POSTED.ts, channel_id: POSTED.channel } }), POSTED)).toBe('the click came from a "view" container, not a message');
    expect(requestMessageProblem(click({ container: { type: 'message', channel_id: POSTED.channel } }), POSTED)).toBe('the click names no message (container.message_ts)');
    expect(requestMessageProblem(click({ container: { type: 'message', message_ts: POSTED.ts } }), POSTED)).toBe('the click names no channel (container.channel_id, channel.id)');
    expect(requestMessageProblem(click({ container: { type: 'message', message_ts: POSTED.ts, channel_id: 'C0OTHER' }, channel: { id: POSTED.channel } }), POSTED)).toBe('the click\'s container and channel name different channels');
  });

  it('refuses a click on another message, and any click before the request was posted', () => {
    expect(requestMessageProblem(click({ container: { type: 'message', message_ts: '1793700000.000999', channel_id: POSTED.channel } }), POSTED)).toBe('the click did not come from the approval request message');
    expect(requestMessageProblem(click({ container: { type: 'message', message_ts: POSTED.ts, channel_id: POSTED.channel } }), undefined)).toBe('the approval request has not been posted yet');
  });
});

describe('unusableSecretProblems', () => {
  it('names each set secret that is empty or whitespace, and leaves unset ones to the caller', () => {
    const problems = unusableSecretProblems({ 'binding secret': new Secret('binding-secret-0123456789abcdef'), 'Slack signing secret': new Secret(' \t\n'), 'other secret': undefined });
    expect(problems.map((p) => p.message)).toEqual(['the Slack signing secret is empty or only whitespace, so anyone could sign with it; set it to the real secret (at least 32 random characters)']);
  });
});
