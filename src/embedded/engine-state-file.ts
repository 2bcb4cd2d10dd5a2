import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineState } from '../app.js';
import type { PartitionedState } from './partitioned-replay.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';

/** The pipeline state an embedded run keeps between runs, in `<state dir>/engine-state.json`. */
const STATE_FILE = 'engine-state.json';

/** Reads the saved state; a missing file is a first run, an unreadable one starts fresh with a warning. */
export async function readState(stateDir: string, logger: Logger): Promise<PipelineState & PartitionedState> {
  try {
    return JSON.parse(await readFile(join(stateDir, STATE_FILE), 'utf8')) as PipelineState & PartitionedState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err: error }, 'engine state unreadable; starting with fresh baselines');
    return {};
  }
}

/** Saves the state atomically, so a crash leaves the previous state whole. */
export async function writeState(stateDir: string, state: PipelineState | PartitionedState): Promise<void> {
  const path = join(stateDir, STATE_FILE);
  await writeFileAtomic(path, JSON.stringify(state));
}

/**
 * Moves the saved event time and baselines (engine state, autoencoder models) to
 * `superseded/<time>/` in the state directory; returns where, or undefined when there was none.
 * Nothing is deleted, and the ledger and dead letters stay where they are.
 */
export async function moveStateAside(stateDir: string, clock: Clock): Promise<string | undefined> {
  const present: string[] = [];
  for (const name of [STATE_FILE, 'autoencoder']) {
    try {
      await stat(join(stateDir, name));
      present.push(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  if (present.length === 0) return undefined;
  const target = join(stateDir, 'superseded', new Date(clock.now()).toISOString().replace(/[:.]/g, '-'));
  await mkdir(target, { recursive: true });
  for (const name of present) await rename(join(stateDir, name), join(target, name));
  return target;
}
