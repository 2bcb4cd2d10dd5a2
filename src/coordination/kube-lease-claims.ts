import { createHash } from 'node:crypto';
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1DeleteOptions, type V1Lease } from '@kubernetes/client-node';
import { kubeObject } from '../actions/kubernetes/kube-object.js';
import { kubeActionError, kubeStatusOf } from '../actions/kubernetes/kube-errors.js';
import type { Clock } from '../shared/clock.js';
import type { ClaimResult, RunClaims } from './run-claims.js';

/** Labels every claim Lease carries, so the sweeper lists only those. */
export const CLAIM_LABELS = { 'app.kubernetes.io/managed-by': 'meshwarden', 'meshwarden.io/claim': 'run' } as const;
/** The readable claim key (Lease names are hashes). */
export const CLAIM_KEY_ANNOTATION = 'meshwarden.io/claim-key';

/**
 * The permissions claims need, in the engine's own namespace only. The chart's `-claims` Role is
 * checked against this (test/unit/helm/rbac-drift.test.ts).
 */
export const CLAIM_RBAC_RULES = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'create', 'update', 'delete'] }] as const;

/** Compare-and-swap attempts before giving up on a claim that keeps changing under us. */
const ATTEMPTS = 5;

/**
 * Run claims as `coordination.k8s.io/v1` Leases in the engine's namespace, one per key. The API
 * server (etcd underneath) makes each decision atomic: `create` succeeds for exactly one of the
 * replicas racing for a free key (the others get 409), and taking over a lapsed claim is a
 * `replace` carrying the resourceVersion that was read, which fails with 409 if anyone else wrote
 * in between. A claim lapses at renewTime + leaseDurationSeconds.
 *
 * Permissions: CLAIM_RBAC_RULES, in the engine's namespace.
 */
export class KubeLeaseClaims implements RunClaims {
  private readonly api: CoordinationV1Api;

  constructor(kube: KubeConfig, private readonly namespace: string, private readonly clock: Clock) {
    this.api = kube.makeApiClient(CoordinationV1Api);
  }

  async claim(key: string, holder: string, holdMs: number): Promise<ClaimResult> {
    const name = leaseName(key);
    const where = `Lease ${this.namespace}/${name}`;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const now = this.clock.now();
      const seconds = Math.max(1, Math.ceil(holdMs / 1000));
      const spec = {
        holderIdentity: holder, leaseDurationSeconds: seconds,
        acquireTime: new V1MicroTime(now), renewTime: new V1MicroTime(now),
      };
      try {
        await this.api.createNamespacedLease({
          namespace: this.namespace,
          body: kubeObject<V1Lease>({ metadata: { name, labels: { ...CLAIM_LABELS }, annotations: { [CLAIM_KEY_ANNOTATION]: key } }, spec }),
        });
        return { won: true, holder, until: now + seconds * 1000, where };
      } catch (error) {
        if (kubeStatusOf(error) !== 409) throw claimError(where, 'create', error);
      }
      // Someone holds or held it: ours, still theirs, or lapsed and free to take.
      let lease: V1Lease;
      try {
        lease = await this.api.readNamespacedLease({ name, namespace: this.namespace });
      } catch (error) {
        if (kubeStatusOf(error) === 404) continue; // swept in between: try to create again
        throw claimError(where, 'read', error);
      }
      const current = lease.spec?.holderIdentity ?? '';
      const until = lapsesAt(lease);
      if (until > now) return { won: current === holder, holder: current, until, where };
      const resourceVersion = lease.metadata?.resourceVersion;
      if (resourceVersion === undefined) throw new Error(`${where}: the API server returned the claim without a resourceVersion`);
      try {
        await this.api.replaceNamespacedLease({
          name, namespace: this.namespace,
          body: kubeObject<V1Lease>({
            metadata: { name, resourceVersion, labels: { ...CLAIM_LABELS }, annotations: { [CLAIM_KEY_ANNOTATION]: key } },
            spec: { ...spec, leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 },
          }),
        });
        return { won: true, holder, until: now + seconds * 1000, where };
      } catch (error) {
        const status = kubeStatusOf(error);
        if (status !== 409 && status !== 404) throw claimError(where, 'take over', error);
      }
    }
    throw new Error(`${where}: the claim changed under every one of ${ATTEMPTS} attempts; not acting without an answer`);
  }

  async releaseHeldBy(holder: string): Promise<number> {
    return this.deleteWhere((lease) => lease.spec?.holderIdentity === holder);
  }

  async releaseWhere(which: (holder: string, since: number) => boolean): Promise<number> {
    return this.deleteWhere((lease) => which(lease.spec?.holderIdentity ?? '', takenAt(lease)));
  }

  async sweep(): Promise<number> {
    const now = this.clock.now();
    return this.deleteWhere((lease) => lapsesAt(lease) <= now);
  }

  /** Deletes the claims `which` picks, each preconditioned on the version read (a claim renewed or taken over in between stays). */
  private async deleteWhere(which: (lease: V1Lease) => boolean): Promise<number> {
    const selector = Object.entries(CLAIM_LABELS).map(([k, v]) => `${k}=${v}`).join(',');
    const list = await this.api.listNamespacedLease({ namespace: this.namespace, labelSelector: selector });
    let removed = 0;
    for (const lease of list.items) {
      const name = lease.metadata?.name;
      const resourceVersion = lease.metadata?.resourceVersion;
      if (name === undefined || resourceVersion === undefined || !which(lease)) continue;
      try {
        await this.api.deleteNamespacedLease({ name, namespace: this.namespace, body: kubeObject<V1DeleteOptions>({ preconditions: { resourceVersion } }) });
        removed++;
      } catch (error) {
        const status = kubeStatusOf(error);
        if (status !== 404 && status !== 409) throw claimError(`Lease ${this.namespace}/${name}`, 'delete', error);
      }
    }
    return removed;
  }
}
/** A valid Lease name for any key: `meshwarden-claim-` and 32 hex digits of its SHA-256. */
export function leaseName(key: string): string {
  return `meshwarden-claim-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/** When the current holder took the claim (a take-over sets acquireTime anew). */
function takenAt(lease: V1Lease): number {
  const taken = lease.spec?.acquireTime ?? lease.spec?.renewTime;
  return taken === undefined ? 0 : new Date(taken).getTime();
}

function lapsesAt(lease: V1Lease): number {
  const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  if (renewed === undefined) return 0;
  return new Date(renewed).getTime() + (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
}

/** The API server's own reason (its Status message), never the raw response. */
function claimError(where: string, what: string, error: unknown): Error {
  return kubeActionError(`${where}: could not ${what} the claim`, error);
}
