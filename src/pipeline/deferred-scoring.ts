import type { Anomaly } from '../detect/anomaly.js';
import type { AutoencoderDetector } from '../detect/autoencoder/autoencoder-detector.js';
import { DetectorRuntime } from '../detect/detector-runtime.js';
import type { DetectorSpec } from '../detect/detector-spec.js';
import type { ClosedGroup, DetectorTally } from './closed-group.js';

/** The detectors a worker's detection stage runs, and the ones deferred to the thread that trains them. */
export function splitDetectors(detectors: readonly DetectorSpec[]): { readonly local: DetectorSpec[]; readonly deferred: DetectorSpec[] } {
  return {
    local: detectors.filter((d) => d.spec.autoencoder === undefined),
    deferred: detectors.filter((d) => d.spec.autoencoder !== undefined),
  };
}

/**
 * Scores, on the thread holding the autoencoder models, the windows a worker's detection stage
 * deferred to them, and completes the group: the autoencoders' anomalies join the worker's in the
 * order one in-process pipeline gives (by entity, then detector as declared), their tallies after
 * the worker's. The models keep learning from what they score here, and train here.
 */
export class DeferredScoring {
  private runtime: DetectorRuntime;
  private order: ReadonlyMap<string, number>;

  constructor(detectors: readonly DetectorSpec[], autoencoders: ReadonlyMap<string, AutoencoderDetector>) {
    this.runtime = new DetectorRuntime(splitDetectors(detectors).deferred, undefined, autoencoders);
    this.order = new Map(detectors.map((d, i) => [d.metadata.name, i]));
  }

  /** The detectors (and models) of a configuration reload. */
  reconfigure(detectors: readonly DetectorSpec[], autoencoders: ReadonlyMap<string, AutoencoderDetector>): void {
    this.runtime = new DetectorRuntime(splitDetectors(detectors).deferred, undefined, autoencoders);
    this.order = new Map(detectors.map((d, i) => [d.metadata.name, i]));
  }

  complete(group: ClosedGroup): ClosedGroup {
    if (group.deferred.length === 0) return group;
    const more = this.runtime.scoreGroup(group.deferred);
    const tally: DetectorTally[] = [...group.tally];
    for (const [detector, { scored, flagged }] of this.runtime.takeTally()) tally.push({ detector, scored, flagged });
    const anomalies: Anomaly[] = more.length === 0 ? [...group.anomalies] : [...group.anomalies, ...more].sort((a, b) => this.compare(a, b));
    return { ...group, anomalies, tally, deferred: [] };
  }

  private compare(a: Anomaly, b: Anomaly): number {
    if (a.entity.key !== b.entity.key) return a.entity.key < b.entity.key ? -1 : 1;
    return (this.order.get(a.detector) ?? 0) - (this.order.get(b.detector) ?? 0);
  }
}
