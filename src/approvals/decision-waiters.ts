import { ActionError } from '../shared/errors.js';
import type { ApprovalDecision } from './approval-types.js';

/**
 * Who waits for which approval's decision: a run's approval step awaits it (until its signal
 * aborts), and the decision wakes every waiter once.
 */
export class DecisionWaiters {
  private readonly waiters = new Map<string, Set<(decision: ApprovalDecision) => void>>();

  /** Approvals someone waits for. */
  get waitedFor(): number {
    return this.waiters.size;
  }

  /** Resolves with approval `id`'s decision; rejects with `ActionError` (timeout) when `signal` aborts first. */
  wait(id: string, signal?: AbortSignal): Promise<ApprovalDecision> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, waiters);
      const onAbort = (): void => {
        waiters.delete(settle);
        if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
        reject(new ActionError('timeout', `stopped waiting for approval ${id}`));
      };
      const settle = (decision: ApprovalDecision): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(decision);
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(settle);
    });
  }

  /** Wakes everyone waiting for approval `id` with its decision. */
  wake(id: string, decision: ApprovalDecision): void {
    const waiters = this.waiters.get(id);
    this.waiters.delete(id);
    for (const settle of waiters ?? []) settle(decision);
  }
}
