/**
 * Silences in a ConfigMap on the real API server: what every replica reads, and what racing writers
 * (replicas, the CLI) must never lose. Needs the kubernetes backend.
 */
import { CoreV1Api, RbacAuthorizationV1Api, type V1ConfigMap, type V1Namespace, type V1Role, type V1RoleBinding } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeSilenceStore, SILENCE_CONFIGMAP, SILENCE_DATA_KEY, silenceRbacRules } from '../../../src/silences/kube-silence-store.js';
import { SilenceCache } from '../../../src/silences/silence-cache.js';
import { createSilence } from '../../../src/silences/silence.js';
import { ManualClock, systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { randomName } from '../../env/backends.js';
import { kubeConfigFor, restrictedUserName } from '../../env/kube-backend.js';
import { kubeObject } from '../../env/kube-object.js';
import { waitFor } from '../../env/wait-for.js';

const HOUR = 3_600_000;
let namespace = '';
beforeAll(async () => {
  namespace = randomName('silences');
  await kubeConfigFor('admin').makeApiClient(CoreV1Api).createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name: namespace } }) });
});
afterAll(async () => {
  await kubeConfigFor('admin').makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
});

function silence(id: string, now: number) {
  return createSilence({ matchers: ['detector=egress-spike', `pod=~inference-${id}-.*`], startsAt: now, endsAt: now + 4 * HOUR, createdBy: 'alice', comment: `silence ${id}` }, now, id);
}

describe('KubeSilenceStore on the API server', () => {
  it('keeps every one of eight silences added at once by eight replicas (compare-and-swap on the resourceVersion)', async () => {
    const now = systemClock.now();
    const replicas = Array.from({ length: 8 }, () => new KubeSilenceStore(kubeConfigFor('admin'), namespace, systemClock));
    await Promise.all(replicas.map((r, i) => r.add(silence(`s${i}`, now))));
    const listed = await new KubeSilenceStore(kubeConfigFor('admin'), namespace, systemClock).list();
    expect(listed.map((s) => s.id).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `s${i}`));
    const map = await kubeConfigFor('admin').makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace, name: SILENCE_CONFIGMAP });
    expect(Object.keys(map.data ?? {})).toEqual([SILENCE_DATA_KEY]);
  });

  it('lets another replica\'s cache see an expiry within its period', async () => {
    const clock = new ManualClock(systemClock.now());
    const writer = new KubeSilenceStore(kubeConfigFor('admin'), namespace, clock);
    const cache = new SilenceCache(new KubeSilenceStore(kubeConfigFor('admin'), namespace, clock), { clock, logger: silentLogger(), cacheMs: 10_000 });
    await cache.load();
    const step = {
      detector: 'egress-spike', playbook: 'contain', action: 'kubernetes.quarantine-pod',
      entity: { key: 'pod:ml-prod/inference-s3-abcde', kind: 'pod' as const, namespace: 'ml-prod', name: 'inference-s3-abcde', pod: 'inference-s3-abcde', workload: 'inference' },
    };
    expect(cache.match(step, clock.now())?.id).toBe('s3');
    expect(await writer.expire('s3', clock.now(), 'bob')).toMatchObject({ id: 's3', expiredBy: 'bob' });
    clock.advance(10_000);
    await cache.refresh();
    expect(cache.match(step, clock.now())).toBeUndefined();
  });

  it('refuses a ConfigMap edited by hand into something that is not a silence list, naming it', async () => {
    const name = 'meshwarden-silences-edited';
    await kubeConfigFor('admin').makeApiClient(CoreV1Api).createNamespacedConfigMap({
      namespace, body: kubeObject<V1ConfigMap>({ metadata: { name }, data: { [SILENCE_DATA_KEY]: JSON.stringify({ version: 1, silences: [{ id: 'x', matchers: ['detector=a'], everything: true }] }) } }),
    });
    await expect(new KubeSilenceStore(kubeConfigFor('admin'), namespace, systemClock, name).list()).rejects.toThrow(`ConfigMap ${namespace}/${name}: ${SILENCE_DATA_KEY} is not a silence list`);
  });

  it('needs no permission beyond SILENCE_RBAC_RULES in the engine\'s namespace', async () => {
    const own = randomName('silences-rbac');
    const admin = kubeConfigFor('admin');
    await admin.makeApiClient(CoreV1Api).createNamespace({ body: kubeObject<V1Namespace>({ metadata: { name: own } }) });
    try {
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      await rbac.createNamespacedRole({
        namespace: own,
        body: kubeObject<V1Role>({ metadata: { name: 'silences' }, rules: silenceRbacRules() }),
      });
      await rbac.createNamespacedRoleBinding({
        namespace: own,
        body: kubeObject<V1RoleBinding>({
          metadata: { name: 'silences' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'silences' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: restrictedUserName() }],
        }),
      });
      const restricted = new KubeSilenceStore(kubeConfigFor('restricted'), own, systemClock);
      await waitFor('the silences RoleBinding to take effect', 30_000, async () => {
        try {
          await restricted.list();
          return true;
        } catch {
          return false;
        }
      });
      const now = systemClock.now();
      await restricted.add(silence('r1', now));
      await restricted.add(silence('r2', now));
      expect((await restricted.list()).map((s) => s.id)).toEqual(['r1', 'r2']);
      // Another ConfigMap of the namespace it cannot read.
      await expect(new KubeSilenceStore(kubeConfigFor('restricted'), own, systemClock, 'other').list()).rejects.toThrow(/HTTP 403/);
    } finally {
      await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: own }).catch(() => undefined);
    }
  });
});
