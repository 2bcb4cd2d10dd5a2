import { KubeConfig } from '@kubernetes/client-node';
import type { KubeAccess } from './kube-config-file.js';

/** Builds a client-node `KubeConfig` with one cluster, one token user and one current context. */
export function buildKubeConfig(access: KubeAccess): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'meshwarden-test', server: access.server, caData: access.caData, skipTLSVerify: false }],
    users: [{ name: access.user, token: access.token }],
    contexts: [{ name: access.user, cluster: 'meshwarden-test', user: access.user }],
    currentContext: access.user,
  });
  return kc;
}
