import { MeshwardenError } from '../../shared/errors.js';

/**
 * Raised when a saved scorer state cannot be restored: it was written by another algorithm, by an
 * incompatible version, or it is malformed. Not retriable: the same bytes fail the same way, and the
 * caller should start the scorer afresh instead.
 */
export class ScorerSnapshotError extends MeshwardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('scorer-snapshot-invalid', message, { retriable: false, cause: options?.cause });
  }
}
