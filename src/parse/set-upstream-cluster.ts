import type { MutableAccessLogRecord } from './access-log-context.js';
import { parseUpstreamCluster } from './parse-upstream-cluster.js';

/**
 * Sets a TEXT access-log record's upstream cluster and what it says about direction and
 * destination (the SNI names the service of an inbound cluster without one).
 */
export function setUpstreamCluster(
  record: MutableAccessLogRecord,
  upstreamCluster: string,
  sni: string | undefined,
): void {
  record.upstreamCluster = upstreamCluster;
  const target = parseUpstreamCluster(upstreamCluster, sni);
  if (target.direction !== undefined) record.direction = target.direction;
  if (target.destinationService !== undefined) record.destinationService = target.destinationService;
  if (target.destinationNamespace !== undefined) record.destinationNamespace = target.destinationNamespace;
}
