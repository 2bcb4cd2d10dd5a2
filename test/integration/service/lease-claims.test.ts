/**
 * Run claims on the real API server: the atomicity the two-replica guarantee rests on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api, CoreV1Api, RbacAuthorizationV1Api, type V1Namespace, type V1Role, type V1RoleBinding } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_KEY_ANNOTATION, CLAIM_RBAC_RULES, KubeLeaseClaims, leaseName } from '../../../src/coordination/kube-lease-claims.js';
import { systemClock } from '../../../src/shared/clock.js';
import { randomName } from '../../env/backends.js';
import { kubeConfigFor, restrictedUserName } from '../../env/kube-backend.js';
import { waitFor } from '../../env/wait-for.js';
import { kubeObject } from '../../env/kube-object.js';

let namespace = '';
beforeAll(async () => {
  namespace = randomName('claims');
  await kubeConfigFor('admin').makeApiClient(CoreV1Api).createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name: namespace } }) });
});
afterAll(async () => {
  await kubeConfigFor('admin').makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('KubeLeaseClaims on the API server', () => {
  it('gives a contended key to exactly one of eight replicas racing for it; every other one is told who holds it', async () => {
    // Separate clients, as separate replicas would have.
    const replicas = Array.from({ length: 8 }, () => new KubeLeaseClaims(kubeConfigFor('admin'), namespace, systemClock));
    const key = 'model-rollback|model:ml-prod/fraud@v7';
    const results = await Promise.all(replicas.map((r, i) => r.claim(key, `model-rollback|incident-${i}`, 60_000)));
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    const holder = winners[0]?.holder;
    expect(results.map((r) => r.holder)).toEqual(results.map(() => holder));

    const lease = await kubeConfigFor('admin').makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace, name: leaseName(key) });
    expect(lease.spec?.holderIdentity).toBe(holder);
    expect(lease.spec?.leaseDurationSeconds).toBe(60);
    expect(lease.metadata?.annotations?.[CLAIM_KEY_ANNOTATION]).toBe(key);
    // The holder itself (its run replayed elsewhere) still wins.
    expect((await replicas[7]?.claim(key, holder ?? '', 60_000))?.won).toBe(true);
  });

  it('lets a lapsed claim be taken over once, by one of the racers, and sweeps claims that lapsed', async () => {
    const replicas = Array.from({ length: 4 }, () => new KubeLeaseClaims(kubeConfigFor('admin'), namespace, systemClock));
    const key = 'contain|pod:ml-prod/inference-abc12-xyz89';
    expect((await replicas[0]?.claim(key, 'contain|first', 1_000))?.won).toBe(true);
    expect((await replicas[1]?.claim(key, 'contain|second', 1_000))?.won).toBe(false);
    await sleep(2_100);
    const takeovers = await Promise.all(replicas.map((r, i) => r.claim(key, `contain|late-${i}`, 1_000)));
    expect(takeovers.filter((r) => r.won)).toHaveLength(1);
    const lease = await kubeConfigFor('admin').makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace, name: leaseName(key) });
    expect(lease.spec?.leaseTransitions).toBe(1);

    // A live claim survives the sweep; the lapsed one goes.
    await replicas[0]?.claim('contain|pod:ml-prod/other', 'contain|other', 600_000);
    await sleep(2_100);
    expect(await replicas[0]?.sweep()).toBeGreaterThanOrEqual(1);
    const left = await kubeConfigFor('admin').makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace });
    expect(left.items.map((l) => l.metadata?.annotations?.[CLAIM_KEY_ANNOTATION])).toContain('contain|pod:ml-prod/other');
    expect(left.items.map((l) => l.metadata?.annotations?.[CLAIM_KEY_ANNOTATION])).not.toContain(key);
  });

  it('releases every claim one holder holds, and no other', async () => {
    const claims = new KubeLeaseClaims(kubeConfigFor('admin'), namespace, systemClock);
    await claims.claim('blast|workload|ml-prod/inference#0', 'pod|ml-prod/a', 600_000);
    await claims.claim('blast|namespace|ml-prod#1', 'pod|ml-prod/a', 600_000);
    await claims.claim('blast|namespace|ml-prod#2', 'pod|ml-prod/b', 600_000);
    expect(await claims.releaseHeldBy('pod|ml-prod/a')).toBe(2);
    expect((await claims.claim('blast|workload|ml-prod/inference#0', 'pod|ml-prod/c', 600_000)).won).toBe(true);
    expect((await claims.claim('blast|namespace|ml-prod#2', 'pod|ml-prod/c', 600_000)).won).toBe(false);
  });

  it('needs no permission beyond CLAIM_RBAC_RULES in the engine\'s namespace', async () => {
    const rbac = kubeConfigFor('admin').makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: kubeObject<V1Role>({ metadata: { name: 'claims' }, rules: CLAIM_RBAC_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })) }),
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: kubeObject<V1RoleBinding>({
        metadata: { name: 'claims' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'claims' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: restrictedUserName() }],
      }),
    });
    const restricted = new KubeLeaseClaims(kubeConfigFor('restricted'), namespace, systemClock);
    // The binding reaches the authorizer's cache shortly after it is created.
    await waitFor('the claims RoleBinding to take effect', 30_000, async () => {
      try {
        return (await restricted.claim('rbac|probe', 'rbac|probe', 1_000)).won;
      } catch {
        return false;
      }
    });
    expect((await restricted.claim('rbac|pod:a/b', 'rbac|one', 1_000)).won).toBe(true);
    expect((await restricted.claim('rbac|pod:a/b', 'rbac|two', 1_000)).won).toBe(false);
    await sleep(2_100);
    expect((await restricted.claim('rbac|pod:a/b', 'rbac|two', 1_000)).won).toBe(true);
    expect(await restricted.sweep()).toBeGreaterThanOrEqual(0);
    // Elsewhere it has no rights at all.
    await expect(new KubeLeaseClaims(kubeConfigFor('restricted'), 'default', systemClock).claim('rbac|x', 'rbac|x', 1_000)).rejects.toThrow(/HTTP 403/);
  });

  it('throws, naming the Lease and the API server\'s reason, when the claim cannot be written', async () => {
    const claims = new KubeLeaseClaims(kubeConfigFor('admin'), randomName('no-such-namespace'), systemClock);
    await expect(claims.claim('contain|pod:x/y', 'contain|z', 60_000)).rejects.toThrow(/^Lease no-such-namespace-[0-9a-f]+\/meshwarden-claim-[0-9a-f]{32}: could not create the claim: HTTP 404 namespaces "no-such-namespace-[0-9a-f]+" not found$/);
  });
});
