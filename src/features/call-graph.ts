import type { EdgeLearner } from './edge-learner.js';
import type { Entity } from './entity.js';
import type { ServiceRelations } from './service-relations.js';

/** How entities talk, as the case tracker asks it. */
export interface CallGraph {
  calls(caller: Entity, callee: Entity): boolean;
  served(workload: Entity, principal: Entity): boolean;
  serves(workload: Entity, model: Entity): boolean;
}

/**
 * How entities talk, as learned so far: caller -> callee edges between workloads (a callee
 * `<service>.<namespace>` is the workload of that name), the workloads that served a principal,
 * and the workloads serving a model. Pods answer for their workload. A live view: it answers from
 * what is learned when asked.
 */
export function callGraphOf(edges: Pick<EdgeLearner, 'calls'>, relations: Pick<ServiceRelations, 'hasServed' | 'serves'>): CallGraph {
  const workloadOf = (e: Entity): string | undefined =>
    e.namespace === undefined ? undefined : e.kind === 'workload' ? `${e.namespace}/${e.name}` : e.kind === 'pod' && e.workload !== undefined ? `${e.namespace}/${e.workload}` : undefined;
  return {
    calls: (caller, callee) => {
      const from = workloadOf(caller);
      const to = workloadOf(callee);
      if (from === undefined || to === undefined || callee.namespace === undefined) return false;
      const service = `${to.slice(callee.namespace.length + 1)}.${callee.namespace}`;
      return edges.calls(from, service);
    },
    served: (workload, principal) => {
      const w = workloadOf(workload);
      return w !== undefined && principal.kind === 'principal' && relations.hasServed(w, principal.key);
    },
    serves: (workload, model) => {
      const w = workloadOf(workload);
      return w !== undefined && model.kind === 'model' && relations.serves(w, model.key);
    },
  };
}
