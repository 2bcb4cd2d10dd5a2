import { join } from 'node:path';
import { describeZodIssues } from '../shared/describe-issues.js';
import type { Clock } from '../shared/clock.js';
import { readJsonFile, writeJsonFileAtomic } from '../shared/state-file.js';
import { MAX_SILENCES, silenceFileSchema, type StoredSilence } from './silence.js';
import { SilenceStoreError, withAdded, withExpired, type SilenceStore } from './silence-store.js';

/** The file's name in the state directory. */
export const SILENCE_FILE = 'silences.json';

/**
 * Silences in `<state dir>/silences.json`, replaced atomically on every change. For the embedded
 * mode and a single replica; one process writes at a time (the CLI against a state directory no
 * engine is writing, or the service's own replica).
 */
export class FileSilenceStore implements SilenceStore {
  private readonly file: string;

  constructor(private readonly dir: string, private readonly clock: Clock) {
    this.file = join(dir, SILENCE_FILE);
  }

  async list(): Promise<StoredSilence[]> {
    let raw: unknown;
    try {
      raw = await readJsonFile(this.file);
    } catch (error) {
      throw new SilenceStoreError('silences-unreadable', `${this.file} is not readable JSON`, { cause: error });
    }
    if (raw === undefined) return [];
    const parsed = silenceFileSchema.safeParse(raw);
    if (!parsed.success) throw new SilenceStoreError('silences-invalid', `${this.file} is not a silence file: ${describeZodIssues(parsed.error)}`);
    return parsed.data.silences;
  }

  async add(silence: StoredSilence): Promise<void> {
    await this.write(withAdded(await this.list(), silence, this.clock.now(), MAX_SILENCES));
  }

  async expire(id: string, at: number, by: string): Promise<StoredSilence | undefined> {
    const { silences, expired } = withExpired(await this.list(), id, at, by);
    if (expired !== undefined) await this.write(silences);
    return expired;
  }

  private async write(silences: StoredSilence[]): Promise<void> {
    await writeJsonFileAtomic(this.dir, SILENCE_FILE, { version: 1, silences });
  }
}
