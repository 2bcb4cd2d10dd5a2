import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileIncidentThreadStore } from '../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../src/actions/slack/incident-threads.js';
import type { ApprovalService } from '../../src/approvals/approval-service.js';
import type { InteractionResult } from '../../src/approvals/approval-types.js';
import { IncidentSilenceButtons, SILENCE_ACTION_ID, silenceButtonBlock } from '../../src/approvals/silence-button.js';
import type { Entity } from '../../src/features/entity.js';
import { compileSilence, findSilence, type StoredSilence } from '../../src/silences/silence.js';
import { Secret } from '../../src/shared/secret.js';
import { ALERTS, BINDING_SECRET, MIN, podAnomaly, startSlackHarness, type SlackHarness } from '../unit/actions/slack/slack-harness.js';

// The attacker can deliver clicks (a signed request from a compromised Slack app, a Socket Mode
// connection, a replica that forwards) and has seen a genuine "Silence 4h" button. It wants a
// silence over something the button was not for: another pod, the detector that would catch it,
// or the same silence twice. Or it names itself (a client-chosen principal) so that a silence
// written for someone else holds back the response to it.

let h: SlackHarness;
let added: StoredSilence[];
beforeEach(async () => {
  h = await startSlackHarness();
  added = [];
});
afterEach(async () => {
  await h.close();
});

async function incidentMessage(): Promise<{ service: ApprovalService; click: () => Record<string, unknown> }> {
  const secret = new Secret(BINDING_SECRET);
  const threads = new SlackIncidentThreads({
    slack: h.slack, store: new FileIncidentThreadStore(h.stateDir, h.logger), logger: h.logger,
    incidentButtons: (incidentId, summary) => silenceButtonBlock(secret, { incidentId, entity: summary.entityKey, detectors: summary.detectors }),
  });
  const posted = await threads.notify({ incidentId: 'inc-1', channel: '#soc-alerts', anomaly: podAnomaly(0), idempotencyKey: 'contain/inc-1/0' });
  const service = await h.approvals();
  new IncidentSilenceButtons({
    approvals: service, slack: h.slack, secret, silencers: { users: ['U0ALICE'], groups: [] },
    add: (silence) => { added.push(silence); return Promise.resolve(); }, logger: h.logger,
  }).attach();
  return { service, click: () => h.server.clickPayload({ channel: posted.channel, ts: posted.ts, user: 'U0ALICE', actionId: SILENCE_ACTION_ID }) };
}

function deliver(service: ApprovalService, payload: unknown): Promise<InteractionResult> {
  const signed = h.server.signInteraction(payload);
  return service.handleInteraction(signed.headers, signed.body);
}

function reasonOf(result: InteractionResult): string {
  return result.type === 'rejected' ? `${result.reason}: ${result.detail}` : result.type;
}

/** The click with its button value rewritten by `edit`. */
function withValue(payload: Record<string, unknown>, edit: (value: string) => string): Record<string, unknown> {
  const actions = payload['actions'] as { value: string }[];
  return { ...payload, actions: actions.map((a) => ({ ...a, value: edit(a.value) })) };
}

describe('forged "Silence 4h" clicks', () => {
  it('silences exactly the incident\'s detector on its entity for a genuine click, and says so in the thread', async () => {
    const { service, click } = await incidentMessage();
    expect(await deliver(service, click())).toMatchObject({ type: 'handled', actionId: SILENCE_ACTION_ID, user: 'U0ALICE' });
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ matchers: ['entity=pod:ml-prod/inference-abc12-xyz89', 'detector=egress-spike'], createdBy: 'slack:U0ALICE', startsAt: h.clock.now(), endsAt: h.clock.now() + 240 * MIN });
    const replies = h.server.replies(ALERTS, h.server.message(ALERTS, (click()['container'] as { message_ts: string }).message_ts)?.ts ?? '');
    expect(replies.map((r) => r.text)).toContainEqual(expect.stringContaining('Silenced for 4h by <@U0ALICE>'));
  });

  it('refuses a button value edited to name another pod or another detector (the token no longer verifies)', async () => {
    const { service, click } = await incidentMessage();
    const retarget = (value: string, change: (target: Record<string, unknown>) => Record<string, unknown>): string => {
      const [body = '', token = ''] = value.split('.');
      const target = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      return `${Buffer.from(JSON.stringify(change(target))).toString('base64url')}.${token}`;
    };
    const otherPod = withValue(click(), (v) => retarget(v, (t) => ({ ...t, entity: 'pod:ml-prod/inference-other-xyz89' })));
    const otherDetector = withValue(click(), (v) => retarget(v, (t) => ({ ...t, detectors: ['egress-spike', 'new-callee-edges'] })));
    expect(reasonOf(await deliver(service, otherPod))).toBe('binding-mismatch: the silence button does not carry the token of its incident');
    expect(reasonOf(await deliver(service, otherDetector))).toBe('binding-mismatch: the silence button does not carry the token of its incident');
    expect(reasonOf(await deliver(service, withValue(click(), () => 'not-a-silence')))).toBe('malformed: the button value is not a silence reference');
    expect(added).toEqual([]);
  });

  it('refuses the same click delivered twice, an unsigned click, a stale one, and a user not on slack.silencers', async () => {
    const { service, click } = await incidentMessage();
    const genuine = click();
    expect((await deliver(service, genuine)).type).toBe('handled');
    expect(reasonOf(await deliver(service, genuine))).toBe('replayed: this interaction was already handled');
    const unsigned = h.server.signInteraction(click(), { unsigned: true });
    expect((await service.handleInteraction(unsigned.headers, unsigned.body)).type).toBe('rejected');
    const stale = click();
    h.clock.advance(10 * MIN);
    expect(reasonOf(await deliver(service, stale))).toMatch(/^(stale|invalid-signature)/);
    const mallory = { ...click(), user: { id: 'U0MALLORY', username: 'mallory', name: 'mallory', team_id: 'T0' } };
    expect(reasonOf(await deliver(service, mallory))).toBe('not-an-approver: the user is not on the silence allow-list (slack.silencers) for pod:ml-prod/inference-abc12-xyz89');
    expect(added).toHaveLength(1);
  });

  it('never lets a client-chosen principal name match a silence written for another principal: matchers anchor fully', () => {
    const silence = compileSilence({
      id: 'sil-1', matchers: ['entity=principal:10.0.0.1', 'detector=auth-failure-storm'], startsAt: 0, endsAt: 60 * MIN, createdBy: 'slack:U0ALICE', comment: '', createdAt: 0,
    });
    const regexSilence = compileSilence({
      id: 'sil-2', matchers: ['principal=~10\\.0\\.0\\.[0-9]', 'detector=auth-failure-storm'], startsAt: 0, endsAt: 60 * MIN, createdBy: 'alice', comment: '', createdAt: 0,
    });
    const principal = (name: string): Entity => ({ key: `principal:${name}`, kind: 'principal', name, identity: 'unresolved' });
    const step = (name: string) => ({ detector: 'auth-failure-storm', entity: principal(name), playbook: 'rotate', action: 'vault.rotate-secret' });
    for (const name of ['10.0.0.1x', '10.0.0.10', 'x10.0.0.1', '10.0.0.1\nprincipal:10.0.0.1', '10.0.0.1 ', '10.0.0.19']) {
      expect(findSilence([silence, regexSilence], step(name), MIN), name).toBeUndefined();
    }
    expect(findSilence([silence], step('10.0.0.1'), MIN)?.id).toBe('sil-1');
    expect(findSilence([regexSilence], step('10.0.0.7'), MIN)?.id).toBe('sil-2');
  });
});
