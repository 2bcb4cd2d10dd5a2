/**
 * The incidents injected on day 2 of the recording, and the ground truth written to
 * `incidents.json`: what happened, which entities an engine should flag, and when.
 */
import {
  ATTACKER_IP,
  EXFIL_IP,
  EXFIL_SNI,
  GATEWAY_NAMESPACE,
  NAMESPACE,
  type PodInfo,
  type Topology,
  podOnNode,
} from './topology.js';

/** The kinds of injected incident. */
export type IncidentKind =
  | 'credential-stuffing'
  | 'exfiltration'
  | 'lateral-movement'
  | 'error-storm'
  | 'latency-storm'
  | 'confidence-collapse'
  | 'feature-drift';

/** Name, version and namespace of the served model. */
export const MODEL = { name: 'fraud-detector', version: 'v3', namespace: NAMESPACE } as const;

/** Features whose population stability index jumps during the feature-drift incident. */
export const DRIFTING_FEATURES = ['amount', 'merchant_category', 'distance_from_home_km'] as const;

/** One injected incident, in the form written to `incidents.json`. */
export interface Incident {
  readonly id: string;
  readonly kind: IncidentKind;
  readonly description: string;
  /** Entity keys an engine should flag for this incident. */
  readonly entities: readonly string[];
  /**
   * Entity keys that show symptoms of the incident (cascades, the other side of a request):
   * flagging them is not a false positive, missing them is not a miss.
   */
  readonly related: readonly string[];
  /** Which signals carry the incident, for whoever reads the ground truth. */
  readonly signals: readonly string[];
  readonly start: string;
  readonly end: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** A benign event an engine must not alarm on. */
export interface BenignEvent {
  readonly id: string;
  readonly kind: 'rolling-restart';
  readonly description: string;
  readonly entities: readonly string[];
  readonly start: string;
  readonly end: string;
}

/** The injected incidents of a run, plus the pods they involve. */
export interface IncidentPlan {
  readonly incidents: readonly Incident[];
  /** The inference pod that exfiltrates. */
  readonly exfilPod: PodInfo;
  /** The frontend pod that moves laterally. */
  readonly lateralPod: PodInfo;
  /** Whether an incident of `kind` is under way at `atMs`. */
  active(kind: IncidentKind, atMs: number): boolean;
  /** Whether an incident of `kind` is under way at some time in [fromMs, toMs). */
  overlaps(kind: IncidentKind, fromMs: number, toMs: number): boolean;
}

const workload = (namespace: string, app: string): string => `workload:${namespace}/${app}`;
const podKey = (pod: PodInfo): string => `pod:${pod.namespace}/${pod.name}`;
const edge = (caller: string, callee: string): string => `edge:${NAMESPACE}/${caller} -> ${callee}`;
const modelKey = `model:${MODEL.namespace}/${MODEL.name}@${MODEL.version}`;

interface Slot {
  readonly kind: IncidentKind;
  /** Minutes from the start of the run. */
  readonly fromMinute: number;
  readonly toMinute: number;
}

/**
 * Day 2, during business hours (UTC) when traffic is high enough for every incident to be
 * visible, each incident at least an hour and a half away from the previous one.
 */
const SLOTS: readonly Slot[] = [
  { kind: 'credential-stuffing', fromMinute: 33 * 60 + 5, toMinute: 33 * 60 + 25 },
  { kind: 'exfiltration', fromMinute: 34 * 60 + 40, toMinute: 35 * 60 + 5 },
  { kind: 'lateral-movement', fromMinute: 36 * 60 + 20, toMinute: 36 * 60 + 35 },
  { kind: 'error-storm', fromMinute: 38 * 60, toMinute: 38 * 60 + 18 },
  { kind: 'latency-storm', fromMinute: 39 * 60 + 40, toMinute: 40 * 60 },
  { kind: 'confidence-collapse', fromMinute: 41 * 60 + 20, toMinute: 41 * 60 + 50 },
  { kind: 'feature-drift', fromMinute: 43 * 60, toMinute: 43 * 60 + 30 },
];

function describe(
  kind: IncidentKind,
  topology: Topology,
  exfilPod: PodInfo,
  lateralPod: PodInfo,
): Pick<Incident, 'description' | 'entities' | 'related' | 'signals'> {
  const { services } = topology;
  switch (kind) {
    case 'credential-stuffing':
      return {
        description:
          `One external client (${ATTACKER_IP}) sends a storm of POST /api/v1/login through the ingress gateway ` +
          'with rotating user agents; auth answers almost all of them with 401 (a few 403 for locked accounts).',
        entities: [`principal:${ATTACKER_IP}`],
        related: [
          workload(NAMESPACE, 'auth'),
          workload(NAMESPACE, 'frontend'),
          workload(GATEWAY_NAMESPACE, 'istio-ingressgateway'),
          edge('frontend', services.auth.fqdn),
        ],
        signals: ['request rate per client IP (X-Forwarded-For at the gateway)', '401/403 ratio', 'distinct user agents'],
      };
    case 'exfiltration':
      return {
        description:
          `Inference pod ${exfilPod.name} uploads several MB per connection over TLS to ${EXFIL_SNI} ` +
          `(${EXFIL_IP}:443 via PassthroughCluster), a destination no workload of the mesh ever contacted.`,
        entities: [podKey(exfilPod), edge('inference', EXFIL_SNI)],
        related: [workload(NAMESPACE, 'inference'), `principal:${NAMESPACE}/inference`, edge('inference', `${EXFIL_IP}:443`)],
        signals: ['bytes received from the app per outbound connection (upload)', 'new caller -> callee edge', 'PassthroughCluster traffic'],
      };
    case 'lateral-movement':
      return {
        description:
          `Frontend pod ${lateralPod.name} starts calling services frontend never calls: feature-store directly ` +
          '(denied by AuthorizationPolicy, 403), Vault (403) and the Kubernetes API server.',
        entities: [
          podKey(lateralPod),
          edge('frontend', services.featureStore.fqdn),
          edge('frontend', services.vault.fqdn),
          edge('frontend', services.kubernetes.fqdn),
        ],
        related: [workload(NAMESPACE, 'frontend'), workload(NAMESPACE, 'feature-store'), `principal:${NAMESPACE}/frontend`],
        signals: ['new caller -> callee edges', 'distinct peers', '403 ratio (rbac_access_denied_matched_policy)'],
      };
    case 'error-storm':
      return {
        description:
          'feature-store fails most requests from inference with 503 (UF upstream_reset_before_response_started' +
          '{connection_failure}, UC ...{connection_termination}); inference and frontend fail in cascade.',
        entities: [workload(NAMESPACE, 'feature-store'), edge('inference', services.featureStore.fqdn)],
        related: [
          workload(NAMESPACE, 'inference'),
          workload(NAMESPACE, 'frontend'),
          workload(GATEWAY_NAMESPACE, 'istio-ingressgateway'),
          edge('frontend', services.inference.fqdn),
          modelKey,
          ...topology.pods.filter((p) => p.app === 'feature-store' || p.app === 'inference').map(podKey),
        ],
        signals: ['5xx ratio', 'response flags UF/UC', 'model telemetry failure count'],
      };
    case 'latency-storm':
      return {
        description: 'inference answers about 10 times slower than usual (duration and upstream service time).',
        entities: [workload(NAMESPACE, 'inference'), modelKey],
        related: [
          workload(NAMESPACE, 'frontend'),
          workload(GATEWAY_NAMESPACE, 'istio-ingressgateway'),
          edge('frontend', services.inference.fqdn),
          ...topology.pods.filter((p) => p.app === 'inference').map(podKey),
        ],
        signals: ['latency quantiles (access log duration, upstream service time)', 'model telemetry latency_ms p50/p95/p99'],
      };
    case 'confidence-collapse':
      return {
        description: `${MODEL.name} ${MODEL.version}: mean prediction confidence drops from about 0.92 to about 0.45 on every inference pod.`,
        entities: [modelKey],
        related: topology.pods.filter((p) => p.app === 'inference').map(podKey),
        signals: ['model telemetry prediction.confidence'],
      };
    case 'feature-drift':
      return {
        description: `PSI of ${DRIFTING_FEATURES.join(', ')} jumps to 0.3-0.6 (threshold 0.2, drift_detected true).`,
        entities: [modelKey],
        related: [],
        signals: ['drift_metric statistic and drift_detected per feature'],
      };
  }
}

/**
 * Plans the incidents of a run. Only incidents that start inside the run are injected; one that
 * would outlast the run is cut at its end.
 */
export function planIncidents(topology: Topology, startMs: number, durationMs: number): IncidentPlan {
  const firstFrom = SLOTS[0]?.fromMinute ?? 0;
  const whenPodsChosen = startMs + firstFrom * 60_000;
  const exfilPod = podOnNode(topology, 'inference', 2, whenPodsChosen);
  const lateralPod = podOnNode(topology, 'frontend', 1, whenPodsChosen);
  const endOfRun = startMs + durationMs;
  const incidents: Incident[] = [];
  for (const [i, slot] of SLOTS.entries()) {
    const from = startMs + slot.fromMinute * 60_000;
    const to = Math.min(endOfRun, startMs + slot.toMinute * 60_000);
    if (from >= endOfRun) continue;
    incidents.push({
      id: `inc-${i + 1}-${slot.kind}`,
      kind: slot.kind,
      ...describe(slot.kind, topology, exfilPod, lateralPod),
      start: new Date(from).toISOString(),
      end: new Date(to).toISOString(),
      startMs: from,
      endMs: to,
    });
  }
  return {
    incidents,
    exfilPod,
    lateralPod,
    active: (kind, atMs) => incidents.some((x) => x.kind === kind && x.startMs <= atMs && atMs < x.endMs),
    overlaps: (kind, fromMs, toMs) => incidents.some((x) => x.kind === kind && x.startMs < toMs && fromMs < x.endMs),
  };
}

/** The benign events of a run, so an evaluation can check that nothing alarms on them. */
export function benignEvents(topology: Topology): BenignEvent[] {
  const restart = topology.rollingRestart;
  if (restart === undefined) return [];
  return [
    {
      id: 'benign-1-rolling-restart',
      kind: 'rolling-restart',
      description:
        'kubectl rollout restart of frontend: three new pods (new pod-template-hash) replace the old ones one by ' +
        'one; the old pods go quiet, the new ones take their traffic.',
      entities: [workload(NAMESPACE, 'frontend'), ...restart.oldPods.map(podKey), ...restart.newPods.map(podKey)],
      start: new Date(restart.startMs).toISOString(),
      end: new Date(restart.endMs).toISOString(),
    },
  ];
}
