import type { AccessLogRecord } from '../parse/records.js';
import { copyString } from '../shared/copy-string.js';
import { trustedClientAddress, normalizeIp } from './client-address.js';
import { workloadName, type Entity } from './entity.js';
import { hostOf, IpDirectory, type IpOwner } from './ip-directory.js';
import { RecencyList, type RecencyLinks } from './recency-list.js';
import { RecencyMap } from './recency-map.js';

/**
 * What kind of caller a principal is, as a label detectors and playbooks can select on: an external
 * client seen by a gateway, a mesh workload, or an address no log line has claimed.
 */
export const PRINCIPAL_LABEL = 'meshwarden.io/principal';
const EXTERNAL = Object.freeze({ [PRINCIPAL_LABEL]: 'external' });
const MESH_WORKLOAD = Object.freeze({ [PRINCIPAL_LABEL]: 'workload' });
const UNRESOLVED = Object.freeze({ [PRINCIPAL_LABEL]: 'address' });

/** A logging pod as the extractor sees it: resolved once, reused for every line it writes. */
export interface LoggingPod extends RecencyLinks<LoggingPod> {
  readonly owner: IpOwner;
  readonly workload: Entity;
  readonly pod: Entity;
  readonly gateway: boolean;
  /** `<namespace>/<workload>`: how the call graph and the relations name its workload. */
  readonly workloadPath: string;
  /** The host of the address this pod last taught the IP directory, and the directory's change count then. */
  taught?: string | undefined;
  taughtAt?: number;
}

/** Bounds of the resolver's tables, and whom it trusts. */
export interface EntityResolverOptions {
  /** Upper bound on logging pods and principals remembered. */
  readonly maxEntities: number;
  /**
   * Proxies in front of the gateways that append the client address to X-Forwarded-For (Envoy's
   * `xff_num_trusted_hops`). 0: the gateway's own peer is the client.
   */
  readonly trustedProxyHops?: number;
}

/** The caller of one line: its principal entity and, at a gateway, what the client claimed. */
export interface Caller {
  readonly principal: Entity;
  /** The head of the client-written X-Forwarded-For entries: evidence only, never a name. */
  readonly claimedForwardedFor?: string;
}

/**
 * Names the entities of an access-log line: the pod whose sidecar wrote it (and its workload) and
 * the caller it served. Keeps the address directory it learns pods' addresses into.
 */
export class EntityResolver {
  /** Pod addresses learned from the mesh's own lines. */
  readonly ips = new IpDirectory();
  /**
   * Per logging pod, by namespace and name: who owns it and its entities, built once (lines arrive
   * by the million, and are looked up without building a key). Bounded, oldest first in `podOrder`.
   */
  private readonly podOwners = new Map<string, Map<string, LoggingPod>>();
  private readonly podOrder = new RecencyList<LoggingPod>();
  /** Principal entities by name, built once each; oldest first, bounded (clients pick the names). */
  private readonly principals = new RecencyMap<string, KnownPrincipal>();
  /** `<namespace>/<workload>` of a shared workload entity: one string for all its pods. */
  private readonly workloadPaths = new WeakMap<Entity, string>();
  /** `<namespace>/<workload>` of an address's owner, made once per owner (callers by the million). */
  private readonly ownerPaths = new WeakMap<IpOwner, string>();
  /**
   * The workload entity last built per workload key: the pods of a workload share it (and its
   * name strings) while their stable labels agree, instead of each holding a copy. Bounded like the
   * logging pods.
   */
  private readonly workloads = new RecencyMap<string, Entity>();
  /**
   * Pod label sets seen, by their JSON: the pods of one ReplicaSet carry equal labels, and hold one
   * object between them. Bounded; forgotten all at once when full (equal sets are then simply
   * no longer shared).
   */
  private readonly labelSets = new Map<string, Readonly<Record<string, string>>>();
  private unattributed = 0;

  constructor(private readonly options: EntityResolverOptions) {}

  /** Lines whose caller had no valid address (nothing to name a principal by). */
  get unattributedCallers(): number {
    return this.unattributed;
  }

  /** Logging pods seen with Kubernetes metadata, oldest first. */
  loggingPods(): Iterable<LoggingPod> {
    return this.podOrder;
  }

  /** Puts back a logging pod saved with a snapshot. */
  restorePod(owner: IpOwner, labels: Readonly<Record<string, string>> | undefined): void {
    this.addPod(this.describePod(podKey(owner.namespace, owner.pod), owner, labels));
  }

  /** The pod entity of a logging pod seen with Kubernetes metadata, if this pod has been seen. */
  knownPod(namespace: string, pod: string): Entity | undefined {
    return this.podOwners.get(namespace)?.get(pod)?.pod;
  }

  /** Drops the principals whose entity is no longer tracked. */
  forgetPrincipals(tracked: (key: string) => boolean): void {
    for (const [name, known] of this.principals) if (!tracked(known.principal.key)) this.principals.delete(name);
  }

