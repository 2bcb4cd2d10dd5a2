import { loadConfigSet, type ConfigSetResult } from '../config/config-set.js';
import { ConfigWatcher, type WatcherTimers } from '../config/config-watcher.js';
import type { ServiceConfig } from '../config/service-config.js';
import { loadAutoencoders } from '../detect/autoencoder/load-autoencoders.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { EngineMetrics } from '../server/metrics.js';
import { ConfigReloader, type ActiveConfig, type ConfigReloaderDeps, type ReloadOutcome, type ReloadTarget } from './config-reloader.js';

/** Loads the service's detector and playbook set as at start and at every reload. */
export function loadServiceConfigSet(config: ServiceConfig): Promise<ConfigSetResult> {
  return loadConfigSet({
    detectors: config.detectors, playbooks: config.playbooks, playbookVars: config.playbookVars,
    backends: { kubernetes: config.kubernetes.enabled, vault: config.vault.enabled, slack: config.slack.enabled },
  });
}

/** A running hot reload: `reload` on demand (SIGHUP), `stop` at shutdown. */
export interface ConfigReload {
  reload(): Promise<ReloadOutcome>;
  stop(): Promise<void>;
}

/**
 * Starts reloading the service's detectors and playbooks when their files change (see
 * ConfigReloader for what a reload does, ConfigWatcher for how a change is noticed). With
 * `reload.enabled` off, only an explicit `reload()` reloads.
 */
export async function startConfigReload(deps: {
  readonly config: ServiceConfig;
  readonly initial: ActiveConfig;
  readonly target: ReloadTarget;
  readonly ledger: ConfigReloaderDeps['ledger'];
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: EngineMetrics;
  readonly timers?: WatcherTimers;
}): Promise<ConfigReload> {
  const { config, logger, clock } = deps;
  const reloader = new ConfigReloader({
    load: () => loadServiceConfigSet(config),
    loadAutoencoders: (detectors) => loadAutoencoders(detectors, config.stateDir, { clock, logger }),
    target: deps.target, ledger: deps.ledger, logger, metrics: deps.metrics,
  }, deps.initial);
  const watcher = config.reload.enabled
    ? new ConfigWatcher({
        dirs: [config.detectors, config.playbooks], debounceMs: config.reload.debounce, pollIntervalMs: config.reload.pollInterval, logger,
        onChange: async () => { await reloader.reload(); },
        ...(deps.timers ? { timers: deps.timers } : {}),
      })
    : undefined;
  await watcher?.start();
  return { reload: () => reloader.reload(), stop: async () => watcher?.stop() };
}
