import { callGraphOf, type CallGraph } from '../features/call-graph.js';
import { MAX_EDGES_PER_CALLER } from '../features/edge-learner.js';
import type { FeatureSnapshot, LearnedRelations } from '../features/feature-extractor.js';
import { RecencyMap } from '../features/recency-map.js';
import { ServiceRelations } from '../features/service-relations.js';

/**
 * The call graph a response stage groups cases along when detection runs on another thread: the
 * edges and relations the detection stage reports as it learns them (see
 * `FeatureExtractor.takeLearned`), applied in the order it learned them, bounded as the extractor
 * bounds its own (callers, edges per caller, principals and models).
 */
export class LearnedCallGraph {
  private readonly callers = new RecencyMap<string, Set<string>>();
  private readonly relations: ServiceRelations;
  readonly view: CallGraph;

  /** @param saved the partition's saved features: the edges a restart starts with. */
  constructor(private readonly maxCallers: number, saved?: FeatureSnapshot) {
    this.relations = new ServiceRelations(maxCallers);
    if (saved?.version === 1 && Array.isArray(saved.callers)) {
      for (const [caller, , callees] of saved.callers.slice(-maxCallers)) {
        for (const callee of callees.slice(0, MAX_EDGES_PER_CALLER)) this.edge(caller, callee);
      }
    }
    this.view = callGraphOf({ calls: (caller, callee) => this.callers.get(caller)?.has(callee) ?? false }, this.relations);
  }

  /** Applies what detection learned. */
  apply(learned: LearnedRelations): void {
    for (const [caller, callee] of learned.edges) this.edge(caller, callee);
    for (const [principal, workload] of learned.served) this.relations.served(principal, workload);
    for (const [model, workload] of learned.models) this.relations.modelServedByWorkload(model, workload);
  }

  private edge(caller: string, callee: string): void {
    let callees = this.callers.get(caller);
    if (callees === undefined) {
      callees = new Set();
      this.callers.set(caller, callees);
      if (this.callers.size > this.maxCallers) this.callers.shift();
    }
    if (callees.size < MAX_EDGES_PER_CALLER) callees.add(callee);
  }
}
