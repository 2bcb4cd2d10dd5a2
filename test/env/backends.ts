import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { TestEnvEndpoints } from './endpoints.js';
// Kubernetes accessors live in kube-backend.ts: they load @kubernetes/client-node,
// which tests of the other backends should not have to load.
import { runThroughEnvoy, type EnvoyOptions, type EnvoyRequest, type EnvoyRun } from './envoy-proxy.js';

/** The endpoints the integration global setup provided for this run. */
export function testEnv(): TestEnvEndpoints {
  return inject('meshwardenTestEnv');
}

/** The error accessors throw when a backend was not started in this run. */
export function notStarted(backend: string): Error {
  return new Error(
    `The ${backend} test backend was not started in this run ` +
      '(MESHWARDEN_TESTENV_BACKENDS excludes it, or this file is not in the integration project).',
  );
}

/** `host:port` list of the single-node Kafka's PLAINTEXT listener. */
export function kafkaBrokers(): string[] {
  const kafka = testEnv().kafka;
  if (kafka === undefined) throw notStarted('kafka');
  return [...kafka.brokers];
}

/** Base URL (`http://127.0.0.1:<port>`) of the OpenBao dev server; KV v2 is mounted at `secret/`. */
export function vaultEndpoint(): string {
  const vault = testEnv().vault;
  if (vault === undefined) throw notStarted('vault');
  return vault.endpoint;
}

/** Root token of the OpenBao dev server. */
export function vaultRootToken(): string {
  const vault = testEnv().vault;
  if (vault === undefined) throw notStarted('vault');
  return vault.rootToken;
}

/** Absolute path of the cached helm binary. */
export function helmBinary(): string {
  return testEnv().binaries.helm;
}

/** Absolute path of the cached Alertmanager binary (start one with `startAlertmanager`). */
export function alertmanagerBinary(): string {
  return testEnv().binaries.alertmanager;
}

/** Pinned versions, e.g. to assert what `helm version` or `/version` report. */
export function pinnedVersions(): TestEnvEndpoints['versions'] {
  return testEnv().versions;
}

/**
 * A name unique to this call, safe as a Kafka topic or group, a Kubernetes
 * namespace (lowercase, starts with a letter, at most 63 chars) or a Vault
 * path segment: `<prefix>-<12 hex chars>`.
 */
export function randomName(prefix: string): string {
  if (!/^[a-z]([a-z0-9-]{0,48}[a-z0-9])?$/.test(prefix)) {
    throw new Error(`randomName: prefix "${prefix}" must be lowercase alphanumerics and '-', 1-50 chars, starting with a letter`);
  }
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/**
 * Sends `requests` through a real Envoy configured with Istio's default TEXT
 * access-log format and returns the genuine access-log lines it wrote.
 */
export function withEnvoy(requests: readonly EnvoyRequest[], options: EnvoyOptions = {}): Promise<EnvoyRun> {
  return runThroughEnvoy(testEnv().binaries.envoy, requests, options);
}

export type { EnvoyOptions, EnvoyRequest, EnvoyRun } from './envoy-proxy.js';
