/**
 * The mesh of the second scenario: a retrieval-augmented chat assistant, built independently of
 * the bundled recording's fraud-scoring mesh. Another namespace, other apps and call graph, an
 * external model provider, another node and shipper layout, and two rollouts.
 */
import { Prng } from '../../recording/prng.js';
import type { NodeInfo, PodInfo, ServiceInfo } from '../../recording/topology.js';

export const ASSIST_NAMESPACE = 'assist';
export const GATEWAY_NAMESPACE = 'istio-system';
export const PUBLIC_HOST = 'assistant.example.org';
/** The external model provider every completion goes to (a ServiceEntry, TLS pass-through). */
export const PROVIDER_HOST = 'api.llm-provider.example';
/** Where the exfiltrating retriever pod uploads to: no workload ever contacted it before. */
export const DROP_HOST = 'backup.files-drop.example';
export const DROP_IP = '203.0.113.200';
/** The prompt cache the llm-router's new version starts using (no sidecar: not recorded). */
export const CACHE_FQDN = `prompt-cache.${ASSIST_NAMESPACE}.svc.cluster.local`;

/** A Deployment's pods before and after a rollout at `atMs` (the new ones come up over five minutes). */
export interface Rollout {
  readonly app: string;
  readonly atMs: number;
  readonly oldPods: readonly PodInfo[];
  readonly newPods: readonly PodInfo[];
  readonly newVersion: string;
}

/** The whole assistant mesh. */
export interface AssistantTopology {
  readonly nodes: readonly NodeInfo[];
  readonly pods: readonly PodInfo[];
  readonly services: Readonly<Record<'chat' | 'retriever' | 'embedder' | 'vectorDb' | 'router', ServiceInfo>>;
  /** External clients of the public API (browsers and integrations), by address. */
  readonly clients: readonly { readonly ip: string; readonly userAgent: string }[];
  readonly rollouts: { readonly router: Rollout; readonly embedder: Rollout };
  readonly proxyDigests: Readonly<Record<string, string>>;
}

const PROXY_VERSION = '1.27.3';

const NODES: readonly NodeInfo[] = [
  { name: 'pool-a-7f3k2', ip: '10.60.0.11', podSubnet: '10.60.1', shipping: [['fluent-bit', 1]] },
  { name: 'pool-a-9q8w4', ip: '10.60.0.12', podSubnet: '10.60.2', shipping: [['vector', 1]] },
  { name: 'pool-b-2m5x1', ip: '10.60.0.13', podSubnet: '10.60.3', shipping: [['otlp-json', 0.8], ['raw', 0.2]] },
];

function service(name: string, port: number, targetPort: number, clusterIp: string): ServiceInfo {
  const fqdn = `${name}.${ASSIST_NAMESPACE}.svc.cluster.local`;
  return { name, namespace: ASSIST_NAMESPACE, fqdn, port, targetPort, clusterIp, authority: `${name}:${port}` };
}

/** Builds the mesh: deterministic for a seed. */
export function buildAssistantTopology(seed: number, startMs: number, endMs: number, rolloutTimes: { router: number; embedder: number }): AssistantTopology {
  const rng = new Prng(seed, 'assistant-topology');
  let podIndex = 0;
  const pods: PodInfo[] = [];
  const pod = (app: string, namespace: string, templateHash: string, version: string, fromMs: number, untilMs: number): PodInfo => {
    const node = NODES[podIndex % NODES.length] ?? NODES[0];
    podIndex++;
    if (node === undefined) throw new Error('no nodes');
    const suffix = rng.chars('bcdfghjklmnpqrstvwxz2456789', 5);
    const info: PodInfo = {
      name: `${app}-${templateHash}-${suffix}`,
      namespace,
      app,
      templateHash,
      replicaSet: `${app}-${templateHash}`,
      ip: `${node.podSubnet}.${10 + podIndex}`,
      node,
      uid: rng.uuid(),
      containerId: rng.hex(64),
      proxyVersion: PROXY_VERSION,
      labels: { app, version, 'pod-template-hash': templateHash, 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': app },
      activeFromMs: fromMs,
      activeUntilMs: untilMs,
    };
    pods.push(info);
    return info;
  };
  const hash = (): string => rng.chars('bcdfghjklmnpqrstvwxz2456789', 10);
  const replicas = (app: string, namespace: string, n: number, version: string, fromMs = startMs, untilMs = endMs): PodInfo[] => {
    const h = hash();
    return Array.from({ length: n }, () => pod(app, namespace, h, version, fromMs, untilMs));
  };
  replicas('istio-ingressgateway', GATEWAY_NAMESPACE, 2, '1.27.3');
  replicas('chat-api', ASSIST_NAMESPACE, 3, 'v12');
  replicas('retriever', ASSIST_NAMESPACE, 2, 'v4');
  replicas('vector-db', ASSIST_NAMESPACE, 2, 'v1.9');
  const rollout = (app: string, n: number, oldVersion: string, newVersion: string, atMs: number): Rollout => {
    const oldPods = replicas(app, ASSIST_NAMESPACE, n, oldVersion, startMs, atMs + 5 * 60_000);
    const h = hash();
    const newPods = Array.from({ length: n }, (_, i) => pod(app, ASSIST_NAMESPACE, h, newVersion, atMs + i * 2 * 60_000, endMs));
    return { app, atMs, oldPods, newPods, newVersion };
  };
  const router = rollout('llm-router', 2, 'v3', 'v4', rolloutTimes.router);
  const embedder = rollout('embedder', 2, 'v7', 'v8', rolloutTimes.embedder);
  const clients = Array.from({ length: 60 }, (_, i) => ({
    ip: `100.${64 + (i % 8)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    userAgent: i % 4 === 0 ? 'assistant-sdk-python/2.3.1' : 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  }));
  return {
    nodes: NODES,
    pods,
    services: {
      chat: service('chat-api', 8080, 8080, '10.96.40.10'),
      retriever: service('retriever', 8080, 8080, '10.96.40.11'),
      embedder: service('embedder', 8080, 8080, '10.96.40.12'),
      vectorDb: service('vector-db', 6333, 6333, '10.96.40.13'),
      router: service('llm-router', 8080, 8080, '10.96.40.14'),
    },
    clients,
    rollouts: { router, embedder },
    proxyDigests: { [PROXY_VERSION]: rng.hex(64) },
  };
}

/** The pods of `app` serving at `atMs`. */
export function podsOf(topology: AssistantTopology, app: string, atMs: number): PodInfo[] {
  return topology.pods.filter((p) => p.app === app && p.activeFromMs <= atMs && atMs < p.activeUntilMs);
}
