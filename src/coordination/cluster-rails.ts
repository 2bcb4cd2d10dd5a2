import { createHash } from 'node:crypto';
import { formatDuration } from '../shared/duration.js';
import { blastScopes, changesSomething, rateScopes, type GuardRequest, type GuardVerdict, type SafetyPolicy } from '../playbook/safety-guard.js';
import { describeTarget, targetCooldownKey } from '../playbook/target-cooldowns.js';
import type { RunClaims } from './run-claims.js';

const QUARANTINE = 'kubernetes.quarantine-pod';
const RELEASE = 'kubernetes.release-pod';
/** Blast-radius slots are held by the pod they count: `pod|<namespace>/<name>`. */
const POD_HOLDER = 'pod|';

/**
 * The safety rails' counters across replicas. Each replica's SafetyGuard counts only what that
 * replica did, so with N replicas a limit of 10 per namespace would let up to 10 x N through, and
 * two pods of one workload on two replicas' partitions could both be quarantined under a budget of
 * one. These rails count on the API server instead, with the same claims as runs: a limit of
 * `count` is `count` slots, and a step books one free slot per limit before it acts.
 *
 * - Rate limits: slot `rate|<key>#<i>` (the guard's own keys, `rateScopes`), held by the step for
 *   the limit's window.
 * - Blast radius: slot `blast|<key>#<i>` (`blastScopes`), held by the quarantined pod for `quarantineHoldMs`
 *   (or until its release frees it), so re-quarantining the same pod takes no second slot.
 * - Per-target cooldown: claim `cooldown|<action>|<target>` (the guard's `targetCooldownKey`), held
 *   by the step for its playbook's cooldown, so two replicas handling two spoofed names cannot both
 *   rotate the same secret; the same step resumed after a crash holds it already.
 *
 * A step books its slots for every limit at once; when one limit is full, it gives its rate-limit
 * slots back, and blast-radius slots of a pod that is not quarantined are freed by the sweeper
 * (`reconcileQuarantines`): meanwhile the rails err towards acting less, never more.
 */
export class ClusterRails {
  constructor(
    private readonly claims: RunClaims,
    private readonly policy: SafetyPolicy,
    private readonly quarantineHoldMs: number,
  ) {}

  /**
   * Books the step's slots (and, given the playbook's cooldown, its target's cooldown claim);
   * refused when a limit is full across the replicas. Throws when the store cannot answer.
   */
  async book(request: GuardRequest, step: string, cooldownMs?: number): Promise<GuardVerdict> {
    const { action, target } = request;
    if (!changesSomething(action)) return { allowed: true };
    // Every limit is searched at once (a step waits for the slowest, not the sum).
    const bookings: Promise<string | undefined>[] = rateScopes(target, this.policy).map(async ({ key, limit, what }) =>
      (await this.slot(`rate|${key}`, limit.count, step, limit.windowMs)) ? undefined : `rate limit across replicas: ${limit.count} action(s) on ${what} in the last ${formatDuration(limit.windowMs)} (limit ${limit.count})`);
    if (cooldownMs !== undefined && cooldownMs > 0) {
      bookings.push((async () => {
        const claim = await this.claims.claim(`cooldown|${targetCooldownKey(action, target)}`, step, cooldownMs);
        return claim.won ? undefined : `cooldown across replicas: ${describeTarget(target)} was acted on with ${action.id} by ${claim.holder}; the same action may not touch it again before ${new Date(claim.until).toISOString()}`;
      })());
    }
    if (action.id === QUARANTINE && target.namespace !== undefined) {
      const pod = `${POD_HOLDER}${target.namespace}/${target.name}`;
      for (const { key, budget, what } of blastScopes(target.namespace, request.workload, this.policy)) {
        bookings.push((async () => ((await this.slot(`blast|${key}`, budget, pod, this.quarantineHoldMs)) ? undefined : `blast radius across replicas: ${budget} pod(s) ${what} already quarantined (budget ${budget})`))());
      }
    }
    const refusals = (await Promise.all(bookings)).filter((r): r is string => r !== undefined);
    const [first] = refusals;
    if (first === undefined) return { allowed: true };
    // The step does not act: the rate-limit slots it took for the other limits go back at once.
    // (Its pod's blast-radius slots may be an earlier quarantine's; reconcileQuarantines frees them
    // if the pod is not quarantined.) Slots that cannot be given back lapse with their window.
    await this.claims.releaseHeldBy(step).catch(() => 0);
    return { allowed: false, reason: first };
  }

  /** After a release step took effect: the pod's blast-radius slots are free again. */
  async released(request: GuardRequest): Promise<void> {
    const { action, target } = request;
    if (action.id !== RELEASE || target.namespace === undefined) return;
    await this.podReleased(target.namespace, target.name);
  }

  /** A pod released by any path (a step, the expiry sweeper): its blast-radius slots go. */
  async podReleased(namespace: string, pod: string): Promise<void> {
    await this.claims.releaseHeldBy(`${POD_HOLDER}${namespace}/${pod}`);
  }

  /**
   * Frees the blast-radius slots of pods that are no longer quarantined however that happened (a
   * human deleted the pod or released it by hand, a quarantine step failed after booking): without
   * this, such slots would keep the budget spent until they lapse. `quarantined` is every pod
   * (`namespace/name`) carrying the quarantine label, listed after `bookedBefore`: only slots
   * booked before then are judged, so a quarantine still under way on any replica keeps its slots.
   */
  async reconcileQuarantines(quarantined: ReadonlySet<string>, bookedBefore: number): Promise<number> {
    return this.claims.releaseWhere((holder, since) => holder.startsWith(POD_HOLDER) && since < bookedBefore && !quarantined.has(holder.slice(POD_HOLDER.length)));
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
