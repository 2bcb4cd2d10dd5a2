import type { AccessLogRecord } from '../parse/records.js';
import type { NewEdge } from './edge-learner.js';
import type { WindowAccumulator } from './window-accumulator.js';

// What one access-log line adds to the windows of the entities it concerns.

/** `path`: the request's path without its query (see `PeerNames.pathOf`). */
export function tallyServed(acc: WindowAccumulator, r: AccessLogRecord, path: string | undefined, random: () => number): void {
  acc.requests++;
  if (r.protocol !== undefined) {
    acc.http++;
    const code = r.responseCode;
    if (code >= 400 && code < 500) {
      acc.c4xx++;
      if (code === 401 || code === 403) acc.c401403++;
    } else if (code >= 500 || code === 0) {
      acc.c5xx++;
    }
  }
  if (r.responseFlags.length > 0) acc.flagged++;
  acc.bytesIn += r.bytesReceived;
  acc.bytesOut += r.bytesSent;
  acc.addDuration(r.duration, random);
  if (path !== undefined) acc.addPath(path);
}

/** `bytes`: BYTES_RECEIVED of the outbound line (what the application sent upstream), or 0 if not its own. */
export function tallyEgress(acc: WindowAccumulator, r: AccessLogRecord, callee: string, newEdge: NewEdge | undefined, bytes: number): void {
  acc.outbound++;
  acc.egressBytes += bytes;
  acc.addPeer(callee);
  if (newEdge === undefined) return;
  if (newEdge.rollout === undefined) acc.addNewEdge(newEdge.edge);
  else acc.addRolloutEdge(newEdge.edge, newEdge.rollout);
}
