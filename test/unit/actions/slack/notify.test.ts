import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import type { ActionContext } from '../../../../src/actions/action-context.js';
import { MemoryIncidentThreadStore } from '../../../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../../../src/actions/slack/incident-threads.js';
import { notify, type SlackNotifyDeps } from '../../../../src/actions/slack/notify.js';
import type { Anomaly } from '../../../../src/detect/anomaly.js';
import { ActionError } from '../../../../src/shared/errors.js';
import { ALERTS, BOT_TOKEN, podAnomaly, startSlackHarness, type SlackHarness } from './slack-harness.js';

let h: SlackHarness;
beforeEach(async () => {
  h = await startSlackHarness();
});
afterEach(async () => {
  await h.close();
});

function context(threads: SlackIncidentThreads | undefined, anomaly: Anomaly, key: string, incidentId = 'inc-1'): ActionContext {
  const deps: SlackNotifyDeps = { slack: h.slack, clock: h.clock, logger: h.logger, ...(threads !== undefined ? { slackThreads: threads } : {}) };
  return { deps, idempotencyKey: key, playbook: 'quarantine-on-exfiltration', incidentId, anomaly, signal: new AbortController().signal };
}

async function run(threads: SlackIncidentThreads | undefined, params: Record<string, unknown>, anomaly: Anomaly, key: string) {
  if (notify.execute === undefined) throw new Error('slack.notify has no execute');
  return notify.execute(notify.params.parse(params), context(threads, anomaly, key));
}

function blockTexts(blocks: unknown[]): string {
  return JSON.stringify(blocks);
}

/** Every mrkdwn text object in the blocks, wherever it sits. */
function mrkdwnTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnTexts);
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  const own = record['type'] === 'mrkdwn' && typeof record['text'] === 'string' ? [record['text']] : [];
  return [...own, ...Object.values(record).flatMap(mrkdwnTexts)];
}

