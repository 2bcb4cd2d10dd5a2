import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './write-file-atomic.js';

/**
 * A file name for a key: the key itself when it is short and plain, else its hash, so an id from
 * outside can never reach another directory (`../`) or collide with a temporary file.
 */
export function stateFileName(key: string): string {
  return /^[A-Za-z0-9_-]{1,100}$/.test(key) ? `${key}.json` : `h-${createHash('sha256').update(key).digest('hex')}.json`;
}

/** The parsed JSON in `file`, or undefined when there is no such file. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  return JSON.parse(text) as unknown;
}

/**
 * Writes JSON so that a reader, or the engine after a crash, sees the old content or the new, never
 * half of it: write a temporary file beside the target, then rename over it (atomic on POSIX).
 */
export async function writeJsonFileAtomic(dir: string, name: string, value: unknown): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dir, name), `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

/** The `.json` files in `dir` (none when it does not exist yet). */
export async function listJsonFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/**
 * Deletes the `.json` files in `dir` whose content `done` says is finished and, when `before` is
 * given, that were last written before it (epoch ms); returns how many. A file that vanished meanwhile, or does not parse, is left to
 * whoever reads it (the stores report unreadable files themselves).
 */
export async function pruneJsonFiles(dir: string, before: number | undefined, done: (value: unknown) => boolean): Promise<number> {
  let removed = 0;
  for (const name of await listJsonFiles(dir)) {
    const file = join(dir, name);
    try {
      if (before !== undefined && (await stat(file)).mtimeMs >= before) continue;
      if (!done(await readJsonFile(file))) continue;
      await unlink(file);
      removed++;
    } catch (error) {
      if (!isNotFound(error) && !(error instanceof SyntaxError)) throw error;
    }
  }
  return removed;
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}
