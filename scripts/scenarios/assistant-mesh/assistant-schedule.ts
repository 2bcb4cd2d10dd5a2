/**
 * What happens in the second scenario, and its ground truth: five injected incidents of shapes the
 * bundled recording does not have (an attack spread over twenty low-rate sources, an exfiltration
 * that ramps up over ninety minutes, a latency regression at weekend volume, a dependency outage, a model canary slower than its
 * stable version)
 * and the benign changes an engine must not call intrusions (two rollouts, a canary as good as the
 * stable version, one of them bringing a
 * new edge that stays, a log shipper's gap, routine drift-test blips).
 */
import { ASSIST_NAMESPACE, DROP_HOST, GATEWAY_NAMESPACE, PROVIDER_HOST, CACHE_FQDN, type AssistantTopology } from './assistant-topology.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Default start: a Friday, midnight UTC (one weekday to learn, then the weekend). */
export const ASSISTANT_START = '2026-11-06T00:00:00Z';
export const ASSISTANT_SEED = 20261106;
export const ASSISTANT_HOURS = 72;

/** The offsets of everything scheduled, from the start. */
export const SCHEDULE = {
  rerankerCanary: { from: 15 * HOUR, to: 15 * HOUR + 45 * MINUTE },
  benignCanary: { from: 40 * HOUR, to: 41 * HOUR + 30 * MINUTE },
  shipperGap: { from: 27 * HOUR, to: 27 * HOUR + 12 * MINUTE },
  routerRollout: 37 * HOUR,
  dependencyOutage: { from: 44 * HOUR, to: 44 * HOUR + 15 * MINUTE },
  embedderRollout: 56 * HOUR,
  latencyRegression: { from: 56 * HOUR + 5 * MINUTE, to: 57 * HOUR + 5 * MINUTE },
  distributedStuffing: { from: 58 * HOUR + 30 * MINUTE, to: 59 * HOUR + 10 * MINUTE },
  slowExfiltration: { from: 62 * HOUR, to: 63 * HOUR + 30 * MINUTE },
} as const;

/** An injected incident with the entities an engine should flag. */
export interface ScenarioIncident {
  readonly id: string;
  readonly kind: string;
  readonly description: string;
  /** Entity keys of which at least one must be flagged (where the incident shows, by its own definition). */
  readonly flagOneOf: readonly string[];
  /** Entity keys whose anomalies during the incident are its cascade, not false alarms. */
  readonly related: readonly string[];
  /** The playbooks of which at least one is expected to respond. */
  readonly playbooks: readonly string[];
  readonly start: string;
  readonly end: string;
}

/** A benign event the engine must not treat as an intrusion. */
export interface ScenarioBenignEvent {
  readonly kind: string;
  readonly description: string;
  readonly start: string;
  readonly end: string;
}

/** The twenty sources of the distributed credential stuffing. */
export function stuffingSources(): string[] {
  return Array.from({ length: 20 }, (_, i) => `198.18.${10 + Math.floor(i / 5)}.${20 + (i % 5) * 7}`);
}

const iso = (ms: number): string => new Date(ms).toISOString();
const ns = ASSIST_NAMESPACE;