  /** The pod whose sidecar wrote the line: from the envelope, else from its own address. */
  loggingPod(r: AccessLogRecord, direction: 'inbound' | 'outbound' | undefined): LoggingPod | undefined {
    const meta = r.kubernetes;
    if (meta?.pod !== undefined && meta.namespace !== undefined) {
      let logging = this.podOwners.get(meta.namespace)?.get(meta.pod);
      if (logging === undefined) {
        const owner: IpOwner = { namespace: meta.namespace, pod: meta.pod, workload: workloadName(meta.pod, meta.labels) ?? meta.pod };
        logging = this.describePod(podKey(meta.namespace, meta.pod), owner, meta.labels);
        this.addPod(logging);
        if (this.podOrder.size > this.options.maxEntities) this.forgetPod(this.podOrder.oldest);
      }
      const own = direction === 'inbound' ? r.downstreamLocalAddress : direction === 'outbound' ? r.upstreamLocalAddress : undefined;
      // Nothing changed in the directory since this pod taught it this address: nothing to learn.
      if (own !== undefined && (this.ips.changes !== logging.taughtAt || !sameHost(own, logging.taught))) {
        // The host as the directory holds it (one string for both), else a copy: the address is
        // cut out of the log line. Outbound lines name the pod with a new source port each time:
        // compared by host.
        const stored = this.ips.learn(own, logging.owner);
        const host = stored ?? hostOf(own);
        logging.taught = host === undefined || host === stored ? host : copyString(host);
        logging.taughtAt = this.ips.changes;
      }
      return logging;
    }
    const owner = direction === 'inbound' ? this.ips.lookup(r.downstreamLocalAddress) : direction === 'outbound' ? this.ips.lookup(r.upstreamLocalAddress) : undefined;
    if (owner === undefined) return undefined;
    return this.podOwners.get(owner.namespace)?.get(owner.pod) ?? this.describePod(podKey(owner.namespace, owner.pod), owner, undefined);
  }

  /**
   * External callers are named by the client address the gateway (or a trusted proxy in front of
   * it) saw, never by what the client wrote in X-Forwarded-For; mesh callers by their workload.
   * A caller without a valid address is counted, not named.
   */
  callerOf(r: AccessLogRecord, gateway: boolean): Caller | undefined {
    if (gateway) {
      const client = trustedClientAddress(r.xForwardedFor, r.downstreamRemoteAddress, this.options.trustedProxyHops ?? 0);
      const ip = client.address;
      if (ip === undefined) {
        this.unattributed++;
        return undefined;
      }
      const known = this.principals.get(ip) ?? this.addPrincipal(ip, { key: `principal:${ip}`, kind: 'principal', name: ip, identity: 'ip', labels: EXTERNAL });
      return client.claimed === undefined ? known.caller : { principal: known.principal, claimedForwardedFor: client.claimed };
    }
    const caller = this.ips.lookup(r.downstreamRemoteAddress);
    if (caller) {
      let name = this.ownerPaths.get(caller);
      if (name === undefined) {
        name = `${caller.namespace}/${caller.workload}`;
        this.ownerPaths.set(caller, name);
      }
      const known = this.principals.get(name);
      if (known !== undefined) return known.caller;
      return this.addPrincipal(name, { key: `principal:${name}`, kind: 'principal', name, namespace: caller.namespace, workload: caller.workload, identity: 'mesh', labels: MESH_WORKLOAD }).caller;
    }
    const ip = normalizeIp(r.downstreamRemoteAddress);
    if (ip === undefined) {
      this.unattributed++;
      return undefined;
    }
    return (this.principals.get(ip) ?? this.addPrincipal(ip, { key: `principal:${ip}`, kind: 'principal', name: ip, identity: 'unresolved', labels: UNRESOLVED })).caller;
  }

  /**
   * Whether a gateway's outbound line forwards a request into the mesh (to a Kubernetes service or
   * a known pod) rather than to a host outside it: the bytes of a forwarded request are its
   * caller's, not the gateway's.
   */
  forwardsIntoMesh(r: AccessLogRecord): boolean {
    if (r.upstreamCluster === 'PassthroughCluster' || r.upstreamCluster === 'BlackHoleCluster') return false;
    if (r.destinationNamespace !== undefined) return true;
    if (r.destinationService !== undefined && /^[^.]+\.[^.]+\.svc(\.|$)/.test(r.destinationService)) return true;
    return this.ips.lookup(r.upstreamHost) !== undefined;
  }

