/**
 * Real backends for the service benchmarks, started from the test environment's cache with the
 * same start functions the integration tests use (test/env). Every start is bounded in time and
 * every backend is stopped, and its temp dir removed, even when the benchmark fails.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { buildKubeConfig } from '../test/env/kube-config.js';
import { ADMIN_USER } from '../test/env/kube-users.js';
import { ProcessSupervisor, removeDir } from '../test/env/process-supervisor.js';
import { startKafka, type KafkaBackend } from '../test/env/start-kafka.js';
import { startKubernetes, type KubernetesBackend } from '../test/env/start-kubernetes.js';
import { componentDir, testEnvVersions, type TestEnvComponent, type TestEnvVersions } from '../test/env/versions.js';

/** Which backend a benchmark needs. */
export type BenchBackendName = 'kafka' | 'kubernetes';

const NEEDS: Record<BenchBackendName, readonly TestEnvComponent[]> = {
  kafka: ['kafka'],
  kubernetes: ['etcd', 'kubernetes', 'kwok'],
};

/** Cache dirs the backend needs that are not prepared (empty when it can start). */
export function missingFromCache(backend: BenchBackendName): string[] {
  let versions: TestEnvVersions;
  try {
    versions = testEnvVersions();
  } catch (error) {
    return [`test/env/versions.env (${error instanceof Error ? error.message : String(error)})`];
  }
  return NEEDS[backend].map((component) => componentDir(component, versions)).filter((dir) => !existsSync(join(dir, '.complete')));
}

/** Rejects with a clear message when `promise` has not settled within `ms`. */
export async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => { reject(new Error(`${what}: not done within ${ms / 1000} s`)); }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a backend in a fresh temp dir, hands it to `use`, and stops it (process groups, then the
 * dir) whatever `use` does. The supervisor's watchdog also stops it if this process is killed.
 */
export async function withKafka<T>(use: (kafka: KafkaBackend) => Promise<T>): Promise<T> {
  return withSupervisor('kafka', (supervisor, runDir) => startKafka(supervisor, runDir, componentDir('kafka', testEnvVersions())), use);
}

/** A running control plane and an admin (`system:masters`) KubeConfig for it. */
export interface BenchKubernetes {
  readonly backend: KubernetesBackend;
  readonly admin: KubeConfig;
}

export async function withKubernetes<T>(use: (kube: BenchKubernetes) => Promise<T>): Promise<T> {
  return withSupervisor(
    'kubernetes',
    async (supervisor, runDir) => {
      const versions = testEnvVersions();
      const bin = (component: TestEnvComponent, name: string): string => join(componentDir(component, versions), 'bin', name);
      const backend = await startKubernetes(supervisor, runDir, {
        etcd: bin('etcd', 'etcd'),
        kubeApiserver: bin('kubernetes', 'kube-apiserver'),
        kubeControllerManager: bin('kubernetes', 'kube-controller-manager'),
        kubeScheduler: bin('kubernetes', 'kube-scheduler'),
        kwok: bin('kwok', 'kwok'),
      });
      const admin = buildKubeConfig({ server: backend.server, caData: backend.caData, user: ADMIN_USER, token: backend.adminToken });
      return { backend, admin };
    },
    use,
  );
}

async function withSupervisor<B, T>(
  name: BenchBackendName,
  start: (supervisor: ProcessSupervisor, runDir: string) => Promise<B>,
  use: (backend: B) => Promise<T>,
): Promise<T> {
  const runDir = mkdtempSync(join(tmpdir(), `meshwarden-bench-${name}-`));
  const supervisor = new ProcessSupervisor(runDir, { keepRunDir: false });
  try {
    const backend = await within(`starting ${name}`, 240_000, start(supervisor, runDir));
    return await use(backend);
  } finally {
    await supervisor.stopAll();
    removeDir(runDir);
  }
}
