/**
 * What an Istio upstream cluster name says about the request: the logging sidecar's direction and
 * the service it was going to.
 */

/** Direction and destination read from an upstream cluster name (and the SNI for inbound). */
export interface ClusterTarget {
  readonly direction?: 'inbound' | 'outbound';
  readonly destinationService?: string;
  readonly destinationNamespace?: string;
}

const NONE: ClusterTarget = Object.freeze({});
const OUTBOUND: ClusterTarget = Object.freeze({ direction: 'outbound' });
const INBOUND: ClusterTarget = Object.freeze({ direction: 'inbound' });

/**
 * Strips the `;...` suffix that Istio 1.23-1.24 appended to `%UPSTREAM_CLUSTER%` in JSON access
 * logs (istio/istio #54219); returns the input unchanged when there is none.
 */
export function stripClusterSuffix(cluster: string): string {
  const semi = cluster.indexOf(';');
  return semi < 0 ? cluster : cluster.slice(0, semi);
}

/**
 * The namespace of a Kubernetes service FQDN `<service>.<namespace>.svc.<cluster-domain>`, or
 * undefined for any other host: the 2nd label of `edition.cnn.com` is not a namespace.
 */
export function namespaceOfServiceFqdn(fqdn: string): string | undefined {
  const first = fqdn.indexOf('.');
  if (first <= 0) return undefined;
  const second = fqdn.indexOf('.', first + 1);
  if (second <= first + 1) return undefined;
  if (!fqdn.startsWith('.svc', second)) return undefined;
  const after = second + 4;
  if (after !== fqdn.length && fqdn.charCodeAt(after) !== 46) return undefined;
  return fqdn.slice(first + 1, second);
}

function toService(fqdn: string, direction: 'inbound' | 'outbound'): ClusterTarget {
  if (fqdn.length === 0) return direction === 'outbound' ? OUTBOUND : INBOUND;
  const namespace = namespaceOfServiceFqdn(fqdn);
  // Frozen: the same object is handed to every record that names this cluster.
  return Object.freeze(
    namespace === undefined
      ? { direction, destinationService: fqdn }
      : { direction, destinationService: fqdn, destinationNamespace: namespace },
  );
}

/**
 * Reads the FQDN out of an SNI-style name `outbound_.<port>_.<subset>_.<fqdn>`, which Istio uses
 * for mTLS SNI and for gateway SNI clusters. Returns undefined for other names.
 */
export function fqdnOfSniName(name: string): string | undefined {
  if (!name.startsWith('outbound_.')) return undefined;
  const portEnd = name.indexOf('_.', 10);
  if (portEnd < 0) return undefined;
  const subsetEnd = name.indexOf('_.', portEnd + 2);
  if (subsetEnd < 0 || subsetEnd + 2 >= name.length) return undefined;
  return name.slice(subsetEnd + 2);
}

/**
 * Direction and destination from an upstream cluster name:
 * - `outbound|<port>|<subset>|<fqdn>` (and the SNI form `outbound_.<port>_.<subset>_.<fqdn>`):
 *   outbound to that FQDN;
 * - `inbound|<port>||` (pre-1.10: `inbound|<port>|<name>|<fqdn>`): inbound; the service comes from
 *   the FQDN when present, else from `sni` when it is an Istio mTLS SNI;
 * - `PassthroughCluster`, `BlackHoleCluster`: outbound, no service; `InboundPassthroughCluster*`:
 *   inbound; anything else, or none: nothing.
 */
export function parseUpstreamCluster(cluster: string | undefined, sni?: string): ClusterTarget {
  if (cluster === undefined) return NONE;
  // A mesh has few clusters and few SNIs, and every access line names one: remembering the answer
  // is cheaper than re-reading the name.
  const inboundWithoutFqdn = isInboundWithoutFqdn(cluster);
  const cache = inboundWithoutFqdn ? bySni : byCluster;
  const key = inboundWithoutFqdn ? (sni ?? '') : cluster;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const target = parseUncached(cluster, sni);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, target);
  return target;
}

/** `inbound|<port>||`, tested with charCodeAt: cheaper than two builtin calls on the hot path. */
function isInboundWithoutFqdn(cluster: string): boolean {
  const n = cluster.length;
  return (
    n > 10 &&
    cluster.charCodeAt(n - 1) === 124 &&
    cluster.charCodeAt(n - 2) === 124 &&
    cluster.charCodeAt(0) === 105 && // i
    cluster.charCodeAt(7) === 124 &&
    cluster.startsWith('inbound|')
  );
}

/** Upper bound on each cache; past it the cache starts over, so a churn of names cannot grow it. */
const CACHE_LIMIT = 4096;
const byCluster = new Map<string, ClusterTarget>();
const bySni = new Map<string, ClusterTarget>();

function parseUncached(cluster: string, sni: string | undefined): ClusterTarget {
  if (cluster.startsWith('outbound|')) {
    const portEnd = cluster.indexOf('|', 9);
    const subsetEnd = portEnd < 0 ? -1 : cluster.indexOf('|', portEnd + 1);
    if (subsetEnd < 0) return OUTBOUND;
    return toService(cluster.slice(subsetEnd + 1), 'outbound');
  }
  if (cluster.startsWith('inbound|')) {
    const portEnd = cluster.indexOf('|', 8);
    const subsetEnd = portEnd < 0 ? -1 : cluster.indexOf('|', portEnd + 1);
    const fqdn = subsetEnd < 0 ? '' : cluster.slice(subsetEnd + 1);
    if (fqdn.length > 0) return toService(fqdn, 'inbound');
    const fromSni = sni === undefined ? undefined : fqdnOfSniName(sni);
    return fromSni === undefined ? INBOUND : toService(fromSni, 'inbound');
  }
  if (cluster.startsWith('outbound_.')) {
    const fqdn = fqdnOfSniName(cluster);
    return fqdn === undefined ? OUTBOUND : toService(fqdn, 'outbound');
  }
  if (cluster === 'PassthroughCluster' || cluster === 'BlackHoleCluster') return OUTBOUND;
  if (cluster.startsWith('InboundPassthroughCluster')) return INBOUND;
  return NONE;
}
