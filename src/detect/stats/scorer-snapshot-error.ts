/**
 * Raised when a saved scorer state cannot be restored: it was written by another algorithm, by an
 * incompatible version, or it is malformed. Not retriable: the same bytes fail the same way, and the
 * caller should start the scorer afresh instead.
 */
export class ScorerSnapshotError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'SCORER_SNAPSHOT_INVALID';
  /** Restoring again cannot succeed. */
  readonly retriable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScorerSnapshotError';
  }
}
