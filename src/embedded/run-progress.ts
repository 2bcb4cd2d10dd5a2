import type { PipelineCounters } from '../app.js';

/** How far a replay has got, as `runEmbedded` reports it while it reads. */
export interface RunProgress {
  /** The running totals (messages, records, parsed, dead-lettered, windows scored, ...). */
  readonly counters: Readonly<PipelineCounters>;
  /**
   * Event time of the newest record read that the engine admitted (epoch ms), or undefined before
   * the first. Only records that were parsed and admitted count, so a far-future record that is
   * dead-lettered cannot make the replay look further along than it is.
   */
  readonly eventTime: number | undefined;
  readonly anomalies: number;
  readonly actions: number;
}

/** Records between two progress reports, unless the caller says otherwise. */
export const DEFAULT_PROGRESS_EVERY = 2_000;
