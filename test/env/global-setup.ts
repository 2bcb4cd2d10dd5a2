import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { TestEnvEndpoints } from './endpoints.js';
import { ProcessSupervisor, removeDir } from './process-supervisor.js';
import { startKafka } from './start-kafka.js';
import { startKubernetes } from './start-kubernetes.js';
import { startOpenBao } from './start-openbao.js';
import { componentDir, testEnvVersions, type TestEnvComponent } from './versions.js';

/** Backends a run can start; `MESHWARDEN_TESTENV_BACKENDS` (comma list, or `none`) narrows the set. */
export type BackendName = 'kafka' | 'kubernetes' | 'vault';
const ALL_BACKENDS: readonly BackendName[] = ['kafka', 'kubernetes', 'vault'];

const NEEDS: Record<BackendName, readonly TestEnvComponent[]> = {
  kafka: ['kafka'],
  kubernetes: ['etcd', 'kubernetes', 'kwok'],
  vault: ['openbao'],
};

/**
 * Vitest globalSetup of the `integration` project: starts the real backends
 * on free loopback ports in a fresh temp dir, provides their endpoints as
 * `meshwardenTestEnv`, and returns the teardown that stops them and removes
 * the dir. If setup itself fails, whatever already started is stopped first.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const selected = selectedBackends(process.env['MESHWARDEN_TESTENV_BACKENDS']);
  const versions = testEnvVersions();
  const missing = selected
    .flatMap((backend) => NEEDS[backend])
    .map((component) => componentDir(component, versions))
    .filter((dir) => !existsSync(join(dir, '.complete')));
  if (missing.length > 0) {
    throw new Error(
      `Test backends are not prepared (missing ${missing.join(', ')}).\n` +
        'Run test/env/prepare.sh (npm test runs it as pretest), or narrow the run with ' +
        'MESHWARDEN_TESTENV_BACKENDS=kafka,vault.',
    );
  }

  const keep = process.env['MESHWARDEN_TESTENV_KEEP'] === '1';
  const runDir = mkdtempSync(join(tmpdir(), 'meshwarden-testenv-'));
  const supervisor = new ProcessSupervisor(runDir, { keepRunDir: keep });
  const teardown = async (): Promise<void> => {
    await supervisor.stopAll();
    if (keep) console.info(`testenv: kept ${runDir} (MESHWARDEN_TESTENV_KEEP=1)`);
    else removeDir(runDir);
  };

  const started = Date.now();
  try {
    const bin = (component: TestEnvComponent, name: string): string => join(componentDir(component, versions), 'bin', name);
    const [kafka, kubernetes, vault] = await Promise.all([
      selected.includes('kafka') ? startKafka(supervisor, runDir, componentDir('kafka', versions)) : undefined,
      selected.includes('kubernetes')
        ? startKubernetes(supervisor, runDir, {
            etcd: bin('etcd', 'etcd'),
            kubeApiserver: bin('kubernetes', 'kube-apiserver'),
            kubeControllerManager: bin('kubernetes', 'kube-controller-manager'),
            kubeScheduler: bin('kubernetes', 'kube-scheduler'),
            kwok: bin('kwok', 'kwok'),
          })
        : undefined,
      selected.includes('vault') ? startOpenBao(supervisor, runDir, bin('openbao', 'bao')) : undefined,
    ]);
    const endpoints: TestEnvEndpoints = {
      runDir,
      ...(kafka === undefined ? {} : { kafka }),
      ...(kubernetes === undefined ? {} : { kubernetes }),
      ...(vault === undefined ? {} : { vault }),
      binaries: { helm: bin('helm', 'helm'), envoy: bin('envoy', 'envoy'), alertmanager: bin('alertmanager', 'alertmanager') },
      versions: { kubernetes: versions.K8S_VERSION, helm: versions.HELM_VERSION, envoy: versions.ENVOY_VERSION, alertmanager: versions.ALERTMANAGER_VERSION },
    };
    project.provide('meshwardenTestEnv', endpoints);
    console.info(`testenv: ${selected.length === 0 ? 'no backends' : selected.join(', ')} ready in ${Date.now() - started} ms (logs in ${runDir})`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

function selectedBackends(raw: string | undefined): BackendName[] {
  if (raw === undefined || raw.trim() === '') return [...ALL_BACKENDS];
  // helm, Envoy and Alertmanager need no server started here, so their tests can run with nothing started.
  if (raw.trim() === 'none') return [];
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !ALL_BACKENDS.some((backend) => backend === name));
  if (unknown.length > 0) {
    throw new Error(`MESHWARDEN_TESTENV_BACKENDS: unknown ${unknown.join(', ')} (known: ${ALL_BACKENDS.join(', ')})`);
  }
  return ALL_BACKENDS.filter((backend) => names.includes(backend));
}
