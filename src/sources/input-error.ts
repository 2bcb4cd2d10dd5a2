import { MeshwardenError } from '../shared/errors.js';

/**
 * The input could not be read on: corrupt or truncated compression, a file that is not what its
 * name says, a read error. Carries where reading stopped so the one-line message can say it; what
 * was read before is still processed and flushed by the caller.
 */
export class InputError extends MeshwardenError {
  constructor(
    readonly input: string,
    /** Bytes of the file (compressed bytes for `.gz`) read when it failed. */
    readonly bytesRead: number,
    /** Lines completely read before the failure. */
    readonly linesRead: number,
    readonly detail: string,
    cause: unknown,
  ) {
    super(
      (cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'input-missing' : 'input-unreadable',
      `${input}: ${detail} (after ${bytesRead} byte(s), ${linesRead} complete line(s))`,
      { cause },
    );
  }
}
