import { createHash } from 'node:crypto';

/** A breaker that opened, as the pipeline records it (times as ISO strings). */
export interface OpenedBreaker {
  readonly detector: string;
  readonly share: number;
  readonly scored: number;
  readonly sources: number;
  readonly windowEnd: string;
  readonly until: string;
}

/** An incident as the report lists it; a breaker's incident takes the same shape. */
export interface BreakerIncident {
  readonly id: string;
  readonly entity: string;
  readonly openedAt: string;
  readonly lastSeen: string;
  readonly detectors: string[];
  readonly anomalies: number;
  readonly maxScore: number;
  /** The case it belongs to and the case's root entity (a breaker's incident has none). */
  readonly caseId?: string;
  readonly caseRoot?: string;
}

/**
 * The incident a breaker opening is. A suspended response is what an attacker who can make a
 * detector fire widely wants, so the SOC must see it among the incidents, not only in the ledger:
 * its entity is `breaker:<detector>`, it lasts while automatic action is suspended, and its score
 * is the share of trusted sources the detector flagged.
 */
export function breakerIncident(event: OpenedBreaker): BreakerIncident {
  const id = createHash('sha256').update(`breaker|${event.detector}|${event.windowEnd}`).digest('hex').slice(0, 16);
  return {
    id, entity: `breaker:${event.detector}`, openedAt: event.windowEnd, lastSeen: event.until,
    detectors: [event.detector], anomalies: event.sources, maxScore: event.share,
  };
}
