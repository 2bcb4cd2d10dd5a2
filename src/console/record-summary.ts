import type { LedgerRecord } from '../audit/ledger-record.js';
import { dataOf, text } from './incident-linker.js';

function num(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? String(Math.round(value * 1000) / 1000) : undefined;
}

function entityOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { key?: unknown }).key === 'string') return (value as { key: string }).key;
  return '-';
}

/**
 * One sentence for a ledger record, for `audit show` and the console: what happened, to what,
 * and why. Built from the record's fields only; the full record is in `-o json`.
 */
export function summarizeRecord(record: LedgerRecord): string {
  const data = dataOf(record);
  const event = text(data, 'event');
  switch (record.type) {
    case 'anomaly': {
      const features = Array.isArray(data.evidence)
        ? data.evidence.slice(0, 5).map((e) => (typeof e === 'object' && e !== null ? text(e as Record<string, unknown>, 'feature') : undefined)).filter((f) => f !== undefined)
        : [];
      return `${text(data, 'detector') ?? '-'} flagged ${entityOf(data.entity)} (score ${num(data.score) ?? '-'}, severity ${text(data, 'severity') ?? '-'}${features.length > 0 ? `; ${features.join(', ')}` : ''})`;
    }
    case 'case': {
      const incidents = Array.isArray(data.incidents) ? data.incidents.length : 0;
      return `case ${text(data, 'id') ?? '-'} ${event ?? 'recorded'}: root ${text(data, 'root') ?? '-'}, ${incidents} incident(s)`;
    }
    case 'incident':
      if (event === 'resolved') return `incident resolved: ${num(data.anomalies) ?? '?'} anomalies, highest score ${num(data.maxScore) ?? '-'}, last seen ${text(data, 'lastSeen') ?? '-'}`;
      return `incident ${event ?? 'recorded'} on ${entityOf(data.entity)}`;
    case 'decision': {
      const approval = text(data, 'approvalId');
      if (event === 'awaiting-approval') return `playbook ${text(data, 'playbook') ?? '-'} waits for approval ${approval ?? '-'}`;
      if (event === 'silence-created' || event === 'silence-expired') return silenceSummary(data, event);
      if (event === 'console-vote') {
        return `approval ${approval ?? '-'}: ${text(data, 'user') ?? '-'} ${text(data, 'verdict') === 'deny' ? 'denied' : 'approved'} from the console (${text(data, 'via') ?? '-'}): ${text(data, 'result') ?? '-'}`;
      }
      if (approval !== undefined && text(data, 'outcome') !== undefined) return `approval ${approval} ${text(data, 'outcome') ?? ''}: ${text(data, 'description') ?? ''}`;
      // A step held back by a silence, or covered by another run: the description says which.
      const outcome = text(data, 'outcome');
      if (outcome === 'silenced' || outcome === 'covered') return `${text(data, 'playbook') ?? '-'} / ${text(data, 'step') ?? '-'} ${outcome}: ${text(data, 'description') ?? '-'}`;
      if (typeof data.run === 'boolean') return `playbook ${text(data, 'playbook') ?? '-'} ${data.run ? 'runs' : 'does not run'}: ${text(data, 'reason') ?? '-'}`;
      return `${event ?? 'decision'}${text(data, 'reason') !== undefined ? `: ${text(data, 'reason') ?? ''}` : ''}`;
    }
    case 'action':
    case 'refusal':
      if (event !== undefined) return `${event}${text(data, 'reason') !== undefined ? `: ${text(data, 'reason') ?? ''}` : ''}`;
      return `${text(data, 'action') ?? '-'} on ${text(data, 'target') ?? '-'}: ${text(data, 'outcome') ?? '-'}, ${text(data, 'description') ?? ''}${text(data, 'reason') !== undefined ? ` (${text(data, 'reason') ?? ''})` : ''}`;
    case 'run':
      return `run ${event ?? 'recorded'}`;
  }
}

/** `silence <id> added by <author> (via, identity): <matchers>, <start> .. <end>: <comment>`. */
function silenceSummary(data: Readonly<Record<string, unknown>>, event: 'silence-created' | 'silence-expired'): string {
  const matchers = Array.isArray(data.matchers) ? data.matchers.filter((m) => typeof m === 'string').join(' ') : '-';
  const who = [text(data, 'via'), text(data, 'user'), text(data, 'osUser') !== undefined ? `OS user ${text(data, 'osUser') ?? ''}` : undefined].filter((w) => w !== undefined).join(', ');
  const comment = text(data, 'comment');
  if (event === 'silence-expired') {
    return `silence ${text(data, 'id') ?? '-'} expired by ${text(data, 'expiredBy') ?? '-'} (${who}) at ${text(data, 'expiredAt') ?? '-'}: ${matchers}`;
  }
  return `silence ${text(data, 'id') ?? '-'} added by ${text(data, 'createdBy') ?? '-'} (${who}): ${matchers}, ${text(data, 'startsAt') ?? '-'} .. ${text(data, 'endsAt') ?? '-'}${comment !== undefined && comment !== '' ? `: ${comment}` : ''}`;
}
