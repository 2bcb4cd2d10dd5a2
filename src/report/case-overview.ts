/**
 * The one-line-per-case view that the text summary, the Markdown and the HTML report share, so
 * that all three count the same things the same way.
 */
import type { ReportAction, ReportAnomaly, RunReport } from '../embedded/run-embedded.js';

/** Severities, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What the steps of a case's playbook runs came to. */
export interface ActionTally {
  /** Would run (dry-run), ran, were already done, or an approval that said yes. */
  readonly planned: number;
  /** Refused by a rail or the policy, denied by an approver, or failed. */
  readonly refused: number;
  /** Held back by a silence. */
  readonly silenced: number;
  /** Another run took the same step on the same target. */
  readonly covered: number;
}

/** One case as the summary table shows it. */
export interface CaseOverview {
  /** The highest severity among the case's anomalies. */
  readonly severity: Severity;
  readonly id: string;
  readonly root: string;
  readonly openedAt: string;
  readonly lastSeen: string;
  readonly incidents: number;
  readonly detectors: readonly string[];
  readonly actions: ActionTally;
}

/** Which column of the tally an outcome counts in; a skipped step counts in none. */
export function tallyColumn(outcome: ReportAction['outcome']): keyof ActionTally | undefined {
  switch (outcome) {
    case 'dry-run': case 'succeeded': case 'already-done': case 'approved': return 'planned';
    case 'refused': case 'denied': case 'failed': return 'refused';
    case 'silenced': return 'silenced';
    case 'covered': return 'covered';
    case 'skipped': return undefined;
  }
}

/** Counts outcomes into a tally. */
export function tallyActions(actions: readonly ReportAction[]): ActionTally {
  const tally = { planned: 0, refused: 0, silenced: 0, covered: 0 };
  for (const action of actions) {
    const column = tallyColumn(action.outcome);
    if (column !== undefined) tally[column]++;
  }
  return tally;
}

/** Looks up, per incident, the anomalies it is made of: on its entity, within its span. */
export class IncidentAnomalies {
  private readonly byEntity = new Map<string, ReportAnomaly[]>();

  constructor(anomalies: readonly ReportAnomaly[]) {
    for (const a of anomalies) {
      const list = this.byEntity.get(a.entity);
      if (list === undefined) this.byEntity.set(a.entity, [a]);
      else list.push(a);
    }
  }

  /** The anomalies of one incident, in report order (oldest window first). */
  of(incident: RunReport['incidents'][number]): ReportAnomaly[] {
    return (this.byEntity.get(incident.entity) ?? []).filter((a) => a.windowStart >= incident.openedAt && a.windowEnd <= incident.lastSeen);
  }
}

/** The highest of some severities (`info` when there are none). */
export function highestSeverity(severities: Iterable<Severity>): Severity {
  let best = SEVERITIES.length - 1;
  for (const s of severities) best = Math.min(best, SEVERITIES.indexOf(s));
  return SEVERITIES[best] ?? 'info';
}

/**
 * Every case of the report, most severe first and, within a severity, oldest first: severity is
 * the highest of its anomalies', the actions those its incidents' playbook runs took.
 */
export function caseOverviews(report: RunReport, lookup: IncidentAnomalies = new IncidentAnomalies(report.anomalies)): CaseOverview[] {
  const incidentsById = new Map(report.incidents.map((i) => [i.id, i]));
  const actionsByCase = new Map<string, ReportAction[]>();
  for (const action of report.actions) {
    const caseId = action.caseId ?? incidentsById.get(action.incidentId)?.caseId;
    if (caseId === undefined) continue;
    const list = actionsByCase.get(caseId);
    if (list === undefined) actionsByCase.set(caseId, [action]);
    else list.push(action);
  }
  const rows = report.cases.map((kase): CaseOverview => {
    const anomalies = kase.incidents.flatMap((id) => {
      const incident = incidentsById.get(id);
      return incident === undefined ? [] : lookup.of(incident);
    });
    return {
      severity: highestSeverity(anomalies.map((a) => a.severity)),
      id: kase.id, root: kase.root, openedAt: kase.openedAt, lastSeen: kase.lastSeen,
      incidents: kase.incidents.length, detectors: kase.detectors,
      actions: tallyActions(actionsByCase.get(kase.id) ?? []),
    };
  });
  return rows.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : 0));
}

/** `2026-11-03 09:05Z .. 09:25Z` (the second date only when it differs). */
export function formatSpan(from: string, to: string): string {
  const short = (iso: string): string => iso.replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, 'Z');
  const a = short(from);
  const b = short(to);
  return a.slice(0, 10) === b.slice(0, 10) ? `${a} .. ${b.slice(11)}` : `${a} .. ${b}`;
}

/** A measured value for people: integers grouped, large values rounded, small ones to 3 digits. */
export function formatMeasure(x: number): string {
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(3);
}
