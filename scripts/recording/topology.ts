/**
 * The simulated mesh: nodes, pods, services and external clients of the `ml-prod` namespace,
 * with the `istio-system` ingress gateway in front. Everything is derived from the seed, so the
 * same seed names the same pods and addresses.
 */
import { Prng } from './prng.js';

/** How a node's log pipeline ships `istio-proxy` lines to Kafka. */
export type Shipper = 'fluent-bit' | 'vector' | 'otlp-json' | 'raw';

/** A Kubernetes node and the mix of log shippers that read its container logs. */
export interface NodeInfo {
  readonly name: string;
  readonly ip: string;
  /** The first three octets of the node's pod CIDR, e.g. `10.42.1`. */
  readonly podSubnet: string;
  /** Relative weights of the shippers; a node mid-migration runs two pipelines. */
  readonly shipping: readonly (readonly [Shipper, number])[];
}

/** The apps of the simulated mesh. */
export type AppName = 'istio-ingressgateway' | 'frontend' | 'inference' | 'feature-store' | 'auth';

/** One pod with an `istio-proxy` container whose access log is recorded. */
export interface PodInfo {
  readonly name: string;
  readonly namespace: string;
  readonly app: string;
  readonly templateHash: string;
  readonly replicaSet: string;
  readonly ip: string;
  readonly node: NodeInfo;
  readonly uid: string;
  /** 64 hex characters, the containerd id of the `istio-proxy` container. */
  readonly containerId: string;
  readonly proxyVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The pod receives traffic in [activeFromMs, activeUntilMs). */
  readonly activeFromMs: number;
  readonly activeUntilMs: number;
}

/** A Kubernetes Service as the client sidecar sees it. */
export interface ServiceInfo {
  readonly name: string;
  readonly namespace: string;
  readonly fqdn: string;
  readonly port: number;
  readonly targetPort: number;
  readonly clusterIp: string;
  /** The `:authority` clients of this service usually send. */
  readonly authority: string;
}

/** An external client of the public API, identified by its address. */
export interface ClientInfo {
  readonly ip: string;
  readonly kind: 'api' | 'browser';
  readonly userAgent: string;
  readonly weight: number;
}

/** The benign rolling restart of `frontend` on day 1. */
export interface RollingRestart {
  readonly startMs: number;
  readonly endMs: number;
  readonly oldPods: readonly PodInfo[];
  readonly newPods: readonly PodInfo[];
}

/** The whole simulated mesh. */
export interface Topology {
  readonly namespace: string;
  readonly publicHost: string;
  readonly nodes: readonly NodeInfo[];
  readonly pods: readonly PodInfo[];
  readonly services: {
    readonly frontend: ServiceInfo;
    readonly inference: ServiceInfo;
    readonly featureStore: ServiceInfo;
    readonly auth: ServiceInfo;
    readonly vault: ServiceInfo;
    readonly kubernetes: ServiceInfo;
  };
  /** Endpoints of services whose own sidecars are not part of the recording. */
  readonly unrecordedEndpoints: { readonly vault: string; readonly kubernetes: string };
  readonly clients: readonly ClientInfo[];
  /** Present when the run is long enough to contain it. */
  readonly rollingRestart: RollingRestart | undefined;
  /** Container image digests per proxy version, for the shipper envelopes. */
  readonly proxyDigests: Readonly<Record<string, string>>;
}

/** Namespace of the workloads. */
export const NAMESPACE = 'ml-prod';
/** Namespace of the ingress gateway. */
export const GATEWAY_NAMESPACE = 'istio-system';
/** External address of the credential-stuffing client; never used by benign clients. */
export const ATTACKER_IP = '203.0.113.77';
/** External address the exfiltration uploads go to; never used by benign clients. */
export const EXFIL_IP = '198.51.100.23';
/** TLS server name of the exfiltration destination. */
export const EXFIL_SNI = 'storage.example-exfil.net';

/** When the benign rolling restart of `frontend` starts, relative to the start of the run. */
export const ROLLING_RESTART_OFFSET_MS = (14 * 60 + 30) * 60_000;
/** Time between two pod replacements of the rolling restart. */
const RESTART_STEP_MS = 45_000;

// Deployments, in the order their pods are created, and the nodes they land on (round robin).
const DEPLOYMENTS: readonly {
  readonly app: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly nodes: readonly number[];
  readonly version: string | undefined;
  readonly proxyVersion: string;
}[] = [
  // The data plane is mid-upgrade: the gateway and the ML pods run newer proxies than the
  // auth and feature-store pods, which is why both TEXT variants of Istio appear.
  { app: 'istio-ingressgateway', namespace: GATEWAY_NAMESPACE, replicas: 2, nodes: [0, 1], version: undefined, proxyVersion: '1.25.2' },
  { app: 'frontend', namespace: NAMESPACE, replicas: 3, nodes: [0, 1, 2], version: 'v1.8.2', proxyVersion: '1.24.2' },
  { app: 'inference', namespace: NAMESPACE, replicas: 3, nodes: [0, 1, 2], version: 'v3', proxyVersion: '1.24.2' },
  { app: 'feature-store', namespace: NAMESPACE, replicas: 2, nodes: [1, 2], version: 'v0.40.1', proxyVersion: '1.22.6' },
  { app: 'auth', namespace: NAMESPACE, replicas: 2, nodes: [0, 2], version: 'v2.3.0', proxyVersion: '1.22.6' },
];

