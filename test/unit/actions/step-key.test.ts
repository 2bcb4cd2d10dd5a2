import { describe, expect, it } from 'vitest';
import { incidentOfStepKey, stepIdempotencyKey } from '../../../src/actions/action-context.js';

describe('step idempotency keys', () => {
  it('name the playbook, the incident and the step, and give the incident back', () => {
    const key = stepIdempotencyKey('quarantine-on-exfiltration', 'c56665c0d28e04b5', 1);
    expect(key).toBe('quarantine-on-exfiltration/c56665c0d28e04b5/1');
    expect(incidentOfStepKey(key)).toBe('c56665c0d28e04b5');
  });

  it('give no incident for keys made otherwise', () => {
    for (const key of ['quarantine-expiry/3f2a/2026-11-03T00:00:00Z/x', 'manual', 'a//1']) expect(incidentOfStepKey(key), key).toBeUndefined();
  });
});
