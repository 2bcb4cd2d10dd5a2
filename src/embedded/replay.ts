import type { Pipeline, PipelineState } from '../app.js';
import type { AutoencoderDetector } from '../detect/autoencoder/autoencoder-detector.js';
import type { PartitionedReplay, PartitionedState } from './partitioned-replay.js';

/** What the embedded run drives: one pipeline over the input, or a partitioned replay. */
export type Replay = Pick<PartitionedReplay,
  'add' | 'finish' | 'drain' | 'counters' | 'anomalies' | 'actions' | 'incidents' | 'cases' | 'breakers' | 'firstEventTime' | 'restoredClosedUpTo' | 'unnamedCallers' | 'trackedEntities' | 'eventTimeReached'> & {
  state(): Promise<PipelineState | PartitionedState>;
};

/** One pipeline in this thread over the whole input: each line in turn, retraining where it falls due. */
export function inThreadReplay(pipeline: Pipeline, autoencoders: ReadonlyMap<string, AutoencoderDetector>, input: { readonly source: string; readonly maxMessageBytes: number }): Replay {
  return {
    async add(line, position, cutFrom) {
      const origin = { source: input.source, position };
      if (cutFrom !== undefined) {
        pipeline.reject({
          code: 'oversized', raw: line, origin,
          reason: `line of ${cutFrom} characters is over the ${input.maxMessageBytes}-byte limit; only its beginning is kept`,
        });
      } else {
        pipeline.ingest(line, origin);
      }
      // A replay awaits each retraining where it falls due, so the same input gives the same models.
      for (const model of autoencoders.values()) if (model.retrainDue) await model.maybeRetrain();
    },
    finish: () => { pipeline.finish(); return Promise.resolve(); },
    drain: () => pipeline.drain(),
    state: () => Promise.resolve(pipeline.state()),
    get counters() { return pipeline.counters; },
    get anomalies() { return pipeline.anomalies; },
    get actions() { return pipeline.actions; },
    get incidents() { return pipeline.incidents; },
    get cases() { return pipeline.cases; },
    get breakers() { return pipeline.breakers; },
    get firstEventTime() { return pipeline.firstEventTime; },
    get restoredClosedUpTo() { return pipeline.restoredClosedUpTo; },
    get unnamedCallers() { return pipeline.unnamedCallers; },
    get trackedEntities() { return pipeline.trackedEntities; },
    get eventTimeReached() { return pipeline.newestEventTime; },
  };
}
