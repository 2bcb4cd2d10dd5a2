import { workloadName } from '../features/entity.js';
import { fnv1a } from '../shared/fnv1a.js';

/**
 * Where the shipper's metadata names the entity of a JSON line: the logging pod (Vector and
 * Fluent Bit `pod_name`, OTLP `k8s.pod.name`, Falco's `k8s.pod.name` field) or the model
 * (`model_telemetry.v1`, `drift_metric.v1`). Inside a JSON string a quote is escaped, so text a
 * client wrote into a field cannot spell any of these.
 */
const MARKERS: readonly { readonly marker: string; readonly kind: 'pod' | 'model' }[] = [
  { marker: '"pod_name":"', kind: 'pod' },
  { marker: '"k8s.pod.name","value":{"stringValue":"', kind: 'pod' },
  { marker: '"k8s.pod.name":"', kind: 'pod' },
  { marker: '"model":{"name":"', kind: 'model' },
];

/** Longest name read: Kubernetes names are at most 253 characters. */
const MAX_NAME = 253;

/** Entity keys remembered by name at most (see {@link EntityKeyCache}); past it, the cache starts over. */
const MAX_CACHED_NAMES = 4_096;

/**
 * Entity keys by the name a line carried, so a workload's pods are not matched against the
 * pod-name pattern once per line. Bounded: a flood of names only empties it.
 */
export class EntityKeyCache {
  private readonly keys = new Map<string, string>();

  keyOf(kind: 'pod' | 'model', name: string): string {
    const cacheKey = kind === 'pod' ? name : `\0${name}`;
    const known = this.keys.get(cacheKey);
    if (known !== undefined) return known;
    const key = entityKey(kind, name);
    if (this.keys.size >= MAX_CACHED_NAMES) this.keys.clear();
    this.keys.set(cacheKey, key);
    return key;
  }
}

/**
 * The entity a line belongs to, read cheaply (a few substring searches, no parse): the workload of
 * its logging pod or its model, or undefined (a TEXT line, or a line without such metadata).
 */
export function replayEntityKey(line: string, cache?: EntityKeyCache): string | undefined {
  if (line.charCodeAt(0) !== 123) return undefined;
  for (const { marker, kind } of MARKERS) {
    const at = line.indexOf(marker);
    if (at < 0) continue;
    const start = at + marker.length;
    const end = line.indexOf('"', start);
    if (end < 0 || end - start > MAX_NAME || end === start) return undefined;
    const name = line.slice(start, end);
    return cache !== undefined ? cache.keyOf(kind, name) : entityKey(kind, name);
  }
  return undefined;
}

/** The key of a model, or of a logging pod's workload. */
function entityKey(kind: 'pod' | 'model', name: string): string {
  return kind === 'model' ? `model:${name}` : `workload:${workloadName(name, undefined) ?? name}`;
}

/** A stable hash (FNV-1a) of an entity key onto `partitions` partitions. */
export function hashPartition(key: string, partitions: number): number {
  if (partitions <= 1) return 0;
  return fnv1a(key) % partitions;
}
