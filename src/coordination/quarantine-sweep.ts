import type { ActionDeps, ActionResult } from '../actions/action-context.js';
import { releaseOutsideRun, sweepQuarantines } from '../actions/kubernetes/expire-quarantines.js';
import { releasePod } from '../actions/kubernetes/release-pod.js';
import { ActionError, describeError } from '../shared/errors.js';
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

/** Lines in an incident's Slack thread (SlackIncidentThreads). */
interface IncidentThreadLines {
  recordAction(incidentId: string, line: string, idempotencyKey?: string): Promise<boolean>;
}

/** Where the sweep's records go (the service's ledger, mirrored to the audit topic). */
interface SweepLedger {
  append(type: 'action' | 'decision', data: unknown): unknown;
  flush(): Promise<void>;
}

/** What the sweeper and a release on request work with: the engine's clients, budgets and records. */
export interface QuarantineBudgetDeps {
  readonly actionDeps: ActionDeps;
  readonly guard: SafetyGuard;
  readonly rails?: ClusterRails;
  readonly ledger: SweepLedger;
  /** The incidents' Slack threads: a release is told where the incident was announced. */
  readonly threads?: IncidentThreadLines;
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
export async function sweepQuarantineBudgets(deps: QuarantineBudgetDeps): Promise<QuarantineSweepOutcome | undefined> {
  const { actionDeps, guard, rails, ledger, threads } = deps;
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
    const outcome = r.result?.outcome ?? 'failed';
    const description = r.result?.summary ?? r.error ?? '';
    ledger.append('action', {
      playbook: 'quarantine-expiry', step: 'release', action: 'kubernetes.release-pod', target: `Pod ${r.namespace}/${r.pod}`,
      outcome, description, expiredAt: r.expiredAt,
      ...(r.incidentId !== undefined ? { incidentId: r.incidentId } : {}),
      ...(r.error !== undefined ? { reason: 'server' } : {}),
    });
    if (threads && r.incidentId !== undefined) {
      await threads.recordAction(r.incidentId, `release at expiry (${r.expiredAt}) on Pod ${r.namespace}/${r.pod}: ${outcome}: ${description}`, `quarantine-expiry/${r.namespace}/${r.pod}/${r.expiredAt}`)
        .catch((error: unknown) => { actionDeps.logger.warn({ err: describeError(error), incidentId: r.incidentId }, 'could not record the expiry in the incident thread'); });
    }
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

/**
 * A release someone asked for outside a playbook (the "Release pod" button in Slack): the same
 * `kubernetes.release-pod` under the engine's identity, the pod freed from the blast-radius budgets
 * at once, an `action` ledger record naming who asked, and a line in the incident's thread. Throws
 * (after recording the failure) when the release did not take effect.
 */
export async function releaseOnRequest(
  deps: QuarantineBudgetDeps,
  request: { readonly namespace: string; readonly pod: string; readonly incidentId: string; readonly by: string; readonly via: string },
): Promise<ActionResult> {
  const { actionDeps, guard, rails, ledger, threads } = deps;
  const at = actionDeps.clock.now();
  const record = {
    playbook: request.via, step: 'release', action: releasePod.id, target: `Pod ${request.namespace}/${request.pod}`,
    incidentId: request.incidentId, requestedBy: request.by,
  };
  let result: ActionResult;
  try {
    result = await releaseOutsideRun(actionDeps, request, {
      via: request.via, idempotencyKey: `${request.via}/${request.namespace}/${request.pod}/${at}`, incidentId: request.incidentId,
    });
  } catch (error) {
    ledger.append('action', { ...record, outcome: 'failed', reason: error instanceof ActionError ? error.reason : 'server', description: describeError(error) });
    await ledger.flush();
    throw error;
  }
  guard.forgetQuarantine(request.namespace, request.pod);
  await rails?.podReleased(request.namespace, request.pod);
  ledger.append('action', { ...record, outcome: result.outcome, description: result.summary });
  await ledger.flush();
  // Action lines are escaped as text (they carry names from traffic): the user is named by id, not mentioned.
  await threads?.recordAction(request.incidentId, `release (${request.via}, asked by Slack user ${request.by}) on Pod ${request.namespace}/${request.pod}: ${result.outcome}: ${result.summary}`)
    .catch((error: unknown) => { actionDeps.logger.warn({ err: describeError(error) }, 'could not record the release in the incident thread'); });
  return result;
}
