/** What a kubeconfig needs to reach the test API server as one token user. */
export interface KubeAccess {
  readonly server: string;
  /** Base64 PEM bundle that verifies the API server's serving certificate. */
  readonly caData: string;
  readonly user: string;
  readonly token: string;
}

/** A kubeconfig file body (JSON is valid YAML) for kube-controller-manager, kube-scheduler and kwok. */
export function kubeConfigFile(access: KubeAccess): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'meshwarden-test', cluster: { server: access.server, 'certificate-authority-data': access.caData } }],
      users: [{ name: access.user, user: { token: access.token } }],
      contexts: [{ name: access.user, context: { cluster: 'meshwarden-test', user: access.user } }],
      'current-context': access.user,
    },
    null,
    2,
  );
}
