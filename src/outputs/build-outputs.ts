import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { describeSafely } from '../shared/safe-error.js';
import { Secret } from '../shared/secret.js';
import { AlertmanagerOutput } from './alertmanager-output.js';
import type { OutputMetrics } from './delivery-queue.js';
import { fanOutIncidents, type IncidentSink } from './incident-sink.js';
import { KubeEventRecorder } from './kube-event-recorder.js';
import { OutputDeadLetters } from './output-dead-letters.js';
import type { OutputsConfig } from './outputs-config.js';
import { WebhookOutput } from './webhook-output.js';

/** The shortest webhook secret accepted: 32 bytes, like the ledger's HMAC key. */
export const MIN_WEBHOOK_SECRET_BYTES = 32;

/** The outputs of one engine process, built from the `outputs` configuration. */
export interface Outputs {
  /** Where the pipelines report incidents; undefined when no incident output is enabled. */
  readonly incidents: IncidentSink | undefined;
  /** Kubernetes Events on acted-on objects; undefined when off. */
  readonly events: KubeEventRecorder | undefined;
  readonly alertmanager: AlertmanagerOutput | undefined;
  readonly webhook: WebhookOutput | undefined;
  /** Starts the periodic work (Alertmanager re-sends). */
  start(): void;
  /** Stops every output; each gives up on what it still holds (the webhook's goes to its dead-letter file). */
  stop(): Promise<void>;
}

/** What the outputs are built with. */
export interface OutputsDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: OutputMetrics;
  /** Where the webhook's dead-letter file goes: `<stateDir>/outputs/webhook-dead-letters.ndjson`. */
  readonly stateDir: string;
  /** An incident quiet this long resolves (its alert stops being re-sent a little after). */
  readonly resolveAfterMs: number;
  readonly kube?: KubeConfig | undefined;
  /** The Event's `reportingInstance`: the pod's name. */
  readonly instance: string;
}

/**
 * Builds the enabled outputs. Reads the webhook's signing secret from its file now, so a missing,
 * unreadable or short secret stops the engine at start with the reason, not at the first incident.
 */
export async function buildOutputs(config: OutputsConfig, deps: OutputsDeps): Promise<Outputs> {
  const { clock, logger, metrics } = deps;
  const am = config.alertmanager;
  const alertmanager = am.enabled && am.url !== undefined
    ? new AlertmanagerOutput({ ...am, url: am.url }, { clock, logger, metrics }, deps.resolveAfterMs + 2 * am.resendInterval)
    : undefined;
  const hook = config.webhook;
  let webhook: WebhookOutput | undefined;
  if (hook.enabled && hook.url !== undefined && hook.secretFile !== undefined) {
    const secret = await readWebhookSecret(hook.secretFile);
    const deadLetters = new OutputDeadLetters(join(deps.stateDir, 'outputs', 'webhook-dead-letters.ndjson'), hook.deadLetterMaxBytes, clock);
    webhook = new WebhookOutput({ ...hook, url: hook.url }, { secret, deadLetters, clock, logger, metrics, externalUrl: am.externalUrl });
  }
  let events: KubeEventRecorder | undefined;
  if (config.kubernetesEvents.enabled) {
    if (deps.kube === undefined) throw outputsProblem('outputs.kubernetesEvents.enabled', 'Kubernetes Events need a Kubernetes client: enable kubernetes, or turn the Events off');
    events = new KubeEventRecorder({ kube: deps.kube, logger, metrics, reportingInstance: deps.instance, maxQueue: config.kubernetesEvents.maxQueue });
  }
  const sinks = [alertmanager, webhook].filter((s): s is AlertmanagerOutput | WebhookOutput => s !== undefined);
  return {
    incidents: sinks.length === 0 ? undefined : fanOutIncidents(sinks, (error) => { logger.warn({ err: describeSafely(error) }, 'an incident output failed to queue'); }),
    events, alertmanager, webhook,
    start: () => { alertmanager?.start(); },
    stop: async () => {
      await Promise.all([alertmanager?.stop(), webhook?.stop(), events?.stop()]);
    },
  };
}

/** The webhook secret: the file's content without surrounding whitespace, at least 32 bytes. */
export async function readWebhookSecret(path: string): Promise<Secret> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw outputsProblem('outputs.webhook.secretFile', `cannot read the webhook secret file ${path}: ${describeSafely(error)}`);
  }
  const value = text.trim();
  if (Buffer.byteLength(value) < MIN_WEBHOOK_SECRET_BYTES) {
    throw outputsProblem('outputs.webhook.secretFile', `the webhook secret in ${path} is shorter than ${MIN_WEBHOOK_SECRET_BYTES} bytes; generate one with: openssl rand -hex 32`);
  }
  return new Secret(value);
}

function outputsProblem(path: string, message: string): ConfigError {
  return new ConfigError([{ file: 'service config', line: 0, col: 0, path, message }]);
}