// Kubernetes' "safe" alphabet for generated name suffixes (no vowels, no confusable digits).
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const BROWSER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.86 Mobile Safari/537.36',
];

const API_AGENTS = [
  'acme-pay-sdk-python/2.4.1',
  'acme-pay-sdk-java/3.1.0',
  'acme-pay-sdk-node/1.9.3',
  'okhttp/4.12.0',
  'Go-http-client/2.0',
];

function buildNodes(): NodeInfo[] {
  return [
    { name: 'ip-10-0-1-11.eu-west-1.compute.internal', ip: '10.0.1.11', podSubnet: '10.42.0', shipping: [['fluent-bit', 0.9], ['raw', 0.1]] },
    { name: 'ip-10-0-2-12.eu-west-1.compute.internal', ip: '10.0.2.12', podSubnet: '10.42.1', shipping: [['fluent-bit', 0.55], ['vector', 0.35], ['raw', 0.1]] },
    { name: 'ip-10-0-3-13.eu-west-1.compute.internal', ip: '10.0.3.13', podSubnet: '10.42.2', shipping: [['fluent-bit', 0.35], ['otlp-json', 0.55], ['raw', 0.1]] },
  ];
}

function nodeAt(nodes: readonly NodeInfo[], index: number | undefined): NodeInfo {
  const node = nodes[(index ?? 0) % nodes.length];
  if (node === undefined) throw new Error('topology has no nodes');
  return node;
}

/**
 * Builds the mesh for a run starting at `startMs` and lasting `durationMs`. The rolling restart
 * of `frontend` is only scheduled when the run reaches it.
 */
