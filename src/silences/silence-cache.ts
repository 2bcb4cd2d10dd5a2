import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { compileSilence, findSilence, type Silence, type SilenceSubject, type StoredSilence } from './silence.js';
import type { SilenceStore } from './silence-store.js';

/** How long a read of the store is used before the next step reads it again. */
export const DEFAULT_SILENCE_CACHE_MS = 10_000;

/** What the executor's silence gate asks: is this step silenced at this time, and by what? */
export interface Silencer {
  /** The silence in force at `at` matching the step, from the silences last read. */
  match(subject: SilenceSubject, at: number): Silence | undefined;
  /** Reads the store again when the last read is older than the cache period (live steps call it). */
  refresh(): Promise<void>;
}

/**
 * The silences of a store, parsed once per read and kept for a short period, so every step does
 * not read the store (a ConfigMap through the API server, shared by all replicas). A silence added
 * on one replica is honoured by every replica within the period. When the store cannot be read,
 * the silences last read stay in force (a silence never lapses because the API server hiccuped)
 * and the failure is logged; with none read yet, nothing is silenced and steps act. A stored
 * silence whose matchers no longer parse (edited by hand) is skipped, logged once per read.
 */
export class SilenceCache implements Silencer {
  private silences: readonly Silence[] = [];
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly store: SilenceStore,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger; readonly cacheMs?: number },
  ) {}

  match(subject: SilenceSubject, at: number): Silence | undefined {
    return findSilence(this.silences, subject, at);
  }

  async refresh(): Promise<void> {
    if (this.deps.clock.now() - this.readAt < (this.deps.cacheMs ?? DEFAULT_SILENCE_CACHE_MS)) return;
    this.reading ??= this.load().finally(() => { this.reading = undefined; });
    await this.reading;
  }

  /** Adds a silence to the store and reads the store again, so it is in force here at once. */
  async add(silence: StoredSilence): Promise<void> {
    await this.store.add(silence);
    await this.load();
  }

  /** Ends a silence in the store now and reads the store again; undefined when there is no such silence. */
  async expire(id: string, at: number, by: string): Promise<StoredSilence | undefined> {
    const expired = await this.store.expire(id, at, by);
    await this.load();
    return expired;
  }

  /** Every stored silence, read from the store now (the console lists them). */
  list(): Promise<StoredSilence[]> {
    return this.store.list();
  }

  /** Reads the store now, whatever the cache period (start-up, the embedded mode). */
  async load(): Promise<void> {
    let stored: StoredSilence[];
    try {
      stored = await this.store.list();
    } catch (error) {
      // Tried again after the cache period, not at every step.
      this.readAt = this.deps.clock.now();
      this.deps.logger.warn({ err: describeError(error) }, 'could not read the silences; the ones read before stay in force');
      return;
    }
    this.silences = compileAll(stored, this.deps.logger);
    this.readAt = this.deps.clock.now();
  }
}

/** Parses every stored silence, skipping (and logging) those whose matchers do not parse. */
export function compileAll(stored: readonly StoredSilence[], logger: Logger): Silence[] {
  const silences: Silence[] = [];
  for (const s of stored) {
    try {
      silences.push(compileSilence(s));
    } catch (error) {
      logger.warn({ silence: s.id, err: describeError(error) }, 'a stored silence has matchers that do not parse; it silences nothing');
    }
  }
  return silences;
}

/** A fixed list of silences (tests, a replay with silences given up front). */
export class StaticSilencer implements Silencer {
  constructor(private readonly silences: readonly Silence[]) {}

  match(subject: SilenceSubject, at: number): Silence | undefined {
    return findSilence(this.silences, subject, at);
  }

  async refresh(): Promise<void> {
    // Nothing to read again.
  }
}
