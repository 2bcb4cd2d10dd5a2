import type { AccessLogRecord } from '../parse/records.js';
import { copyString } from '../shared/copy-string.js';
import { hostOf } from './ip-directory.js';

/** Distinct request paths shared; past it the cache starts over. */
const MAX_CACHED_PATHS = 4096;
/** Destination services whose callee name is remembered; past it the cache starts over. */
const MAX_CACHED_CALLEES = 4096;

/**
 * The names an access-log line gives its request and its peers, one string per distinct name:
 * windows keep paths and callees for their distinct counts and evidence, and a mesh has few of
 * each, named in line after line. Both caches are bounded and start over when full.
 */
export class PeerNames {
  /** Request paths seen lately, each one string (bounded: emptied when full). */
  private readonly paths = new Map<string, string>();
  /** Destination service -> callee name (bounded: emptied when full). */
  private readonly callees = new Map<string, string>();

  /**
   * The request's path without its query, one string per distinct path: windows keep their paths,
   * and a mesh serves few, each in every line.
   */
  pathOf(r: AccessLogRecord): string | undefined {
    const raw = r.path;
    if (raw === undefined) return undefined;
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const known = this.paths.get(path);
    if (known !== undefined) return known;
    // Clients choose paths: bounded, and a copy (a cut string would keep its whole line alive).
    if (this.paths.size >= MAX_CACHED_PATHS) this.paths.clear();
    const copy = copyString(path);
    this.paths.set(copy, copy);
    return copy;
  }

  /** The callee of an outbound request: `service.namespace` inside the mesh, else the external host. */
  calleeOf(r: AccessLogRecord): string {
    const service = r.destinationService;
    if (service === undefined) return r.requestedServerName ?? r.authority ?? hostOf(r.upstreamHost) ?? r.upstreamCluster ?? 'unknown';
    // A mesh has few services, and the parser hands out one string per cluster name.
    let callee = this.callees.get(service);
    if (callee === undefined) {
      callee = calleeOfService(service);
      if (this.callees.size >= MAX_CACHED_CALLEES) this.callees.clear();
      this.callees.set(service, callee);
    }
    return callee;
  }
}

/** Which side of the request the logging sidecar was on, from the line or its upstream cluster. */
export function directionOf(r: AccessLogRecord): 'inbound' | 'outbound' | undefined {
  if (r.direction !== undefined) return r.direction;
  switch (r.upstreamCluster) {
    case 'PassthroughCluster':
    case 'BlackHoleCluster':
      return 'outbound';
    case 'InboundPassthroughCluster':
    case 'InboundPassthroughClusterIpv4':
    case 'InboundPassthroughClusterIpv6':
      return 'inbound';
    default:
      return undefined;
  }
}

/** `service.namespace` for a Kubernetes service FQDN, else the name itself. */
function calleeOfService(service: string): string {
  const inMesh = /^([^.]+)\.([^.]+)\.svc(\.|$)/.exec(service);
  return inMesh ? `${inMesh[1] ?? ''}.${inMesh[2] ?? ''}` : service;
}
