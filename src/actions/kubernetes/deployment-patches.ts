import type { V1Deployment } from '@kubernetes/client-node';

/** Annotations the Deployment actions record on what they change, each under its own key. */
export const DEPLOYMENT_ANNOTATIONS = {
  scaleKey: 'meshwarden.io/scale-idempotency-key',
  /** The replica count before the scale: what its undo restores. */
  scalePreviousReplicas: 'meshwarden.io/scale-previous-replicas',
  restartKey: 'meshwarden.io/restart-idempotency-key',
  rollbackKey: 'meshwarden.io/rollback-idempotency-key',
  /** The revision a rollback left: what its undo rolls back to. */
  rolledBackFrom: 'meshwarden.io/rolled-back-from-revision',
} as const;

/** The pod-template annotation `kubectl rollout restart` sets; changing it starts a rollout. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** A merge patch of a Deployment. */
export interface DeploymentMergePatch {
  readonly metadata: {
    readonly resourceVersion?: string;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly replicas?: number;
    readonly template?: { readonly metadata: { readonly annotations: Readonly<Record<string, string>> } };
  };
}

/**
 * Sets the replica count and records, in the same write, the count it replaces and the step's
 * idempotency key. The resourceVersion makes the read-modify-write safe: 409 if anything changed.
 */
export function scalePatch(deployment: V1Deployment, replicas: number, idempotencyKey: string): DeploymentMergePatch {
  return {
    metadata: {
      resourceVersion: deployment.metadata?.resourceVersion ?? '',
      annotations: {
        [DEPLOYMENT_ANNOTATIONS.scaleKey]: idempotencyKey,
        [DEPLOYMENT_ANNOTATIONS.scalePreviousReplicas]: String(currentReplicas(deployment)),
      },
    },
    spec: { replicas },
  };
}

/**
 * What `kubectl rollout restart` sends (an RFC 3339 `restartedAt` on the pod template), plus the
 * step's idempotency key on the Deployment.
 */
export function restartPatch(now: number, idempotencyKey: string): DeploymentMergePatch {
  return {
    metadata: { annotations: { [DEPLOYMENT_ANNOTATIONS.restartKey]: idempotencyKey } },
    spec: { template: { metadata: { annotations: { [RESTARTED_AT]: rfc3339Seconds(now) } } } },
  };
}

/** A Deployment's desired replicas; the API defaults an unset count to 1. */
export function currentReplicas(deployment: V1Deployment): number {
  return deployment.spec?.replicas ?? 1;
}

/** `2026-11-03T09:05:00Z`: RFC 3339 at second precision, as kubectl writes it. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
