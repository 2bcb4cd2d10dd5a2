import { MeshwardenError } from '../shared/errors.js';
import type { StoredSilence } from './silence.js';

/**
 * Where silences live. The embedded mode and a single replica keep them in a file in the state
 * directory ({@link FileSilenceStore}); in a cluster every replica reads them from one ConfigMap
 * through the API server ({@link KubeSilenceStore}).
 */
export interface SilenceStore {
  /** Every stored silence, expired ones included (listings show them). */
  list(): Promise<StoredSilence[]>;
  /** Adds a silence; refused when the store already holds its maximum of unexpired ones. */
  add(silence: StoredSilence): Promise<void>;
  /** Ends a silence now; undefined when no silence has that id. */
  expire(id: string, at: number, by: string): Promise<StoredSilence | undefined>;
}

/** The silence store could not be read or written, or refused a change. */
export class SilenceStoreError extends MeshwardenError {}

/**
 * The silences to keep after adding one: those expired for longer than `keepExpiredMs` go, so a
 * store never fills up with history (the ledger keeps it). Throws when it is still too full.
 */
export function withAdded(current: readonly StoredSilence[], silence: StoredSilence, now: number, max: number, keepExpiredMs = 24 * 3_600_000): StoredSilence[] {
  if (current.some((s) => s.id === silence.id)) throw new SilenceStoreError('silence-exists', `a silence with id ${silence.id} exists already`);
  const kept = current.filter((s) => s.endsAt > now - keepExpiredMs);
  if (kept.length >= max) throw new SilenceStoreError('silences-full', `the store holds ${kept.length} silences, its maximum; expire some first`);
  return [...kept, silence];
}

/** The silences after expiring `id` at `at`; `expired` is undefined when there is no such silence. */
export function withExpired(current: readonly StoredSilence[], id: string, at: number, by: string): { readonly silences: StoredSilence[]; readonly expired: StoredSilence | undefined } {
  let expired: StoredSilence | undefined;
  const silences = current.map((s) => {
    if (s.id !== id) return s;
    expired = { ...s, endsAt: Math.min(s.endsAt, Math.max(at, s.startsAt)), expiredBy: by };
    return expired;
  });
  return { silences, expired };
}
