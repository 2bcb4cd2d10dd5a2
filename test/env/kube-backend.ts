import type { KubeConfig } from '@kubernetes/client-node';
import { notStarted, testEnv } from './backends.js';
import { buildKubeConfig } from './kube-config.js';
import { ADMIN_USER, RESTRICTED_USER } from './kube-users.js';

/** Which static-token user a `KubeConfig` authenticates as. */
export type KubeIdentity = 'admin' | 'restricted';

/**
 * A `KubeConfig` for the test API server. `admin` (user `meshwarden-admin`)
 * is in `system:masters`; `restricted` (user `meshwarden-restricted`) can do
 * nothing until a test binds it a Role or ClusterRole.
 */
export function kubeConfigFor(identity: KubeIdentity): KubeConfig {
  const kube = testEnv().kubernetes;
  if (kube === undefined) throw notStarted('kubernetes');
  return buildKubeConfig({
    server: kube.server,
    caData: kube.caData,
    user: identity === 'admin' ? ADMIN_USER : RESTRICTED_USER,
    token: identity === 'admin' ? kube.adminToken : kube.restrictedToken,
  });
}

/** The user name an RBAC subject must name to grant the restricted identity rights. */
export function restrictedUserName(): string {
  return RESTRICTED_USER;
}

/** Name of the kwok fake node that scheduled pods land on. */
export function fakeNodeName(): string {
  const kube = testEnv().kubernetes;
  if (kube === undefined) throw notStarted('kubernetes');
  return kube.nodeName;
}
