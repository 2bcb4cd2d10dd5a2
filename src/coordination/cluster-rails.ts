import { createHash } from 'node:crypto';
import { formatDuration } from '../shared/duration.js';
import type { GuardRequest, GuardVerdict, SafetyPolicy } from '../playbook/safety-guard.js';
import type { RunClaims } from './run-claims.js';

const QUARANTINE = 'kubernetes.quarantine-pod';
const RELEASE = 'kubernetes.release-pod';

/**
 * The safety rails' counters across replicas. Each replica's SafetyGuard counts only what that
 * replica did, so with N replicas a limit of 10 per namespace would let up to 10 x N through, and
 * two pods of one workload on two replicas' partitions could both be quarantined under a budget of
 * one. These rails count on the API server instead, with the same claims as runs: a limit of
 * `count` is `count` slots, and a step books one free slot per limit before it acts.
 *
 * - Rate limits: slot `rate|<key>#<i>`, held by the step for the limit's window.
 * - Blast radius: slot `blast|<group>#<i>`, held by the quarantined pod for `quarantineHoldMs`
 *   (or until its release frees it), so re-quarantining the same pod takes no second slot.
 *
 * A step books its slots for every limit at once; when one limit is full, the slots booked for
 * the others stay taken until they lapse: the rails err towards acting less, never more.
 */
export class ClusterRails {
  constructor(
    private readonly claims: RunClaims,
    private readonly policy: SafetyPolicy,
    private readonly quarantineHoldMs: number,
  ) {}

  /** Books the step's slots; refused when a limit is full across the replicas. Throws when the store cannot answer. */
  async book(request: GuardRequest, step: string): Promise<GuardVerdict> {
    const { action, target } = request;
    if (!action.destructive) return { allowed: true };
    const limits = this.policy.rateLimits;
    const rates: [string, number, number, string][] = [
      [`target|${target.kind}/${target.namespace ?? ''}/${target.name}`, limits.perTarget.count, limits.perTarget.windowMs, `${target.kind} ${target.name}`],
      ...(target.namespace !== undefined ? [[`namespace|${target.namespace}`, limits.perNamespace.count, limits.perNamespace.windowMs, `namespace ${target.namespace}`] as [string, number, number, string]] : []),
      ['global', limits.global.count, limits.global.windowMs, 'the whole engine'],
    ];
    // Every limit is searched at once (a step waits for the slowest, not the sum).
    const bookings: Promise<string | undefined>[] = rates.map(async ([key, count, windowMs, what]) =>
      (await this.slot(`rate|${key}`, count, step, windowMs)) ? undefined : `rate limit across replicas: ${count} destructive action(s) on ${what} in the last ${formatDuration(windowMs)} (limit ${count})`);
    if (action.id === QUARANTINE && target.namespace !== undefined) {
      const pod = `pod|${target.namespace}/${target.name}`;
      for (const [group, count, what] of this.blastGroups(request)) {
        bookings.push((async () => ((await this.slot(`blast|${group}`, count, pod, this.quarantineHoldMs)) ? undefined : `blast radius across replicas: ${count} pod(s) of ${what} already quarantined (budget ${count})`))());
      }
    }
    const refusals = (await Promise.all(bookings)).filter((r): r is string => r !== undefined);
    const [first] = refusals;
    return first === undefined ? { allowed: true } : { allowed: false, reason: first };
  }

  /** After a release step took effect: the pod's blast-radius slots are free again. */
  async released(request: GuardRequest): Promise<void> {
    const { action, target } = request;
    if (action.id !== RELEASE || target.namespace === undefined) return;
    await this.podReleased(target.namespace, target.name);
  }

  /** A pod released by any path (a step, the expiry sweeper): its blast-radius slots go. */
  async podReleased(namespace: string, pod: string): Promise<void> {
    await this.claims.releaseHeldBy(`pod|${namespace}/${pod}`);
  }

  private blastGroups(request: GuardRequest): [string, number, string][] {
    const { target, workload } = request;
    const budget = this.policy.blastRadius;
    const namespace = target.namespace ?? '';
    return [
      ...(workload !== undefined ? [[`workload|${namespace}/${workload}`, budget.maxQuarantinedPerWorkload, `${namespace}/${workload}`] as [string, number, string]] : []),
      [`namespace|${namespace}`, budget.maxQuarantinedPerNamespace, `namespace ${namespace}`],
    ];
  }

  /**
   * Takes a free slot of `key` (or the one `holder` already has); false when all are held. The
   * search starts at a slot chosen by the holder, so concurrent steps rarely try the same slots.
   */
  private async slot(key: string, count: number, holder: string, holdMs: number): Promise<boolean> {
    const start = createHash('sha256').update(holder).digest().readUInt32BE(0) % Math.max(count, 1);
    for (let n = 0; n < count; n++) {
      if ((await this.claims.claim(`${key}#${(start + n) % count}`, holder, holdMs)).won) return true;
    }
    return false;
  }
}