describe('slack.notify', () => {
  it('posts one Block Kit message with title, entity, detectors, score and evidence for a new incident', async () => {
    const result = await run(h.threads(), { channel: '#soc-alerts', text: 'Exfiltration suspected' }, podAnomaly(0), 'pb/inc-1/1');

    expect(result.outcome).toBe('succeeded');
    const [parent] = h.server.channelMessages(ALERTS);
    expect(h.server.channelMessages(ALERTS)).toHaveLength(1);
    expect(result.details).toMatchObject({ channel: ALERTS, ts: parent?.ts, mode: 'posted' });
    const blocks = parent?.blocks ?? [];
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Exfiltration suspected', emoji: true } });
    const shown = blockTexts(blocks);
    expect(shown).toContain('pod:ml-prod/inference-abc12-xyz89');
    expect(shown).toContain('egress-spike');
    expect(shown).toContain('0.991');
    expect(shown).toContain('`egress_bytes` 37,902,826 (expected 1,465, score 0.991)');
    expect(shown).toContain('ml-prod/inference -&gt; storage.example-exfil.net');
    expect(shown).toContain('_none yet_');
    expect(parent?.metadata).toEqual({ event_type: 'meshwarden_incident', event_payload: { incident_id: 'inc-1' } });
  });

  it('updates the parent in place and replies in its thread on the next notification for the incident', async () => {
    const threads = h.threads();
    await run(threads, { channel: '#soc-alerts' }, podAnomaly(0), 'pb/inc-1/1');
    const later = podAnomaly(3, { id: 'a3', detector: 'new-callee-edges', severity: 'high', score: 0.997, evidence: [{ feature: 'new_edges', observed: 3, expected: 0.5, spread: 0.5, score: 0.997 }] });
    const result = await run(threads, { channel: 'soc-alerts', text: 'Now calling the Kubernetes API' }, later, 'other/inc-1/0');

    expect(result.details).toMatchObject({ mode: 'updated' });
    const parents = h.server.channelMessages(ALERTS);
    expect(parents).toHaveLength(1);
    const parent = parents[0];
    expect(parent?.updates).toBe(1);
    expect(h.server.callsTo('chat.update')[0]?.params).toMatchObject({ channel: ALERTS, ts: parent?.ts });
    const shown = blockTexts(parent?.blocks ?? []);
    expect(shown).toContain('egress-spike, new-callee-edges');
    expect(shown).toContain('0.997');
    expect(shown).toContain('*Anomalies*\\n2');
    const replies = h.server.replies(ALERTS, parent?.ts ?? '');
    expect(replies).toHaveLength(1);
    expect(blockTexts(replies[0]?.blocks ?? [])).toContain('Now calling the Kubernetes API');
    expect(blockTexts(replies[0]?.blocks ?? [])).toContain('new-callee-edges');
  });

  it('sends nothing the second time the same step runs (same idempotency key)', async () => {
    const threads = h.threads();
    await run(threads, { channel: '#soc-alerts' }, podAnomaly(0), 'pb/inc-1/1');
    const callsBefore = h.server.calls.length;
    const again = await run(threads, { channel: '#soc-alerts' }, podAnomaly(0), 'pb/inc-1/1');

    expect(again.outcome).toBe('already-done');
    expect(h.server.calls.length).toBe(callsBefore);
  });

  it('keeps threading the same message after a restart (thread position read back from the state dir)', async () => {
    await run(h.threads(), { channel: '#soc-alerts' }, podAnomaly(0), 'pb/inc-1/1');
    // A fresh SlackIncidentThreads over the same directory stands for the restarted engine.
    const afterRestart = await run(h.threads(), { channel: '#soc-alerts' }, podAnomaly(1, { id: 'a1' }), 'pb2/inc-1/0');
    const again = await run(h.threads(), { channel: '#soc-alerts' }, podAnomaly(0), 'pb/inc-1/1');

    expect(afterRestart.details).toMatchObject({ mode: 'updated' });
    expect(again.outcome).toBe('already-done');
    expect(h.server.channelMessages(ALERTS)).toHaveLength(1);
  });

  it('lists actions taken so far on the parent and in the thread', async () => {
    const threads = h.threads();
    await run(threads, { channel: '#soc-alerts' }, podAnomaly(0), 'pb/inc-1/1');
    expect(await threads.recordAction('inc-1', 'quarantined ml-prod/inference-abc12-xyz89; replacement inference-abc12-k2j4q', 'pb/inc-1/0')).toBe(true);
    expect(await threads.recordAction('inc-1', 'quarantined ml-prod/inference-abc12-xyz89; replacement inference-abc12-k2j4q', 'pb/inc-1/0')).toBe(false);

    const parent = h.server.channelMessages(ALERTS)[0];
    expect(blockTexts(parent?.blocks ?? [])).toContain('• quarantined ml-prod/inference-abc12-xyz89; replacement inference-abc12-k2j4q');
    expect(blockTexts(parent?.blocks ?? [])).not.toContain('_none yet_');
    expect(h.server.replies(ALERTS, parent?.ts ?? '')).toHaveLength(1);
  });

  it('escapes mrkdwn in names taken from traffic, so a crafted entity cannot ping the channel', async () => {
    const hostile = podAnomaly(0, { entity: { key: 'principal:<!channel> <https://evil.example|docs>', kind: 'principal', name: '<!channel>' } });
    await run(h.threads(), { channel: '#soc-alerts' }, hostile, 'pb/inc-1/1');

    const parent = h.server.channelMessages(ALERTS)[0];
    // Slack parses markup in mrkdwn objects and in the fallback text; plain_text is shown literally.
    const shown = [...mrkdwnTexts(parent?.blocks ?? []), parent?.text ?? ''].join('\n');
    expect(shown).toContain('principal:');
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<https://evil.example');
    expect(shown).toContain('&lt;!channel&gt;');
  });

  it('fails with reason client when no Slack thread service is configured', async () => {
    await expect(run(undefined, { channel: '#soc-alerts' }, podAnomaly(0), 'pb/inc-1/1')).rejects.toMatchObject({ reason: 'client', code: 'action-client' });
  });

  it('maps Slack errors to failure reasons without naming the token', async () => {
    const badToken = new WebClient('xoxb-wrong-TOKEN', { slackApiUrl: h.server.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    const unauthorised = new SlackIncidentThreads({ slack: badToken, store: new MemoryIncidentThreadStore(), logger: h.logger });
    const auth = await run(unauthorised, { channel: '#soc-alerts' }, podAnomaly(0), 'k1').catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(ActionError);
    expect(auth).toMatchObject({ reason: 'auth', retriable: false, message: 'Slack chat.postMessage failed: invalid_auth' });
    expect(JSON.stringify(auth) + String(auth)).not.toContain('xoxb-wrong-TOKEN');

    const threads = new SlackIncidentThreads({ slack: h.slack, store: new MemoryIncidentThreadStore(), logger: h.logger });
    await expect(run(threads, { channel: '#nowhere' }, podAnomaly(0), 'k2')).rejects.toMatchObject({ reason: 'client', message: 'Slack chat.postMessage failed: channel_not_found' });
    h.server.failNext('chat.postMessage', 'ratelimited');
    await expect(run(threads, { channel: '#soc-alerts' }, podAnomaly(0), 'k3')).rejects.toMatchObject({ reason: 'rate-limited', retriable: true });
    h.server.failNext('chat.postMessage', 'internal_error');
    await expect(run(threads, { channel: '#soc-alerts' }, podAnomaly(0), 'k4')).rejects.toMatchObject({ reason: 'server', retriable: true });
    expect(h.logs.join('\n')).not.toContain(BOT_TOKEN);
  });

  it('sends the bot token as a bearer token on every call', async () => {
    await run(h.threads(), { channel: '#soc-alerts' }, podAnomaly(0), 'pb/inc-1/1');
    expect(h.server.calls.length).toBeGreaterThan(0);
    expect(h.server.calls.every((c) => c.authorized)).toBe(true);
  });
});
