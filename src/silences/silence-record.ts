import type { StoredSilence } from './silence.js';

/**
 * Who changed a silence, as the ledger records it beside the author the person typed. `via` says
 * through what: `state-dir` (the CLI on a state directory), `token:<name>` (the console API, with
 * the Slack user id the token is bound to), `slack` (the "Silence 4h" button).
 */
export interface SilenceActor {
  readonly via: string;
  /** The identity the engine checked: the console token's bound user, the clicking Slack user. */
  readonly user?: string;
  /** The operating-system account that ran the CLI on a state directory. */
  readonly osUser?: string;
}

/** The ledger's `decision` events for silences. */
export type SilenceEvent = 'silence-created' | 'silence-expired';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The data of the ledger record of a new silence: everything it holds (id, matchers, start, end,
 * comment, author) and who added it through what. Author and comment are whoever typed them: the
 * ledger stores them as JSON string fields, so a newline or a quote in them stays inside the field.
 */
export function silenceCreatedRecord(silence: StoredSilence, actor: SilenceActor): Record<string, unknown> {
  return {
    event: 'silence-created' satisfies SilenceEvent,
    id: silence.id, matchers: [...silence.matchers], startsAt: iso(silence.startsAt), endsAt: iso(silence.endsAt),
    createdBy: silence.createdBy, comment: silence.comment, createdAt: iso(silence.createdAt),
    ...actorFields(actor),
  };
}

/** The data of the ledger record of a silence ended early: the silence as it now is, and who ended it. */
export function silenceExpiredRecord(silence: StoredSilence, actor: SilenceActor, at: number): Record<string, unknown> {
  return {
    event: 'silence-expired' satisfies SilenceEvent,
    id: silence.id, matchers: [...silence.matchers], startsAt: iso(silence.startsAt), endsAt: iso(silence.endsAt),
    createdBy: silence.createdBy, comment: silence.comment, expiredBy: silence.expiredBy ?? '-', expiredAt: iso(at),
    ...actorFields(actor),
  };
}

function actorFields(actor: SilenceActor): Record<string, string> {
  return { via: actor.via, ...(actor.user !== undefined ? { user: actor.user } : {}), ...(actor.osUser !== undefined ? { osUser: actor.osUser } : {}) };
}
