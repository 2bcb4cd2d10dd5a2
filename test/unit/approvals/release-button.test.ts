import { describe, expect, it } from 'vitest';
import { parseReleaseButtonValue, RELEASE_ACTION_ID, releaseButtonBlock, releaseButtonValue } from '../../../src/approvals/release-button.js';
import { Secret } from '../../../src/shared/secret.js';

const secret = new Secret('release-key-for-tests');
const target = { namespace: 'ml-prod', pod: 'inference-7d9c8b6f5-x2k4p', incidentId: 'c56665c0d28e04b5' };

describe('the Release pod button', () => {
  it('carries its pod and incident with a token that depends on all three and on the key', () => {
    const value = releaseButtonValue(secret, target);
    const parsed = parseReleaseButtonValue(value);
    expect(parsed?.target).toEqual(target);
    const token = parsed?.token ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseReleaseButtonValue(releaseButtonValue(secret, { ...target, pod: 'inference-7d9c8b6f5-other' }))?.token).not.toBe(token);
    expect(parseReleaseButtonValue(releaseButtonValue(secret, { ...target, incidentId: 'another' }))?.token).not.toBe(token);
    expect(parseReleaseButtonValue(releaseButtonValue(new Secret('another-key'), target))?.token).not.toBe(token);
  });

  it('refuses values that do not name a namespace, a pod and an incident', () => {
    for (const value of ['', 'no-token', 'ml-prod/pod.token', 'ml-prod/pod/incident/extra.token', 'ML_PROD/pod/i.token', 'ml-prod//i.token', 'ml-prod/pod/.token']) {
      expect(parseReleaseButtonValue(value), value).toBeUndefined();
    }
  });

  it('asks for confirmation before releasing, naming the pod', () => {
    const block = releaseButtonBlock(secret, target);
    const [button] = block.elements;
    expect(button).toMatchObject({ action_id: RELEASE_ACTION_ID, value: releaseButtonValue(secret, target), confirm: { confirm: { text: 'Release' } } });
    expect(button?.confirm?.text.text).toContain('ml-prod/inference-7d9c8b6f5-x2k4p');
  });
});
