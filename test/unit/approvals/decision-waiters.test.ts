import { describe, expect, it } from 'vitest';
import type { ApprovalDecision } from '../../../src/approvals/approval-types.js';
import { DecisionWaiters } from '../../../src/approvals/decision-waiters.js';

const decision = { approvalId: 'a1', outcome: 'approved', proceed: true, by: ['U1'], reason: 'approved by U1', at: 1 } as unknown as ApprovalDecision;

describe('DecisionWaiters', () => {
  it('wakes every waiter of an approval once, with its decision', async () => {
    const waiters = new DecisionWaiters();
    const both = Promise.all([waiters.wait('a1'), waiters.wait('a1')]);
    waiters.wake('a1', decision);
    expect(await both).toEqual([decision, decision]);
    expect(waiters.waitedFor).toBe(0);
  });

  it('lets a waiter stop at its signal without keeping anything for it, and still wakes the others', async () => {
    const waiters = new DecisionWaiters();
    const stop = new AbortController();
    const stopped = waiters.wait('a1', stop.signal);
    const kept = waiters.wait('a1');
    stop.abort();
    await expect(stopped).rejects.toThrow(/stopped waiting for approval a1/);
    waiters.wake('a1', decision);
    expect(await kept).toBe(decision);
    // Runs that gave up on many approvals leave no entry behind each.
    for (let i = 0; i < 100; i++) {
      const gaveUp = new AbortController();
      const waiting = waiters.wait(`b${i}`, gaveUp.signal);
      gaveUp.abort();
      await expect(waiting).rejects.toThrow();
    }
    expect(waiters.waitedFor).toBe(0);
  });

  it('refuses at once a signal that already aborted', async () => {
    const waiters = new DecisionWaiters();
    await expect(waiters.wait('a1', AbortSignal.abort())).rejects.toThrow(/stopped waiting/);
    expect(waiters.waitedFor).toBe(0);
  });
});
