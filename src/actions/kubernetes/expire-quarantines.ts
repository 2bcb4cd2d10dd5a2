import { CoreV1Api } from '@kubernetes/client-node';
import { incidentOfStepKey, type ActionDeps, type ActionResult } from '../action-context.js';
import type { Anomaly } from '../../detect/anomaly.js';
import { describeError } from '../../shared/errors.js';
import { QUARANTINE_ANNOTATIONS, QUARANTINE_LABEL } from './quarantine-plan.js';
import { releasePod } from './release-pod.js';

/** One quarantine that reached its expiry, and what releasing it did. */
export interface ExpiredQuarantine {
  readonly namespace: string;
  readonly pod: string;
  readonly expiredAt: string;
  /** The incident whose playbook step quarantined the pod (from its idempotency key), when known. */
  readonly incidentId?: string;
  readonly result?: ActionResult;
  readonly error?: string;
}

/** What a sweep found: the quarantines it released, and every pod still quarantined after it. */
export interface QuarantineSweep {
  readonly expired: ExpiredQuarantine[];
  /** `namespace/name` of each pod carrying the quarantine label once the sweep is done. */
  readonly quarantined: Set<string>;
}

/**
 * Releases every quarantined pod whose `meshwarden.io/quarantine-expires-at` has passed, with the
 * same `kubernetes.release-pod` a human would run. Listing needs `list pods` (declared by
 * `kubernetes.quarantine-pod`); in the namespaces given, or cluster-wide when none are.
 */
export async function expireQuarantines(deps: ActionDeps, namespaces?: readonly string[]): Promise<ExpiredQuarantine[]> {
  return (await sweepQuarantines(deps, namespaces))?.expired ?? [];
}

/**
 * `expireQuarantines`, also saying which pods are quarantined now: what the blast-radius budgets
 * should count. Undefined without a Kubernetes client (nothing was listed, so nothing is known).
 */
export async function sweepQuarantines(deps: ActionDeps, namespaces?: readonly string[]): Promise<QuarantineSweep | undefined> {
  const kube = deps.kube;
  if (!kube) return undefined;
  const core = kube.makeApiClient(CoreV1Api);
  const labelSelector = `${QUARANTINE_LABEL}=true`;
  const lists = namespaces === undefined
    ? [await core.listPodForAllNamespaces({ labelSelector })]
    : await Promise.all(namespaces.map((namespace) => core.listNamespacedPod({ namespace, labelSelector })));
  const now = deps.clock.now();
  const expired: ExpiredQuarantine[] = [];
  const quarantined = new Set<string>();
  for (const pod of lists.flatMap((l) => l.items)) {
    const at = pod.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.expiresAt];
    const namespace = pod.metadata?.namespace;
    const name = pod.metadata?.name;
    if (namespace === undefined || name === undefined) continue;
    if (at === undefined || !(Date.parse(at) <= now)) {
      quarantined.add(`${namespace}/${name}`);
      continue;
    }
    const key = pod.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.idempotencyKey];
    const incidentId = key === undefined ? undefined : incidentOfStepKey(key);
    const incident = incidentId !== undefined ? { incidentId } : {};
    try {
      const result = await releaseOutsideRun(deps, { namespace, pod: name }, { via: 'quarantine-expiry', idempotencyKey: `quarantine-expiry/${pod.metadata?.uid ?? name}/${at}` });
      expired.push({ namespace, pod: name, expiredAt: at, ...incident, result });
    } catch (error) {
      // Not released: it still counts.
      quarantined.add(`${namespace}/${name}`);
      expired.push({ namespace, pod: name, expiredAt: at, ...incident, error: describeError(error) });
    }
  }
  return { expired, quarantined };
}

/**
 * Runs `kubernetes.release-pod` outside a playbook run: the expiry sweeper, an operator's
 * `meshwarden release`, a Slack "Release pod" click. No anomaly caused it, so the context's anomaly
 * and playbook say which of them (`via`) did.
 */
export async function releaseOutsideRun(
  deps: ActionDeps,
  pod: { readonly namespace: string; readonly pod: string },
  origin: { readonly via: string; readonly idempotencyKey: string; readonly incidentId?: string },
): Promise<ActionResult> {
  const release = releasePod.execute?.bind(releasePod);
  if (release === undefined) throw new Error('kubernetes.release-pod has no live implementation');
  const { via } = origin;
  const cause: Anomaly = {
    id: via, detector: via, severity: 'info', score: 0, windowStart: 0, windowEnd: 0, evidence: [],
    entity: { key: via, kind: 'pod', name: via },
  };
  return release({ namespace: pod.namespace, pod: pod.pod }, {
    deps, idempotencyKey: origin.idempotencyKey, playbook: via, incidentId: origin.incidentId ?? '-', anomaly: cause, signal: new AbortController().signal,
  });
}
