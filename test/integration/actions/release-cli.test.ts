/**
 * `meshwarden release <namespace>/<pod>`: a person releases a quarantine with their own
 * credentials, through the real CLI process, on the test API server.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { QUARANTINE_LABEL } from '../../../src/actions/kubernetes/quarantine-pod.js';
import { kubeConfigFor } from '../../env/kube-backend.js';
import { runProcess, type ProcessOutcome } from '../../env/run-process.js';
import { actionContext, actionsById, newIdempotencyKey, run } from './action-harness.js';
import { admin, deleteNamespaces, newNamespace, restrictedTo, runningDeployment } from './kube-harness.js';

afterAll(async () => {
  await deleteNamespaces();
});

/** Runs the CLI as a child process. */
function meshwarden(args: string[]): Promise<ProcessOutcome> {
  return runProcess(process.execPath, ['bin/meshwarden.js', ...args]);
}

/** A kubeconfig file for `kube` (it holds a token: mode 0600 in a private temp dir). */
function kubeconfigFile(kube: KubeConfig): string {
  const file = join(mkdtempSync(join(tmpdir(), 'meshwarden-kubeconfig-')), 'config');
  writeFileSync(file, kube.exportConfig(), { mode: 0o600 });
  return file;
}

describe('meshwarden release', () => {
  it('releases a quarantined pod with the operator\'s own credentials, says so, and is a no-op the second time', async () => {
    const { namespace, pods: [pod = ''] } = await runningDeployment('release', 'model', 2);
    const actions = actionsById('kubernetes.quarantine-pod', 'kubernetes.release-pod');
    // The operator: the restricted user, granted exactly what the two actions declare.
    const operator = await restrictedTo(namespace, actions);
    // Not detached: the pod stays in its ReplicaSet, which therefore deletes no surplus pod (maybe this one) after the release.
    await run('kubernetes.quarantine-pod', { namespace, pod, detach: false }, actionContext({ kube: operator }, { idempotencyKey: newIdempotencyKey() }));
    const config = kubeconfigFile(operator);

    // The dry run asks the API server (with the operator's credentials) and changes nothing.
    const dry = await meshwarden(['release', `${namespace}/${pod}`, '--kubeconfig', config, '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(
      `^pod ${namespace}/${pod} is quarantined since \\d{4}-\\d{2}-\\d{2}T[^ ]+ \\(NetworkPolicy meshwarden-quarantine-${pod}\\)\n` +
      `dry-run: would restore the original labels of pod ${namespace}/${pod}, remove ${QUARANTINE_LABEL.replace('.', '\\.')} and its deny-all NetworkPolicy\n$`,
    ));
    expect((await admin().core.readNamespacedPod({ namespace, name: pod })).metadata?.labels?.[QUARANTINE_LABEL]).toBe('true');

    const released = await meshwarden(['release', `${namespace}/${pod}`, '--kubeconfig', config]);
    expect(released.stderr).toBe('');
    expect(released.code).toBe(0);
    expect(released.stdout).toMatch(new RegExp(`^released pod ${namespace}/${pod}: original labels restored and NetworkPolicy \\S+ removed`));
    const after = await admin().core.listNamespacedPod({ namespace, labelSelector: `${QUARANTINE_LABEL}=true` });
    expect(after.items).toEqual([]);
    expect((await admin().networking.listNamespacedNetworkPolicy({ namespace })).items).toEqual([]);

    const again = await meshwarden(['release', `${namespace}/${pod}`, '--kubeconfig', config]);
    expect(again).toMatchObject({ code: 0, stdout: `nothing to do: pod ${namespace}/${pod} is not quarantined\n` });
    expect(await meshwarden(['release', `${namespace}/${pod}`, '--kubeconfig', config, '--dry-run'])).toMatchObject({ code: 0, stdout: `dry-run: nothing to do: pod ${namespace}/${pod} is not quarantined\n` });
    expect(await meshwarden(['release', `${namespace}/no-such-pod`, '--kubeconfig', config, '--dry-run'])).toMatchObject({ code: 2, stdout: '', stderr: `error: pod ${namespace}/no-such-pod does not exist\n` });
  }, 180_000);

  it('refuses a malformed pod name, and names the API server\'s refusal without leaking the credential', async () => {
    const bad = await meshwarden(['release', 'not-a-pod-reference']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: expected <namespace>/<pod>, got "not-a-pod-reference": no namespace');

    // The restricted user has no rights in this namespace.
    const namespace = await newNamespace('release-denied');
    const restricted = kubeConfigFor('restricted');
    const denied = await meshwarden(['release', `${namespace}/model-0`, '--kubeconfig', kubeconfigFile(restricted)]);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/^error: .*forbidden/i);
    const token = restricted.getCurrentUser()?.token ?? '';
    expect(token.length).toBeGreaterThan(10);
    expect(denied.stderr).not.toContain(token);
    expect(denied.stdout).not.toContain(token);
  }, 120_000);
});
