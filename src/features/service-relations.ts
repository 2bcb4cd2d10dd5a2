import { workloadName } from './entity.js';
import { RecencyMap } from './recency-map.js';

/** Workloads remembered per principal or model; the least recent goes first. */
const MAX_PER_KEY = 16;

/**
 * Which workloads served each principal, and which workloads serve each model: what the case
 * tracker relates incidents by besides the call graph's edges. Bounded twice (keys, and workloads
 * per key), so a flood of fresh client addresses costs a fixed amount of memory. Not saved with a
 * checkpoint: it is learned again from the traffic within a window or two.
 *
 * A model's workload comes from its telemetry's `pod`, which the pod's application writes: a
 * compromised application can claim another workload's model. That can only group incidents into
 * one case (one thread, one report entry), never pick an action's target.
 */
export class ServiceRelations {
  private readonly servedBy = new RecencyMap<string, string[]>();
  private readonly modelServers = new RecencyMap<string, string[]>();

  constructor(private readonly maxKeys: number) {}

  /** `workload` (`ns/app`) answered a request of `principal` (its entity key); true when that is new. */
  served(principal: string, workload: string): boolean {
    return remember(this.servedBy, principal, workload, this.maxKeys);
  }

  /**
   * The model (its entity key) reported a request served by `pod` in `namespace`. Returns the
   * workload (`ns/app`) when that is new.
   */
  modelServedBy(model: string, namespace: string, pod: string | undefined): string | undefined {
    if (pod === undefined) return undefined;
    const name = workloadName(pod, undefined);
    if (name === undefined) return undefined;
    const workload = `${namespace}/${name}`;
    return this.modelServedByWorkload(model, workload) ? workload : undefined;
  }

  /** The model is served by `workload` (`ns/app`), as another thread learned it; true when that is new. */
  modelServedByWorkload(model: string, workload: string): boolean {
    return remember(this.modelServers, model, workload, this.maxKeys);
  }

  /** Whether `workload` (`ns/app`) served the principal. */
  hasServed(workload: string, principal: string): boolean {
    return this.servedBy.get(principal)?.includes(workload) ?? false;
  }

  /** Whether `workload` (`ns/app`) serves the model. */
  serves(workload: string, model: string): boolean {
    return this.modelServers.get(model)?.includes(workload) ?? false;
  }
}

function remember(map: RecencyMap<string, string[]>, key: string, workload: string, maxKeys: number): boolean {
  const list = map.get(key);
  if (list === undefined) {
    map.set(key, [workload]);
    if (map.size > maxKeys) map.shift();
    return true;
  }
  if (list.includes(workload)) return false;
  list.push(workload);
  if (list.length > MAX_PER_KEY) list.shift();
  return true;
}