export function buildTopology(seed: number, startMs: number, durationMs: number): Topology {
  const rng = new Prng(seed, 'topology');
  const nodes = buildNodes();
  const usedIps = new Set<string>();
  const podIp = (node: NodeInfo): string => {
    for (;;) {
      const ip = `${node.podSubnet}.${rng.int(4, 250)}`;
      if (!usedIps.has(ip)) {
        usedIps.add(ip);
        return ip;
      }
    }
  };
  const longAgo = startMs - 3 * 86_400_000;
  const pods: PodInfo[] = [];
  const makePod = (
    spec: (typeof DEPLOYMENTS)[number],
    templateHash: string,
    node: NodeInfo,
    activeFromMs: number,
    activeUntilMs: number,
  ): PodInfo => {
    const replicaSet = `${spec.app}-${templateHash}`;
    const labels: Record<string, string> =
      spec.app === 'istio-ingressgateway'
        ? {
            app: spec.app,
            istio: 'ingressgateway',
            'istio.io/rev': 'default',
            'pod-template-hash': templateHash,
            'service.istio.io/canonical-name': spec.app,
            'service.istio.io/canonical-revision': 'latest',
            'sidecar.istio.io/inject': 'false',
          }
        : {
            app: spec.app,
            version: spec.version ?? 'v1',
            'pod-template-hash': templateHash,
            'security.istio.io/tlsMode': 'istio',
            'service.istio.io/canonical-name': spec.app,
            'service.istio.io/canonical-revision': spec.version ?? 'v1',
          };
    return {
      name: `${replicaSet}-${rng.chars(NAME_ALPHABET, 5)}`,
      namespace: spec.namespace,
      app: spec.app,
      templateHash,
      replicaSet,
      ip: podIp(node),
      node,
      uid: rng.uuid(),
      containerId: rng.hex(64),
      proxyVersion: spec.proxyVersion,
      labels,
      activeFromMs,
      activeUntilMs,
    };
  };

  let rollingRestart: RollingRestart | undefined;
  const restartStart = startMs + ROLLING_RESTART_OFFSET_MS;
  const restartInRun = ROLLING_RESTART_OFFSET_MS + 4 * RESTART_STEP_MS < durationMs;
  for (const spec of DEPLOYMENTS) {
    const templateHash = rng.chars(NAME_ALPHABET, 10);
    const restarts = spec.app === 'frontend' && restartInRun;
    const current: PodInfo[] = [];
    for (let i = 0; i < spec.replicas; i++) {
      // maxSurge 1 / maxUnavailable 0: replacement i becomes ready, then old pod i stops.
      const until = restarts ? restartStart + i * RESTART_STEP_MS + 25_000 : Number.POSITIVE_INFINITY;
      current.push(makePod(spec, templateHash, nodeAt(nodes, spec.nodes[i]), longAgo, until));
    }
    pods.push(...current);
    if (restarts) {
      const newHash = rng.chars(NAME_ALPHABET, 10);
      const replaced: PodInfo[] = [];
      for (let i = 0; i < spec.replicas; i++) {
        const from = restartStart + i * RESTART_STEP_MS + 20_000;
        // New pods land on other nodes than the ones they replace, as the scheduler spreads them.
        replaced.push(makePod(spec, newHash, nodeAt(nodes, (spec.nodes[i] ?? 0) + 1), from, Number.POSITIVE_INFINITY));
      }
      pods.push(...replaced);
      rollingRestart = {
        startMs: restartStart,
        endMs: restartStart + (spec.replicas - 1) * RESTART_STEP_MS + 30_000,
        oldPods: current,
        newPods: replaced,
      };
    }
  }

  const svc = (name: string, namespace: string, port: number, targetPort: number, clusterIp: string, authority: string): ServiceInfo => ({
    name,
    namespace,
    fqdn: `${name}.${namespace}.svc.cluster.local`,
    port,
    targetPort,
    clusterIp,
    authority,
  });
  const services = {
    frontend: svc('frontend', NAMESPACE, 8080, 8080, `10.96.${rng.int(1, 254)}.${rng.int(1, 254)}`, 'frontend:8080'),
    inference: svc('inference', NAMESPACE, 8080, 8080, `10.96.${rng.int(1, 254)}.${rng.int(1, 254)}`, 'inference.ml-prod.svc.cluster.local:8080'),
    featureStore: svc('feature-store', NAMESPACE, 6566, 6566, `10.96.${rng.int(1, 254)}.${rng.int(1, 254)}`, 'feature-store:6566'),
    auth: svc('auth', NAMESPACE, 8080, 8080, `10.96.${rng.int(1, 254)}.${rng.int(1, 254)}`, 'auth:8080'),
    vault: svc('vault', 'vault', 8200, 8200, `10.96.${rng.int(1, 254)}.${rng.int(1, 254)}`, 'vault.vault.svc.cluster.local:8200'),
    kubernetes: svc('kubernetes', 'default', 443, 443, '10.96.0.1', 'kubernetes.default.svc'),
  };

  const proxyDigests: Record<string, string> = {};
  for (const spec of DEPLOYMENTS) proxyDigests[spec.proxyVersion] ??= rng.hex(64);

  return {
    namespace: NAMESPACE,
    publicHost: 'api.acme-pay.example',
    nodes,
    pods,
    services,
    unrecordedEndpoints: {
      vault: `10.42.${rng.int(0, 2)}.${rng.int(4, 250)}:8200`,
      kubernetes: `10.0.${rng.int(32, 63)}.${rng.int(4, 250)}:443`,
    },
    clients: buildClients(rng),
    rollingRestart,
    proxyDigests,
  };
}

/**
 * A few hundred external clients from the documentation address ranges (RFC 5737), skewed so a
 * handful of merchants' API integrations carry most of the traffic, as on a real payments API.
 */
function buildClients(rng: Prng): ClientInfo[] {
  const reserved = new Set([ATTACKER_IP, EXFIL_IP]);
  const prefixes = ['192.0.2', '198.51.100', '203.0.113'];
  const ips = new Set<string>();
  while (ips.size < 320) {
    const ip = `${rng.pick(prefixes)}.${rng.int(1, 254)}`;
    if (!reserved.has(ip)) ips.add(ip);
  }
  const clients: ClientInfo[] = [];
  let rank = 0;
  for (const ip of ips) {
    const isApi = rank < 40 || rng.chance(0.15);
    clients.push({
      ip,
      kind: isApi ? 'api' : 'browser',
      userAgent: isApi ? rng.pick(API_AGENTS) : rng.pick(BROWSER_AGENTS),
      // Merchant integrations (the first 40) send far more than a person in a browser.
      weight: isApi ? 12 / (1 + rank / 8) + 1 : 0.6,
    });
    rank++;
  }
  return clients;
}

/** The pods of `app` that receive traffic at `atMs`. */
export function activePods(topology: Topology, app: AppName, atMs: number): PodInfo[] {
  return topology.pods.filter((p) => p.app === app && p.activeFromMs <= atMs && atMs < p.activeUntilMs);
}

/** The pod of `app` whose name is used for an incident, chosen by its node. */
export function podOnNode(topology: Topology, app: AppName, nodeIndex: number, atMs: number): PodInfo {
  const node = nodeAt(topology.nodes, nodeIndex);
  const pod = activePods(topology, app, atMs).find((p) => p.node === node);
  if (pod === undefined) throw new Error(`no ${app} pod on node ${node.name}`);
  return pod;
}
