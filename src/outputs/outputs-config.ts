import { z } from 'zod';
import { durationSchema } from '../shared/duration.js';

/** Alertmanager label names: what its matchers and routing trees accept without quoting. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label names the output sets itself: a static label cannot replace one of them. */
export const ALERT_LABEL_NAMES = ['alertname', 'severity', 'detector', 'entity_kind', 'namespace', 'workload', 'pod', 'entity', 'playbook', 'incident'] as const;

/** An http(s) URL without user information: credentials belong in files, not in the config map. */
const endpointSchema = z
  .url({ protocol: /^https?$/, error: 'an http:// or https:// URL, e.g. http://alertmanager.monitoring.svc:9093' })
  .refine((text) => { const u = new URL(text); return u.username === '' && u.password === ''; }, 'no user or password in the URL: the URL is logged, secrets go in files');

/**
 * Alertmanager: each incident is an alert, posted to `<url>/api/v2/alerts`, re-posted while the
 * incident is open and posted resolved when it closes (src/outputs/alertmanager-output.ts).
 */
export const alertmanagerOutputSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Alertmanager's base URL (the one its UI is served at). */
    url: endpointSchema.optional(),
    /** Where a person reads an incident: the alert's `generatorURL` and `link` annotation are `<externalUrl>/incidents/<id>`. */
    externalUrl: endpointSchema.optional(),
    /**
     * How often an open incident's alert is sent again. Each post says the alert ends four
     * intervals later, so Alertmanager resolves it by itself if the engine stops sending.
     */
    resendInterval: durationSchema.default(60_000),
    /** One post's time limit. */
    timeout: durationSchema.default(10_000),
    /** Labels added to every alert (`cluster: prod-eu`), for routing. */
    labels: z
      .record(z.string().regex(LABEL_NAME, 'a label name: letters, digits and _, not starting with a digit'), z.string().min(1).max(128))
      .refine((labels) => Object.keys(labels).every((name) => !(ALERT_LABEL_NAMES as readonly string[]).includes(name)), `a static label cannot be one the output sets itself (${ALERT_LABEL_NAMES.join(', ')})`)
      .default({}),
    /** Alerts waiting to be posted; past it the oldest is dropped (counted), and the resend brings open ones back. */
    maxQueue: z.number().int().min(10).max(100_000).default(1_000),
    /** Open incidents whose alert is re-sent; past it the oldest stops being re-sent (Alertmanager then resolves it). */
    maxOpen: z.number().int().min(10).max(1_000_000).default(10_000),
  })
  .strict()
  .refine((o) => !o.enabled || o.url !== undefined, { message: 'url is required when the Alertmanager output is enabled', path: ['url'] });

/**
 * A generic webhook: incident opened/updated/closed as signed JSON POSTs; what cannot be
 * delivered after the last try goes to a dead-letter file (src/outputs/webhook-output.ts).
 */
export const webhookOutputSchema = z
  .object({
    enabled: z.boolean().default(false),
    url: endpointSchema.optional(),
    /** File holding the HMAC-SHA256 signing secret (at least 32 bytes), mounted from a Secret. */
    secretFile: z.string().min(1).optional(),
    timeout: durationSchema.default(10_000),
    /** Tries per delivery (backoff doubling from 1 s, capped at 30 s) before it is dead-lettered. */
    maxAttempts: z.number().int().min(1).max(20).default(5),
    maxQueue: z.number().int().min(10).max(100_000).default(1_000),
    /** Dead-letter file in the state directory; once it holds this many bytes further letters are counted and logged, not written. */
    deadLetterMaxBytes: z.number().int().min(1_024).default(64 * 1024 * 1024),
  })
  .strict()
  .refine((o) => !o.enabled || o.url !== undefined, { message: 'url is required when the webhook output is enabled', path: ['url'] })
  .refine((o) => !o.enabled || o.secretFile !== undefined, { message: 'secretFile is required when the webhook output is enabled: deliveries are always signed', path: ['secretFile'] });

/** Kubernetes Events on the objects live actions touch (src/outputs/kube-event-recorder.ts). */
export const kubernetesEventsOutputSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Events waiting to be created; past it new ones are dropped (counted). */
    maxQueue: z.number().int().min(10).max(100_000).default(1_000),
  })
  .strict();

/** The `outputs` section of the service configuration: where incidents and action results go besides Slack. */
export const outputsConfigSchema = z
  .object({
    alertmanager: alertmanagerOutputSchema.prefault({}),
    webhook: webhookOutputSchema.prefault({}),
    kubernetesEvents: kubernetesEventsOutputSchema.prefault({}),
  })
  .strict();

export type OutputsConfig = z.infer<typeof outputsConfigSchema>;
export type AlertmanagerOutputConfig = z.infer<typeof alertmanagerOutputSchema>;
export type WebhookOutputConfig = z.infer<typeof webhookOutputSchema>;
