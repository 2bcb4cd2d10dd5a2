import type { KubeConfig } from '@kubernetes/client-node';
import type { ServiceConfig } from '../config/service-config.js';
import type { Clock } from '../shared/clock.js';
import { FileSilenceStore } from './file-silence-store.js';
import { KubeSilenceStore } from './kube-silence-store.js';
import type { SilenceStore } from './silence-store.js';

/**
 * The store `silences.store` names: the ConfigMap in the engine's namespace (`kubernetes`, or
 * `auto` with Kubernetes enabled), else `<stateDir>/silences.json`.
 */
export function silenceStoreFor(config: Pick<ServiceConfig, 'silences' | 'stateDir' | 'namespace'>, kube: KubeConfig | undefined, clock: Clock): SilenceStore {
  const { store, configMap } = config.silences;
  if (store !== 'file' && kube !== undefined) return new KubeSilenceStore(kube, config.namespace, clock, configMap);
  return new FileSilenceStore(config.stateDir, clock);
}
