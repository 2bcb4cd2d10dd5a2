import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Pinned backend versions, read from `versions.env` (shared with the bash scripts). */
export interface TestEnvVersions {
  readonly K8S_VERSION: string;
  readonly ETCD_VERSION: string;
  readonly KWOK_VERSION: string;
  readonly HELM_VERSION: string;
  readonly KAFKA_VERSION: string;
  readonly OPENBAO_VERSION: string;
  readonly ENVOY_VERSION: string;
  readonly OPA_VERSION: string;
  readonly ALERTMANAGER_VERSION: string;
}

const REQUIRED_KEYS = [
  'K8S_VERSION',
  'ETCD_VERSION',
  'KWOK_VERSION',
  'HELM_VERSION',
  'KAFKA_VERSION',
  'OPENBAO_VERSION',
  'ENVOY_VERSION',
  'OPA_VERSION',
  'ALERTMANAGER_VERSION',
] as const satisfies readonly (keyof TestEnvVersions)[];

/** Reads and validates `test/env/versions.env`. */
export function testEnvVersions(): TestEnvVersions {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'versions.env');
  const values = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
  }
  const missing = REQUIRED_KEYS.filter((key) => !values.has(key));
  if (missing.length > 0) throw new Error(`${file} lacks ${missing.join(', ')}`);
  const get = (key: (typeof REQUIRED_KEYS)[number]): string => values.get(key) ?? '';
  return {
    K8S_VERSION: get('K8S_VERSION'),
    ETCD_VERSION: get('ETCD_VERSION'),
    KWOK_VERSION: get('KWOK_VERSION'),
    HELM_VERSION: get('HELM_VERSION'),
    KAFKA_VERSION: get('KAFKA_VERSION'),
    OPENBAO_VERSION: get('OPENBAO_VERSION'),
    ENVOY_VERSION: get('ENVOY_VERSION'),
    OPA_VERSION: get('OPA_VERSION'),
    ALERTMANAGER_VERSION: get('ALERTMANAGER_VERSION'),
  };
}

/** Root of the backend cache; same default as `lib.sh`. */
export function testEnvCacheRoot(): string {
  return process.env['MESHWARDEN_TESTENV_CACHE'] ?? join(homedir(), '.cache', 'meshwarden', 'testenv');
}

/** Names of the cached components, as `prepare.sh` knows them. */
export type TestEnvComponent = 'kafka' | 'openbao' | 'envoy' | 'etcd' | 'kubernetes' | 'kwok' | 'helm' | 'opa' | 'alertmanager';

/** Directory of one cached component, e.g. `<cache>/kafka-3.9.1`. */
export function componentDir(component: TestEnvComponent, versions: TestEnvVersions = testEnvVersions()): string {
  const version: Record<TestEnvComponent, string> = {
    kafka: versions.KAFKA_VERSION,
    openbao: versions.OPENBAO_VERSION,
    envoy: versions.ENVOY_VERSION,
    etcd: versions.ETCD_VERSION,
    kubernetes: versions.K8S_VERSION,
    kwok: versions.KWOK_VERSION,
    helm: versions.HELM_VERSION,
    opa: versions.OPA_VERSION,
    alertmanager: versions.ALERTMANAGER_VERSION,
  };
  return join(testEnvCacheRoot(), `${component}-${version[component]}`);
}
