import type { Anomaly } from '../detect/anomaly.js';

/**
 * One anomaly per id (per detector, entity and window): where several partitions judged the same
 * entity's window, each from the lines it holds (a pod's own sidecar logs in one partition, the
 * logs of the services it calls naming it as their caller in another), the verdicts become one
 * anomaly with the highest score, that verdict's entity, and every partition's evidence, the
 * highest-scoring first. Order is kept by first appearance; an id seen once is returned as is.
 */
export function mergeSameWindow(anomalies: readonly Anomaly[]): readonly Anomaly[] {
  const byId = new Map<string, Anomaly[]>();
  for (const anomaly of anomalies) {
    const same = byId.get(anomaly.id);
    if (same === undefined) byId.set(anomaly.id, [anomaly]);
    else same.push(anomaly);
  }
  if (byId.size === anomalies.length) return anomalies;
  const merged: Anomaly[] = [];
  for (const same of byId.values()) {
    const [only] = same;
    if (only === undefined) continue;
    if (same.length === 1) {
      merged.push(only);
      continue;
    }
    const ranked = [...same].sort((a, b) => b.score - a.score);
    const [best = only] = ranked;
    merged.push({ ...best, evidence: ranked.flatMap((a) => a.evidence) });
  }
  return merged;
}
