import type { BreakerEvent } from '../app.js';
import type { Ledger } from '../audit/ledger.js';
import { ledgerRecordMessage } from '../audit/topic-copy.js';
import type { EngineMetrics } from '../server/metrics.js';
import type { ServiceOutbox } from './service-outbox.js';

/** The ledger as the service's stages see it: every record also goes to the audit topic. */
export interface AuditTee {
  append: Ledger['append'];
  flush(): Promise<void>;
}

/**
 * Mirrors each ledger record to the audit topic (a second copy the state directory's writers
 * cannot reach), counts actions, and hands an opened breaker to `onBreaker` at once.
 */
export function teeLedger(
  ledger: Ledger,
  deps: { readonly outbox: ServiceOutbox; readonly auditTopic: string; readonly metrics: EngineMetrics; readonly onBreaker: (event: BreakerEvent) => void },
): AuditTee {
  return {
    append: (type, data) => {
      const record = ledger.append(type, data);
      if (type === 'decision' && (data as { event?: string }).event === 'breaker-opened') deps.onBreaker(data as BreakerEvent);
      if (type === 'action' || type === 'refusal') {
        const d = data as { action?: string; outcome?: string; reason?: string };
        deps.metrics.actions.inc({ action: d.action ?? '-', outcome: d.outcome ?? '-', reason: d.reason ?? '' });
      }
      deps.outbox.push(deps.auditTopic, [ledgerRecordMessage(record, ledger.ledgerId)]);
      return record;
    },
    flush: async () => {
      await deps.outbox.flush();
      await ledger.flush();
    },
  };
}
