import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SafetyGuard, SafetyGuardSnapshot } from '../playbook/safety-guard.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';

/**
 * Rate limits and blast-radius budgets outlive a restart (they are per engine, not per
 * partition): kept in `safety.json` in the state directory. A missing or unreadable file means
 * fresh rails.
 */
export async function readGuardState(stateDir: string): Promise<SafetyGuardSnapshot | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, 'safety.json'), 'utf8')) as SafetyGuardSnapshot;
  } catch {
    return undefined;
  }
}

/** Saves the rails' state atomically. */
export async function writeGuardState(stateDir: string, guard: SafetyGuard | undefined): Promise<void> {
  if (!guard) return;
  await writeFileAtomic(join(stateDir, 'safety.json'), JSON.stringify(guard.snapshot()));
}
