import type { EventsV1Event, KubeConfig } from '@kubernetes/client-node';
import { kubeStatusOf } from '../actions/kubernetes/kube-errors.js';
import { kubeObject } from '../actions/kubernetes/kube-object.js';
import type { PlaybookRun, StepResult } from '../playbook/run-store.js';
import type { Logger } from '../shared/logger.js';
import type { RetryPolicy } from '../shared/retry.js';
import { safeError } from '../shared/safe-error.js';
import { DeliveryQueue, type OutputMetrics } from './delivery-queue.js';
import { kubeEventFor, type KubeEventBody } from './kube-event.js';
import { OutputError } from './post-json.js';

/** What {@link KubeEventRecorder} needs. */
export interface KubeEventRecorderDeps {
  readonly kube: KubeConfig;
  readonly logger: Logger;
  readonly metrics: OutputMetrics;
  /** Who is reporting: the pod's name (`HOSTNAME`). */
  readonly reportingInstance: string;
  readonly maxQueue: number;
  readonly retry?: RetryPolicy;
}

/** What the recorder needs on the API server: create Events (the chart grants it, `helm/meshwarden/templates/rbac.yaml`). */
export const EVENT_RBAC_RULES = [{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] }] as const;

const EVENT_RETRY: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, maxAttempts: 4 };

/**
 * Writes an `events.k8s.io/v1` Event on each object a live step acted on (or was refused or
 * failed on), so `kubectl describe pod` shows that meshwarden quarantined it and why. Events are
 * queued and created beside the stream; one that cannot be created is counted and logged, never a
 * step's failure. An Event created before (the same step reported again) is not duplicated: its
 * name is derived from the run, step and outcome, and the API server's 409 counts as done.
 */
export class KubeEventRecorder {
  private readonly queue: DeliveryQueue<KubeEventBody>;
  private api: Promise<import('@kubernetes/client-node').EventsV1Api> | undefined;

  constructor(private readonly deps: KubeEventRecorderDeps) {
    this.queue = new DeliveryQueue<KubeEventBody>({
      output: 'kubernetes-events', maxQueue: deps.maxQueue, maxBatch: 1, logger: deps.logger, metrics: deps.metrics,
      policy: deps.retry ?? EVENT_RETRY,
      deliver: async ([event]) => { if (event !== undefined) await this.create(event); },
    });
  }

  /** Queues the Event for a step result of a live run, if it gets one. */
  stepResult(run: PlaybookRun, result: StepResult): void {
    const event = kubeEventFor(result, { runId: run.id, playbook: run.playbook, incidentId: run.incidentId }, this.deps.reportingInstance);
    if (event !== undefined) this.queue.push(`${event.metadata.namespace}/${event.metadata.name}`, event);
  }

  /** Resolves when nothing is waiting to be created. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  private async create(event: KubeEventBody): Promise<void> {
    const k8s = await import('@kubernetes/client-node');
    this.api ??= Promise.resolve(this.deps.kube.makeApiClient(k8s.EventsV1Api));
    const api = await this.api;
    const what = `creating Event ${event.metadata.namespace}/${event.metadata.name}`;
    try {
      // MicroTime: the API server takes eventTime only with six fractional digits.
      await api.createNamespacedEvent({ namespace: event.metadata.namespace, body: kubeObject<EventsV1Event>({ ...event, eventTime: new k8s.V1MicroTime(event.eventTime) }) });
    } catch (error) {
      const status = kubeStatusOf(error);
      if (status === 409) return;
      if (status === undefined) throw new OutputError('unreachable', `${what}: ${safeError(error).message}`, error);
      const reason = status === 429 ? 'rate-limited' : status >= 500 ? 'server' : 'client';
      throw new OutputError(reason, `${what}: the API server answered ${status}`);
    }
  }
}
