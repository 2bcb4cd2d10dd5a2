import type { ActionDeps } from '../actions/action-context.js';
import { sweepQuarantines } from '../actions/kubernetes/expire-quarantines.js';
import type { SafetyGuard } from '../playbook/safety-guard.js';
import type { ClusterRails } from './cluster-rails.js';

/**
 * How long after booking a blast-radius slot its pod may still lack the quarantine label: a
 * quarantine step under way (its step timeout is a minute by default) must keep its slot.
 */
export const QUARANTINE_BOOKING_GRACE_MS = 5 * 60_000;

/** What one sweep did. */
export interface QuarantineSweepOutcome {
  /** Quarantines released because their expiry passed. */
  readonly released: number;
  /** Pods the local budgets counted that are no longer quarantined (`namespace/name`). */
  readonly forgotten: string[];
  /** Blast-radius slots across replicas freed for pods no longer quarantined. */
  readonly freedSlots: number;
}

/** Where the sweep's records go (the service's ledger, mirrored to the audit topic). */
interface SweepLedger {
  append(type: 'action' | 'decision', data: unknown): unknown;
  flush(): Promise<void>;
}

/**
 * One pass of the quarantine sweeper. It releases the quarantines whose expiry passed, then makes
 * the blast-radius budgets count what the API server shows: a pod deleted or released by hand,
 * outside the engine, no longer counts against the local budgets nor holds its slots across
 * replicas (otherwise a budget of three would refuse every quarantine in that namespace for good
 * after three pods were cleaned up by hand). Undefined without a Kubernetes client.
 *
 * Order matters: the pods the guard counts are read before the list, and a pod is counted only
 * after its quarantine took effect, so every counted pod that is still quarantined is in the list.
 */
export async function sweepQuarantineBudgets(deps: {
  readonly actionDeps: ActionDeps;
  readonly guard: SafetyGuard;
  readonly rails?: ClusterRails;
  readonly ledger: SweepLedger;
}): Promise<QuarantineSweepOutcome | undefined> {
  const { actionDeps, guard, rails, ledger } = deps;
  const counted = guard.quarantinedPods();
  const listedAfter = actionDeps.clock.now();
  const sweep = await sweepQuarantines(actionDeps);
  if (sweep === undefined) return undefined;
  let released = 0;
  for (const r of sweep.expired) {
    if (r.result !== undefined) {
      released++;
      // Released outside a step: the pod no longer counts against the blast-radius budgets.
      guard.forgetQuarantine(r.namespace, r.pod);
      await rails?.podReleased(r.namespace, r.pod);
    }
    ledger.append('action', {
      playbook: 'quarantine-expiry', step: 'release', action: 'kubernetes.release-pod', target: `Pod ${r.namespace}/${r.pod}`,
      outcome: r.result?.outcome ?? 'failed', description: r.result?.summary ?? r.error ?? '', expiredAt: r.expiredAt,
      ...(r.error !== undefined ? { reason: 'server' } : {}),
    });
  }
  const releasedNow = new Set(sweep.expired.filter((r) => r.result !== undefined).map((r) => `${r.namespace}/${r.pod}`));
  const forgotten = [...counted].filter((pod) => !sweep.quarantined.has(pod) && !releasedNow.has(pod)).sort();
  for (const pod of forgotten) {
    const slash = pod.indexOf('/');
    guard.forgetQuarantine(pod.slice(0, slash), pod.slice(slash + 1));
  }
  const freedSlots = (await rails?.reconcileQuarantines(sweep.quarantined, listedAfter - QUARANTINE_BOOKING_GRACE_MS)) ?? 0;
  if (forgotten.length > 0 || freedSlots > 0) {
    ledger.append('decision', {
      event: 'quarantine-budget-reconciled', pods: forgotten, freedSlots,
      description: 'pods no longer quarantined on the API server (deleted, or released outside the engine) stop counting against the blast-radius budgets',
    });
  }
  await ledger.flush();
  return { released, forgotten, freedSlots };
}
