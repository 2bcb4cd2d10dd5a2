import { z } from 'zod';
import { DEFAULT_FEATURE_OPTIONS } from '../features/feature-extractor.js';
import { outputsConfigSchema } from '../outputs/outputs-config.js';
import { playbookVarOverridesSchema } from '../playbook/playbook-vars.js';
import { POLICY_PATH } from '../policy/opa-client.js';
import { CLUSTER_PROTECTED_NAMESPACES } from '../playbook/safety-guard.js';
import { durationSchema } from '../shared/duration.js';

/**
 * Configuration of the cluster service (`meshwarden serve --config <file>`), mounted from a
 * ConfigMap by the Helm chart. Secrets are never in this file: they come from environment
 * variables (Kubernetes Secret references), named in `SECRET_ENV`.
 */
export const serviceConfigSchema = z
  .object({
    apiVersion: z.literal('meshwarden.io/v1'),
    kind: z.literal('ServiceConfig'),
    /** Directories of detector and playbook YAML (ConfigMaps mounted as volumes). */
    detectors: z.string().default('/etc/meshwarden/detectors'),
    playbooks: z.string().default('/etc/meshwarden/playbooks'),
    /**
     * Hot reload of the detector and playbook directories: a change is loaded and checked as
     * `meshwarden check` does and swapped in whole, or refused whole (the running set stays).
     * Directories are watched (debounced) and also compared every `pollInterval`, since inotify
     * misses some ConfigMap volume updates.
     */
    reload: z
      .object({
        enabled: z.boolean().default(true),
        /** Quiet time after the last file event before reloading (a kubelet update is a burst). */
        debounce: durationSchema.default(2_000),
        /** How often the directories are compared with the last look; 0s: watch events only. */
        pollInterval: durationSchema.default(30_000),
      })
      .strict()
      .prefault({}),
    /** Per playbook, values for its `spec.vars` in place of their defaults (this site's namespaces, paths). */
    playbookVars: playbookVarOverridesSchema.default({}),
    /** Writable directory for the ledger, run store and thread store (an emptyDir or a PVC). */
    stateDir: z.string().default('/var/lib/meshwarden'),
    /**
     * How long finished runs, decided approvals and quiet incidents' Slack threads are kept in the
     * state directory (the audit ledger keeps everything; this only bounds the working state).
     */
    stateRetention: durationSchema.default(7 * 24 * 3_600_000),
    /** Global dry-run: record what would be done, do nothing. */
    dryRun: z.boolean().default(false),
    /** The engine's own namespace, always protected. */
    namespace: z.string().default('meshwarden'),
    /** Never acted on: Kubernetes' own, the mesh control plane, and `default` (no workloads in a production mesh). */
    protectedNamespaces: z.array(z.string()).default([...CLUSTER_PROTECTED_NAMESPACES]),
    /**
     * Proxies in front of the ingress gateways that append the client address to X-Forwarded-For
     * (Envoy's `xff_num_trusted_hops`): external callers are named by the entry this many from the
     * right. 0: by the address the gateway itself saw. Never more than the proxies really there.
     */
    trustedProxyHops: z.number().int().min(0).max(16).default(0),
    /**
     * Entities (pods, workloads, principals, models) tracked per assigned partition, and the bound of
     * each table keyed by a client-chosen value. Past it the least recently seen principal is
     * forgotten in O(1), so a flood of distinct sources costs memory up to this bound and no more
     * (about 3.5 kB per tracked principal with its open windows): size it to the pod's memory.
     */
    maxEntities: z.number().int().min(1_000).max(5_000_000).default(DEFAULT_FEATURE_OPTIONS.maxEntities),
    /**
     * Worker threads that run the partitions' detection (parse, features, detectors), each partition
     * pinned to one; triage, playbooks and actions stay on the main thread. Absent: one per core the
     * process may use. 0 or 1: detection on the main thread too.
     */
    workers: z.number().int().min(0).max(256).optional(),
    kafka: z
      .object({
        brokers: z.array(z.string().min(1)).min(1),
        clientId: z.string().default('meshwarden'),
        groupId: z.string().default('meshwarden'),
        ssl: z.boolean().default(false),
        /** SASL mechanism; the username and password come from MESHWARDEN_KAFKA_USERNAME / _PASSWORD. */
        sasl: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
        topics: z
          .object({
            accessLogs: z.string().default('istio-access-logs'),
            modelTelemetry: z.string().default('model-telemetry'),
            driftMetrics: z.string().default('drift-metrics'),
            /**
             * Falco alerts (Falcosidekick's Kafka output): a fourth input, consumed like the others
             * when set. Falco lines on the other input topics are read as well.
             */
            falcoEvents: z.string().min(1).optional(),
            deadLetters: z.string().default('meshwarden-dead-letters'),
            anomalies: z.string().default('meshwarden-anomalies'),
            audit: z.string().default('meshwarden-audit'),
            /** Compacted: per-partition detector checkpoints. */
            state: z.string().default('meshwarden-state'),
            /** Slack clicks one replica received for an approval another holds (short retention). */
            approvals: z.string().default('meshwarden-approvals'),
          })
          .strict()
          .prefault({}),
        /** How often detector state is checkpointed. */
        checkpointEvery: durationSchema.default(60_000),
        /**
         * How long the group waits for a silent member before giving its partitions to the others
         * (a killed replica's partitions stall this long). Bounded below by the broker's
         * group.min.session.timeout.ms (6 s by default).
         */
        sessionTimeout: durationSchema.default(30_000),
        /** How often the consumer tells the group it is alive; well under sessionTimeout. */
        heartbeatInterval: durationSchema.default(3_000),
      })
      .refine((k) => k.heartbeatInterval < k.sessionTimeout, { message: 'heartbeatInterval must be shorter than sessionTimeout', path: ['heartbeatInterval'] })
      .strict(),
    kubernetes: z.object({ enabled: z.boolean().default(true) }).strict().prefault({}),
    /**
     * How replicas make sure a live run takes effect once (src/coordination/run-claims.ts): a run
     * claims its playbook and entity with a Lease in `namespace` before it acts. `auto` uses
     * Leases whenever Kubernetes is enabled and the engine is not in dry-run; `none` trusts that
     * only one replica runs.
     */
    coordination: z
      .object({
        claims: z.enum(['auto', 'kubernetes', 'none']).default('auto'),
        /** A claim holds for the playbook's cooldown, and at least this long. */
        holdAtLeast: durationSchema.default(30 * 60_000),
      })
      .strict()
      .prefault({}),
    vault: z
      .object({
        enabled: z.boolean().default(false),
        address: z.url().optional(),
        /** Kubernetes auth role; without it the token comes from MESHWARDEN_VAULT_TOKEN. */
        kubernetesRole: z.string().optional(),
        kubernetesMount: z.string().default('kubernetes'),
        /** The ServiceAccount token presented to Vault's Kubernetes auth (the projected token in a pod). */
        serviceAccountTokenFile: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
      })
      .strict()
      .prefault({}),
    slack: z
      .object({
        enabled: z.boolean().default(false),
        /** `socket` needs no public ingress (MESHWARDEN_SLACK_APP_TOKEN); `http` serves /slack/interactions. */
        mode: z.enum(['socket', 'http']).default('socket'),
        apiUrl: z.url().optional(),
        refusalsChannel: z.string().default('#soc-alerts'),
        /**
         * Who may release a quarantine with the "Release pod" button under its line in the
         * incident thread (Slack user ids and user group ids). Empty: no button.
         */
        releasers: z
          .object({
            users: z.array(z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id, e.g. U012ABCDEF')).default([]),
            groups: z.array(z.string().regex(/^S[A-Z0-9]+$/, 'a Slack user group id, e.g. S012ABCDEF')).default([]),
          })
          .strict()
          .prefault({}),
        /**
         * Who may press "Silence 4h" on an incident's thread message (Slack user ids and user
         * group ids): a silence of that incident's detector and entity. Empty: no button.
         */
        silencers: z
          .object({
            users: z.array(z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id, e.g. U012ABCDEF')).default([]),
            groups: z.array(z.string().regex(/^S[A-Z0-9]+$/, 'a Slack user group id, e.g. S012ABCDEF')).default([]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * Where silences live (src/silences/). `kubernetes`: one ConfigMap in `namespace` that every
     * replica reads (within `cacheFor` of a change) and `meshwarden silence --kubeconfig` writes;
     * `file`: `<stateDir>/silences.json`, for a single replica. `auto`: the ConfigMap when Kubernetes
     * is enabled, else the file.
     */
    silences: z
      .object({
        store: z.enum(['auto', 'kubernetes', 'file']).default('auto'),
        configMap: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a ConfigMap name').default('meshwarden-silences'),
        cacheFor: durationSchema.default(10_000),
      })
      .strict()
      .prefault({}),
    /**
     * The console API (`/api/v1/...` on the HTTP listener): `meshwarden incidents|runs|approvals
     * --server` and `meshwarden approve|deny --server`. Each token file holds one bearer token (at
     * least 32 characters, mounted from a Secret) bound to the Slack user id its holder acts as.
     * No tokens: the API is not served.
     */
    console: z
      .object({
        tokens: z
          .array(z.object({
            name: z.string().regex(/^[a-z0-9][-a-z0-9_.]{0,62}$/, 'a short name for logs and the ledger: lowercase letters, digits, "-", "_", "."'),
            user: z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id, e.g. U012ABCDEF'),
            file: z.string().min(1),
          }).strict())
          .default([])
          .refine((tokens) => new Set(tokens.map((t) => t.name)).size === tokens.length, 'token names must be unique'),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        port: z.number().int().min(1).max(65535).default(8080),
        host: z.string().default('0.0.0.0'),
        /** Time a client has to send its request headers; slow-header connections are closed after it. */
        headersTimeout: durationSchema.default(10_000),
        /** Time a client has to send its whole request, body included (at least `headersTimeout`). */
        requestTimeout: durationSchema.default(30_000),
      })
      .strict()
      .prefault({}),
    /**
     * Signs the audit ledger's checkpoints with a key outside the state directory, so rewriting the
     * ledger needs the key. `key`: `file:<path>` (an Ed25519 private key PEM or an HMAC secret,
     * mounted from a Secret) or `transit:<mount>/<key>` (Vault's transit engine; the key never
     * leaves Vault). No key: the ledger is unsigned and detects accidents, not forgery.
     */
    ledger: z
      .object({
        key: z
          .string()
          .regex(/^(file:.+|transit:[^/]+(\/[^/]+)*\/[^/]+)$/, 'file:<path> or transit:<mount>/<key>, e.g. file:/etc/meshwarden-ledger/ledger-key')
          .transform((text): { file: string } | { transit: string } => (text.startsWith('file:') ? { file: text.slice('file:'.length) } : { transit: text.slice('transit:'.length) }))
          .optional(),
        /** Least time between two signed checkpoints; 0 signs at every flush. */
        checkpointEvery: durationSchema.default(0),
      })
      .strict()
      .prefault({}),
    /**
     * The policy gate (docs/policy.md): before every step that changes something, the engine asks
     * Open Policy Agent at `url` (`POST /v1/data/<path>`) and refuses the step unless it allows.
     * OPA is operator-run (the chart's sidecar); an unreachable or slow OPA refuses the step
     * unless the playbook says `spec.policy.failOpen`.
     */
    policy: z
      .object({
        enabled: z.boolean().default(false),
        url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8181'),
        /** Package path of the decision document `{"allow": bool, "reasons": [string]}`. */
        path: z.string().regex(POLICY_PATH, 'a package path such as "meshwarden/decision"').default('meshwarden/decision'),
        /** Past this, OPA counts as unreachable. */
        timeout: durationSchema.default(500),
        /** Decisions kept for identical inputs (the hash of the whole input), and for how long. */
        cacheSize: z.number().int().min(0).max(100_000).default(1_000),
        cacheTtl: durationSchema.default(60_000),
      })
      .strict()
      .prefault({}),
    /** Where incidents and action results go besides Slack: Alertmanager, a signed webhook, Kubernetes Events (docs/outputs.md). */
    outputs: outputsConfigSchema.prefault({}),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict()
  .refine((c) => c.http.requestTimeout >= c.http.headersTimeout, {
    message: 'http.requestTimeout must be at least http.headersTimeout',
    path: ['http', 'requestTimeout'],
  })
  .refine((c) => c.silences.store !== 'kubernetes' || c.kubernetes.enabled, {
    message: 'silences.store "kubernetes" keeps silences in a ConfigMap on the API server: enable kubernetes, or use "auto" or "file"',
    path: ['silences', 'store'],
  })
  .refine((c) => c.coordination.claims !== 'kubernetes' || c.kubernetes.enabled, {
    message: 'coordination.claims "kubernetes" keeps its Leases on the API server: enable kubernetes, or use "auto" or "none"',
    path: ['coordination', 'claims'],
  });

export type ServiceConfig = z.infer<typeof serviceConfigSchema>;

/** Environment variables that carry secrets (from Kubernetes Secrets), never the config file. */
export const SECRET_ENV = {
  slackBotToken: 'MESHWARDEN_SLACK_BOT_TOKEN',
  slackSigningSecret: 'MESHWARDEN_SLACK_SIGNING_SECRET',
  slackAppToken: 'MESHWARDEN_SLACK_APP_TOKEN',
  vaultToken: 'MESHWARDEN_VAULT_TOKEN',
  kafkaUsername: 'MESHWARDEN_KAFKA_USERNAME',
  kafkaPassword: 'MESHWARDEN_KAFKA_PASSWORD',
  approvalKey: 'MESHWARDEN_APPROVAL_KEY',
} as const;
