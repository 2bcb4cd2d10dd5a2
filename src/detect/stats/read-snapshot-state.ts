import type { z } from 'zod';
import type { ScorerSnapshot } from '../stream-scorer.js';
import { ScorerSnapshotError } from './scorer-snapshot-error.js';

/**
 * Checks that `snapshot` was written by `algorithm` at `version` and parses its state, so a scorer
 * never resumes from state it does not understand.
 */
export function readSnapshotState<S extends z.ZodType>(
  snapshot: ScorerSnapshot,
  algorithm: string,
  version: number,
  schema: S,
): z.infer<S> {
  if (snapshot.algorithm !== algorithm) {
    throw new ScorerSnapshotError(
      `snapshot was written by "${snapshot.algorithm}", not "${algorithm}"; start the scorer afresh`,
    );
  }
  if (snapshot.version !== version) {
    throw new ScorerSnapshotError(
      `"${algorithm}" snapshot has version ${snapshot.version}, this build reads version ${version}`,
    );
  }
  const parsed = schema.safeParse(snapshot.state);
  if (!parsed.success) {
    throw new ScorerSnapshotError(`"${algorithm}" snapshot state is malformed: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