  /**
   * Builds the entities of a logging pod. The pod entity's key is `key`; the workload entity is shared with the workload's other pods when it
   * would be equal to theirs.
   */
  private describePod(key: string, owner: IpOwner, podLabels: Readonly<Record<string, string>> | undefined): LoggingPod {
    const labels = podLabels === undefined ? undefined : this.sharedLabels(podLabels);
    const gateway = isGateway(owner.workload, labels);
    const built = workloadEntity(owner, labels, gateway);
    const known = this.workloads.get(built.key);
    let workload: Entity;
    if (known !== undefined && sameEntity(known, built)) {
      workload = known;
      this.workloads.touch(built.key);
    } else {
      workload = built;
      this.workloads.set(built.key, built);
      if (this.workloads.size > this.options.maxEntities) this.workloads.shift();
    }
    // The owner's names come from the shared workload entity where they are equal: one string
    // per workload and namespace, not one per pod.
    const shared: IpOwner = workload.namespace === owner.namespace && workload.name === owner.workload
      ? { namespace: workload.namespace, pod: owner.pod, workload: workload.name }
      : owner;
    let workloadPath = shared === owner ? undefined : this.workloadPaths.get(workload);
    if (workloadPath === undefined) {
      workloadPath = `${shared.namespace}/${shared.workload}`;
      if (shared !== owner) this.workloadPaths.set(workload, workloadPath);
    }
    return { owner: shared, workload, pod: podEntity(key, shared, labels, gateway), gateway, workloadPath, older: undefined, newer: undefined };
  }

  /** Adds a logging pod as the newest, in place of the one of the same name if any. */
  private addPod(logging: LoggingPod): void {
    const { namespace, pod } = logging.owner;
    let pods = this.podOwners.get(namespace);
    if (pods === undefined) {
      pods = new Map();
      this.podOwners.set(namespace, pods);
    }
    const known = pods.get(pod);
    if (known !== undefined) this.podOrder.remove(known);
    pods.set(pod, logging);
    this.podOrder.append(logging);
  }

  private forgetPod(logging: LoggingPod | undefined): void {
    if (logging === undefined) return;
    this.podOrder.remove(logging);
    const pods = this.podOwners.get(logging.owner.namespace);
    pods?.delete(logging.owner.pod);
    if (pods?.size === 0) this.podOwners.delete(logging.owner.namespace);
  }

  /** One object per distinct label set (see `labelSets`). */
  private sharedLabels(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    const json = JSON.stringify(labels);
    const known = this.labelSets.get(json);
    if (known !== undefined) return known;
    if (this.labelSets.size >= MAX_LABEL_SETS) this.labelSets.clear();
    this.labelSets.set(json, labels);
    return labels;
  }

  private addPrincipal(name: string, entity: Entity): KnownPrincipal {
    const known = new KnownPrincipal(entity);
    // Clients choose these names: the oldest goes first, in O(1), and is rebuilt if it comes back.
    if (this.principals.size >= this.options.maxEntities) this.principals.shift();
    this.principals.set(name, known);
    return known;
  }
}

/** A principal and the caller it is when the line claims nothing: one object for all its lines. */
class KnownPrincipal {
  readonly caller: Caller;
  constructor(readonly principal: Entity) {
    this.caller = { principal };
  }
}

/**
 * Whether `hostOf(address)` is `host`, without cutting the address: true only for an IPv4 or name
 * host, alone or followed by `:<port>` (false is always safe: the address is then learned again).
 */
function sameHost(address: string, host: string | undefined): boolean {
  if (host === undefined || host.length === 0 || host.charCodeAt(0) === 91 || host.includes(':') || !address.startsWith(host)) return false;
  if (address.length === host.length) return true;
  return address.charCodeAt(host.length) === 58 && !address.includes(':', host.length + 1);
}

/** Distinct pod label sets shared at most (see `EntityResolver.labelSets`). */
const MAX_LABEL_SETS = 4096;

/** The key of a pod entity, also the key of its logging pod. */
function podKey(namespace: string, pod: string): string {
  return `pod:${namespace}/${pod}`;
}

/** Whether two workload entities of the same key say the same (labels and role). */
function sameEntity(a: Entity, b: Entity): boolean {
  if (a.key !== b.key || a.role !== b.role || a.namespace !== b.namespace || a.name !== b.name) return false;
  const la = a.labels;
  const lb = b.labels;
  if (la === undefined || lb === undefined) return la === lb;
  const ka = Object.keys(la);
  const kb = Object.keys(lb);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && la[k] === lb[k]);
}

function isGateway(workload: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.istio === 'ingressgateway' || labels?.['gateway.networking.k8s.io/gateway-name'] !== undefined || workload.endsWith('ingressgateway');
}

function workloadEntity(self: IpOwner, labels: Readonly<Record<string, string>> | undefined, gateway: boolean): Entity {
  const name = self.workload;
  return {
    key: `workload:${self.namespace}/${name}`, kind: 'workload', namespace: self.namespace, name, workload: name,
    ...(labels ? { labels: stableLabels(labels) } : {}), ...(gateway ? { role: 'gateway' as const } : {}),
  };
}

function podEntity(key: string, self: IpOwner, labels: Readonly<Record<string, string>> | undefined, gateway: boolean): Entity {
  return {
    key, kind: 'pod', namespace: self.namespace, name: self.pod,
    workload: self.workload, pod: self.pod, ...(labels ? { labels } : {}), ...(gateway ? { role: 'gateway' as const } : {}),
  };
}

/** Labels shared by every pod of a workload (the pod-specific hash labels are dropped). */
function stableLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k !== 'pod-template-hash' && k !== 'controller-revision-hash' && k !== 'statefulset.kubernetes.io/pod-name') out[k] = v;
  }
  return out;
}
