import type { AccessLogRecord } from '../parse/records.js';
import { workloadName, type Entity } from './entity.js';
import { IpDirectory, hostOf, type IpOwner } from './ip-directory.js';

/**
 * What kind of caller a principal is, as a label detectors and playbooks can select on: an external
 * client seen by a gateway, a mesh workload, or an address no log line has claimed.
 */
export const PRINCIPAL_LABEL = 'meshwarden.io/principal';
const EXTERNAL = Object.freeze({ [PRINCIPAL_LABEL]: 'external' });
const MESH_WORKLOAD = Object.freeze({ [PRINCIPAL_LABEL]: 'workload' });
const UNRESOLVED = Object.freeze({ [PRINCIPAL_LABEL]: 'address' });

/** A logging pod as the extractor sees it: resolved once, reused for every line it writes. */
export interface LoggingPod {
  readonly owner: IpOwner;
  readonly workload: Entity;
  readonly pod: Entity;
  readonly gateway: boolean;
  /** The address this pod last taught the IP directory, and the directory's change count then. */
  taught?: string;
  taughtAt?: number;
}

/** Bounds of the resolver's tables. */
export interface EntityResolverOptions {
  /** Upper bound on logging pods and principals remembered. */
  readonly maxEntities: number;
}

/**
 * Names the entities of an access-log line: the pod whose sidecar wrote it (and its workload) and
 * the caller it served. Keeps the address directory it learns pods' addresses into.
 */
export class EntityResolver {
  /** Pod addresses learned from the mesh's own lines. */
  readonly ips = new IpDirectory();
  /** Per logging pod: who owns it and its entities, built once (lines arrive by the million). */
  private readonly podOwners = new Map<string, LoggingPod>();
  /** Principal entities by name, built once each. */
  private readonly principals = new Map<string, Entity>();

  constructor(private readonly options: EntityResolverOptions) {}

  /** Logging pods seen with Kubernetes metadata, oldest first. */
  loggingPods(): IterableIterator<LoggingPod> {
    return this.podOwners.values();
  }

  /** Puts back a logging pod saved with a snapshot. */
  restorePod(owner: IpOwner, labels: Readonly<Record<string, string>> | undefined): void {
    this.podOwners.set(`${owner.namespace}/${owner.pod}`, describePod(owner, labels));
  }

  /** Drops the principals whose entity is no longer tracked. */
  forgetPrincipals(tracked: (key: string) => boolean): void {
    for (const [name, principal] of this.principals) if (!tracked(principal.key)) this.principals.delete(name);
  }

  /** The pod whose sidecar wrote the line: from the envelope, else from its own address. */
  loggingPod(r: AccessLogRecord, direction: 'inbound' | 'outbound' | undefined): LoggingPod | undefined {
    const meta = r.kubernetes;
    if (meta?.pod !== undefined && meta.namespace !== undefined) {
      const podKey = `${meta.namespace}/${meta.pod}`;
      let logging = this.podOwners.get(podKey);
      if (logging === undefined) {
        const owner: IpOwner = { namespace: meta.namespace, pod: meta.pod, workload: workloadName(meta.pod, meta.labels) ?? meta.pod };
        logging = describePod(owner, meta.labels);
        this.podOwners.set(podKey, logging);
        if (this.podOwners.size > this.options.maxEntities) {
          const oldest = this.podOwners.keys().next();
          if (oldest.done !== true) this.podOwners.delete(oldest.value);
        }
      }
      const own = direction === 'inbound' ? r.downstreamLocalAddress : direction === 'outbound' ? r.upstreamLocalAddress : undefined;
      // Nothing changed in the directory since this pod taught it this address: nothing to learn.
      if (own !== undefined && (own !== logging.taught || this.ips.changes !== logging.taughtAt)) {
        this.ips.learn(own, logging.owner);
        // A copy: the address is cut out of the log line, and V8 keeps a cut string's whole line alive.
        logging.taught = Buffer.from(own, 'utf8').toString('utf8');
        logging.taughtAt = this.ips.changes;
      }
      return logging;
    }
    const owner = direction === 'inbound' ? this.ips.lookup(r.downstreamLocalAddress) : direction === 'outbound' ? this.ips.lookup(r.upstreamLocalAddress) : undefined;
    if (owner === undefined) return undefined;
    return this.podOwners.get(`${owner.namespace}/${owner.pod}`) ?? describePod(owner, undefined);
  }

  /** External callers are named by the client address a gateway saw; mesh callers by their workload. */
  principalOf(r: AccessLogRecord, gateway: boolean): Entity | undefined {
    if (gateway) {
      const client = firstForwardedFor(r.xForwardedFor) ?? hostOf(r.downstreamRemoteAddress);
      return client === undefined ? undefined : this.principal(client, () => ({ key: `principal:${client}`, kind: 'principal', name: client, labels: EXTERNAL }));
    }
    const caller = this.ips.lookup(r.downstreamRemoteAddress);
    if (caller) {
      const name = `${caller.namespace}/${caller.workload}`;
      return this.principal(name, () => ({ key: `principal:${name}`, kind: 'principal', name, namespace: caller.namespace, workload: caller.workload, labels: MESH_WORKLOAD }));
    }
    const ip = hostOf(r.downstreamRemoteAddress);
    return ip === undefined ? undefined : this.principal(ip, () => ({ key: `principal:${ip}`, kind: 'principal', name: ip, labels: UNRESOLVED }));
  }

  private principal(name: string, build: () => Entity): Entity {
    let entity = this.principals.get(name);
    if (entity === undefined) {
      entity = build();
      this.principals.set(name, entity);
    }
    return entity;
  }
}

function describePod(owner: IpOwner, labels: Readonly<Record<string, string>> | undefined): LoggingPod {
  return { owner, workload: workloadEntity(owner, labels), pod: podEntity(owner, labels), gateway: isGateway(owner.workload, labels) };
}

function firstForwardedFor(xff: string | undefined): string | undefined {
  if (xff === undefined) return undefined;
  const comma = xff.indexOf(',');
  const first = (comma < 0 ? xff : xff.slice(0, comma)).trim();
  return first === '' ? undefined : first;
}

function isGateway(workload: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.istio === 'ingressgateway' || labels?.['gateway.networking.k8s.io/gateway-name'] !== undefined || workload.endsWith('ingressgateway');
}

function workloadEntity(self: IpOwner, labels: Readonly<Record<string, string>> | undefined): Entity {
  const name = self.workload;
  return {
    key: `workload:${self.namespace}/${name}`, kind: 'workload', namespace: self.namespace, name, workload: name,
    ...(labels ? { labels: stableLabels(labels) } : {}),
  };
}

function podEntity(self: IpOwner, labels: Readonly<Record<string, string>> | undefined): Entity {
  return {
    key: `pod:${self.namespace}/${self.pod}`, kind: 'pod', namespace: self.namespace, name: self.pod,
    workload: self.workload, pod: self.pod, ...(labels ? { labels } : {}),
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
