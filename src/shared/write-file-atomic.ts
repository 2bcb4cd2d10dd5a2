import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file so that a reader, or the engine after a crash, sees the old content or the new,
 * never half of it: write a uniquely named temporary file beside the target, then rename it over
 * the target (atomic on POSIX). The temporary file is removed if anything fails.
 */
export async function writeFileAtomic(path: string, text: string, options: { readonly mode?: number } = {}): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, text, options.mode === undefined ? {} : { mode: options.mode });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
