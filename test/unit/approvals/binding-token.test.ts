import { describe, expect, it } from 'vitest';
import type { ApprovalSubject } from '../../../src/approvals/approval-types.js';
import { bindingToken, tokensEqual } from '../../../src/approvals/binding-token.js';
import { Secret } from '../../../src/shared/secret.js';

const SECRET = new Secret('engine-binding-secret');
const SUBJECT: ApprovalSubject = {
  action: 'kubernetes.quarantine-pod',
  params: { namespace: 'ml-prod', pod: 'inference-abc12-xyz89', expireAfter: '24h' },
  target: { kind: 'Pod', namespace: 'ml-prod', name: 'inference-abc12-xyz89', uid: 'uid-1', resourceVersion: '100' },
};

function token(subject: ApprovalSubject, id = 'ap-000000000000000000000001'): string {
  return bindingToken(SECRET, id, [subject]);
}

describe('bindingToken', () => {
  it('does not depend on the order parameters were written in', () => {
    const reordered = { ...SUBJECT, params: { expireAfter: '24h', pod: 'inference-abc12-xyz89', namespace: 'ml-prod' } };
    expect(token(reordered)).toBe(token(SUBJECT));
  });

  it('changes with the action, any parameter, the target UID, its resourceVersion and the request id', () => {
    const base = token(SUBJECT);
    const variants = [
      token({ ...SUBJECT, action: 'kubernetes.delete-pod' }),
      token({ ...SUBJECT, params: { ...SUBJECT.params, expireAfter: '48h' } }),
      token({ ...SUBJECT, target: { ...SUBJECT.target, uid: 'uid-2' } }),
      token({ ...SUBJECT, target: { ...SUBJECT.target, resourceVersion: '101' } }),
      token({ ...SUBJECT, target: { kind: 'Pod', namespace: 'ml-prod', name: 'inference-abc12-xyz89' } }),
      token({ ...SUBJECT, target: { ...SUBJECT.target, name: 'inference-abc12-other' } }),
      token(SUBJECT, 'ap-000000000000000000000002'),
      bindingToken(new Secret('another-engine'), 'ap-000000000000000000000001', [SUBJECT]),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('is 43 url-safe characters (a base64url SHA-256), fit for a button value', () => {
    expect(token(SUBJECT)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('tokensEqual', () => {
  it('is true only for identical tokens, including ones of different lengths', () => {
    const t = token(SUBJECT);
    expect(tokensEqual(t, t)).toBe(true);
    expect(tokensEqual(t, `${t.slice(0, -1)}A` === t ? `${t.slice(0, -1)}B` : `${t.slice(0, -1)}A`)).toBe(false);
    expect(tokensEqual(t, t.slice(0, 10))).toBe(false);
    expect(tokensEqual('', t)).toBe(false);
  });
});
