import type { KubeConfig } from '@kubernetes/client-node';
import type { WebClient } from '@slack/web-api';
import type NodeVault from 'node-vault';
import type { Anomaly } from '../detect/anomaly.js';
import type { SlackIncidentThreads } from './slack/incident-threads.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

/**
 * The clients live actions use, passed in (never module singletons). A missing client means the
 * engine runs without that provider; an action needing it fails with reason `client`.
 */
export interface ActionDeps {
  readonly kube?: KubeConfig;
  readonly vault?: NodeVault.client;
  readonly slack?: WebClient;
  /** One Slack thread per incident, updated in place (slack.notify). */
  readonly slackThreads?: SlackIncidentThreads;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Everything an action needs to know about the run it is part of. */
export interface ActionContext {
  readonly deps: ActionDeps;
  /**
   * Stable for one step of one playbook run on one incident: `<playbook>/<incident>/<step index>`.
   * Actions record it on what they change (a label or annotation, a KV metadata field) so that
   * running the same step again — after a crash, or on a second replica — changes nothing more.
   */
  readonly idempotencyKey: string;
  readonly playbook: string;
  readonly incidentId: string;
  /** The case the incident belongs to (see triage/case-tracker.ts): the key of its Slack thread. */
  readonly caseId?: string;
  readonly anomaly: Anomaly;
  /** Abort signal: the engine is shutting down or the step timed out. */
  readonly signal: AbortSignal;
}

/** What a live action did. Failures are thrown as `ActionError` with a reason. */
export interface ActionResult {
  /** `already-done`: the idempotency key showed the change was made before; nothing was changed now. */
  readonly outcome: 'succeeded' | 'already-done';
  /** One sentence for the ledger and Slack, e.g. "quarantined ml-prod/inference-x; replacement inference-y". */
  readonly summary: string;
  /** Facts worth recording (revision left, KV version written, leases revoked...). No secrets. */
  readonly details: Readonly<Record<string, string | number | boolean>>;
  /** How to undo it, when it can be undone: the inverse action with its parameters. */
  readonly undo?: { readonly action: string; readonly params: Readonly<Record<string, unknown>> };
}

/** The idempotency key of one step of a playbook run (see {@link ActionContext.idempotencyKey}). */
export function stepIdempotencyKey(playbook: string, incidentId: string, stepIndex: number): string {
  return `${playbook}/${incidentId}/${stepIndex}`;
}

/** The incident a step's idempotency key was made for; undefined for any other key. */
export function incidentOfStepKey(key: string): string | undefined {
  const parts = key.split('/');
  return parts.length === 3 && parts[1] !== '' ? parts[1] : undefined;
}