/** The ground truth for a run starting at `startMs`. */
export function scenarioTruth(topology: AssistantTopology, startMs: number): { incidents: ScenarioIncident[]; benign: ScenarioBenignEvent[] } {
  const at = (offset: number): string => iso(startMs + offset);
  const exfilPod = exfiltratingPod(topology);
  const chatPods = topology.pods.filter((p) => p.app === 'chat-api').map((p) => `pod:${ns}/${p.name}`);
  const incidents: ScenarioIncident[] = [
    {
      id: 'assist-1-dependency-outage',
      kind: 'dependency-outage',
      description: 'vector-db answers 503 to most queries for fifteen minutes; retriever and chat-api fail the requests that needed it.',
      flagOneOf: [`workload:${ns}/vector-db`, `workload:${ns}/retriever`],
      related: [`workload:${ns}/chat-api`, `workload:${GATEWAY_NAMESPACE}/istio-ingressgateway`, `principal:${ns}/retriever`, `principal:${ns}/chat-api`, ...chatPods],
      playbooks: ['notify-on-service-degradation'],
      start: at(SCHEDULE.dependencyOutage.from),
      end: at(SCHEDULE.dependencyOutage.to),
    },
    {
      id: 'assist-2-latency-regression',
      kind: 'latency-regression',
      description: 'The embedder rollout to v8 doubles its serving latency for an hour on a Sunday morning, at about one request a minute.',
      flagOneOf: [`workload:${ns}/embedder`, `model:${ns}/text-embedder@v8`],
      related: [`workload:${ns}/retriever`, `workload:${ns}/chat-api`, `workload:${GATEWAY_NAMESPACE}/istio-ingressgateway`],
      playbooks: ['notify-on-service-degradation'],
      start: at(SCHEDULE.latencyRegression.from),
      end: at(SCHEDULE.latencyRegression.to),
    },
    {
      id: 'assist-3-distributed-stuffing',
      kind: 'distributed-credential-stuffing',
      description: 'Twenty addresses each try two or three logins a minute through the gateway for forty minutes; 99% are refused with 401.',
      // The sources reach the login route through the gateway: the attack shows on the gateway's
      // and chat-api's traffic as a whole, never on one source.
      flagOneOf: [`workload:${GATEWAY_NAMESPACE}/istio-ingressgateway`, `workload:${ns}/chat-api`],
      related: [...stuffingSources().map((ip) => `principal:${ip}`), ...chatPods],
      playbooks: ['rotate-credentials-on-stuffing'],
      start: at(SCHEDULE.distributedStuffing.from),
      end: at(SCHEDULE.distributedStuffing.to),
    },
    {
      id: 'assist-5-canary-regression',
      kind: 'canary-regression',
      description: 'The passage reranker\'s canary version r6 takes a tenth of the queries beside the stable r5 for 45 minutes on a Friday afternoon and scores passages 2.2 times slower.',
      flagOneOf: [`model:${ns}/passage-reranker@r6`],
      related: [],
      playbooks: ['model-rollback'],
      start: at(SCHEDULE.rerankerCanary.from),
      end: at(SCHEDULE.rerankerCanary.to),
    },
    {
      id: 'assist-4-slow-exfiltration',
      kind: 'slow-exfiltration',
      description: `Retriever pod ${exfilPod.name} uploads to ${DROP_HOST}, a host no workload contacted before, ramping from about 0.4 MB to 4 MB a minute over ninety minutes.`,
      flagOneOf: [`pod:${ns}/${exfilPod.name}`],
      related: [`edge:${ns}/retriever -> ${DROP_HOST}`, `workload:${ns}/retriever`, `principal:${ns}/retriever`],
      playbooks: ['quarantine-on-exfiltration', 'isolate-on-lateral-movement'],
      start: at(SCHEDULE.slowExfiltration.from),
      end: at(SCHEDULE.slowExfiltration.to),
    },
  ];
  const benign: ScenarioBenignEvent[] = [
    { kind: 'canary', description: 'The passage reranker\'s canary version r7 takes a tenth of the queries beside the stable r5 for 90 minutes, as fast and as reliable as r5.', start: at(SCHEDULE.benignCanary.from), end: at(SCHEDULE.benignCanary.to) },
    { kind: 'shipper-gap', description: `The log shipper of node ${topology.nodes[2]?.name ?? '?'} sends nothing for twelve minutes.`, start: at(SCHEDULE.shipperGap.from), end: at(SCHEDULE.shipperGap.to) },
    { kind: 'rollout-new-edge', description: `llm-router rolls out v4, which starts using ${CACHE_FQDN} (a new edge that stays) beside ${PROVIDER_HOST}.`, start: at(SCHEDULE.routerRollout), end: at(SCHEDULE.routerRollout + 10 * MINUTE) },
    { kind: 'rollout', description: 'embedder rolls out v8 (the latency regression that follows is incident assist-2).', start: at(SCHEDULE.embedderRollout), end: at(SCHEDULE.embedderRollout + 10 * MINUTE) },
    { kind: 'drift-blips', description: 'The drift job\'s KS tests dip under p = 0.05 for one feature now and then, by chance, as they do in production.', start: at(0), end: at(ASSISTANT_HOURS * HOUR) },
  ];
  return { incidents, benign };
}

/** The retriever pod the attacker controls. */
export function exfiltratingPod(topology: AssistantTopology): AssistantTopology['pods'][number] {
  const pod = topology.pods.find((p) => p.app === 'retriever');
  if (pod === undefined) throw new Error('the topology has no retriever');
  return pod;
}

/** Whether `offset` falls in `[window.from, window.to)`. */
export function within(offset: number, window: { readonly from: number; readonly to: number }): boolean {
  return offset >= window.from && offset < window.to;
}
