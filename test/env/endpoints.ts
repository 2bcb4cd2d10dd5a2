/**
 * What the integration global setup hands to test files through vitest's
 * `provide`/`inject`. Values cross a worker boundary, so plain data only.
 */
export interface TestEnvEndpoints {
  /** Directory holding this run's data and backend logs. */
  readonly runDir: string;
  readonly kafka?: { readonly brokers: readonly string[] };
  readonly kubernetes?: {
    readonly server: string;
    /** Base64 PEM bundle that verifies the API server's serving certificate. */
    readonly caData: string;
    /** Static token of `meshwarden-admin` (group `system:masters`). */
    readonly adminToken: string;
    /** Static token of `meshwarden-restricted`: no groups, no RBAC until a test grants some. */
    readonly restrictedToken: string;
    /** Name of the kwok-managed fake node pods are scheduled on. */
    readonly nodeName: string;
  };
  readonly vault?: { readonly endpoint: string; readonly rootToken: string };
  /** Absolute paths of the cached CLI binaries (whether or not they exist yet). */
  readonly binaries: { readonly helm: string; readonly envoy: string; readonly alertmanager: string };
  readonly versions: { readonly kubernetes: string; readonly helm: string; readonly envoy: string; readonly alertmanager: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    meshwardenTestEnv: TestEnvEndpoints;
  }
}
