import { describe, expect, it } from 'vitest';
import { verifySlackSignature } from '../../../src/approvals/slack-signature.js';
import { Secret } from '../../../src/shared/secret.js';
import { slackSignature } from '../../env/slack-server.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = Date.UTC(2026, 10, 3, 10, 0);
const TS = String(NOW / 1000);
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U0ALICE%22%7D%7D';

function check(headers: Record<string, string | string[]>, body: string | Uint8Array = BODY, nowMs = NOW) {
  return verifySlackSignature({ signingSecret: new Secret(SECRET), headers, rawBody: body, nowMs });
}

describe('verifySlackSignature', () => {
  it('accepts a request signed as Slack signs it, whatever the header case and body type', () => {
    const signature = slackSignature(SECRET, TS, BODY);
    expect(check({ 'x-slack-signature': signature, 'x-slack-request-timestamp': TS })).toEqual({ ok: true, timestampMs: NOW });
    expect(check({ 'X-Slack-Signature': signature, 'X-Slack-Request-Timestamp': TS }, Buffer.from(BODY)).ok).toBe(true);
  });

  it('matches the published example of Slack\'s documentation', () => {
    // Slack's "Verifying requests from Slack" walks through this secret, timestamp, body and signature.
    const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = { 'x-slack-request-timestamp': '1531420618', 'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' };
    expect(verifySlackSignature({ signingSecret: new Secret(SECRET), headers, rawBody: body, nowMs: 1531420618_000 }).ok).toBe(true);
  });

  it('refuses a request without signature or timestamp as unsigned', () => {
    expect(check({})).toMatchObject({ ok: false, reason: 'unsigned' });
    expect(check({ 'x-slack-request-timestamp': TS })).toMatchObject({ ok: false, reason: 'unsigned' });
    expect(check({ 'x-slack-signature': slackSignature(SECRET, TS, BODY) })).toMatchObject({ ok: false, reason: 'unsigned' });
  });

  it('refuses a signature made with another secret', () => {
    const forged = slackSignature('not-the-signing-secret', TS, BODY);
    expect(check({ 'x-slack-signature': forged, 'x-slack-request-timestamp': TS })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a body altered after signing', () => {
    const signature = slackSignature(SECRET, TS, BODY);
    const altered = BODY.replace('U0ALICE', 'U0EVE00');
    expect(check({ 'x-slack-signature': signature, 'x-slack-request-timestamp': TS }, altered)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a signature moved to another timestamp', () => {
    const signature = slackSignature(SECRET, TS, BODY);
    const later = String(Number(TS) + 1);
    expect(check({ 'x-slack-signature': signature, 'x-slack-request-timestamp': later })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses malformed signature headers: unknown version, wrong length, repeated header', () => {
    const hex = slackSignature(SECRET, TS, BODY).slice(3);
    expect(check({ 'x-slack-signature': `v1=${hex}`, 'x-slack-request-timestamp': TS })).toMatchObject({ reason: 'bad-signature' });
    expect(check({ 'x-slack-signature': `v0=${hex.slice(2)}`, 'x-slack-request-timestamp': TS })).toMatchObject({ reason: 'bad-signature' });
    expect(check({ 'x-slack-signature': 'v0=', 'x-slack-request-timestamp': 'yesterday' })).toMatchObject({ reason: 'bad-signature' });
    expect(check({ 'x-slack-signature': [`v0=${hex}`, `v0=${hex}`], 'x-slack-request-timestamp': TS })).toMatchObject({ reason: 'unsigned' });
  });

  it('refuses a correctly signed request older than five minutes, or more than five minutes ahead', () => {
    const old = String(Number(TS) - 301);
    const ahead = String(Number(TS) + 301);
    const edge = String(Number(TS) - 300);
    expect(check({ 'x-slack-signature': slackSignature(SECRET, old, BODY), 'x-slack-request-timestamp': old })).toMatchObject({ ok: false, reason: 'stale' });
    expect(check({ 'x-slack-signature': slackSignature(SECRET, ahead, BODY), 'x-slack-request-timestamp': ahead })).toMatchObject({ ok: false, reason: 'stale' });
    expect(check({ 'x-slack-signature': slackSignature(SECRET, edge, BODY), 'x-slack-request-timestamp': edge }).ok).toBe(true);
  });

  it('never puts the secret or the expected signature in its failure detail', () => {
    const forged = slackSignature('other', TS, BODY);
    const result = check({ 'x-slack-signature': forged, 'x-slack-request-timestamp': TS });
    const text = JSON.stringify(result);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(slackSignature(SECRET, TS, BODY).slice(3));
  });
});
