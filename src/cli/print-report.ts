import type { RunReport } from '../app.js';
import { formatScore } from '../shared/format-score.js';

const n = (x: number): string => x.toLocaleString('en-US');
const score = formatScore;
const time = (iso: string): string => iso.replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, 'Z');

/** The human summary of a run: totals, then each incident with its evidence and what would be done. */
export function formatReport(report: RunReport): string {
  const out: string[] = [];
  out.push(
    `read ${n(report.messages)} messages, ${n(report.records)} records: ${n(report.parsed)} parsed, ` +
      `${n(report.deadLettered)} dead-lettered${report.deadLettered > 0 ? ` (${Object.entries(report.deadLettersByCode).map(([k, v]) => `${k} ${v}`).join(', ')}) -> ${report.deadLetterFile}` : ''}`,
  );
  out.push(`${n(report.windows)} entity windows scored: ${report.anomalies.length} anomalies in ${report.incidents.length} incidents, ${report.actions.length} actions (dry-run)`);
  for (const incident of report.incidents) {
    out.push('');
    out.push(`incident ${incident.id}  ${incident.entity}`);
    out.push(`  ${time(incident.openedAt)} .. ${time(incident.lastSeen)}  max score ${score(incident.maxScore)}  ${incident.anomalies} anomalous window(s)`);
    const anomalies = report.anomalies.filter((a) => a.entity === incident.entity && a.windowStart >= incident.openedAt && a.windowEnd <= incident.lastSeen);
    const firstByDetector = new Map<string, (typeof anomalies)[number]>();
    for (const a of anomalies) if (!firstByDetector.has(a.detector)) firstByDetector.set(a.detector, a);
    for (const a of firstByDetector.values()) {
      const evidence = a.evidence.map((e) => `${e.feature} ${fmt(e.observed)} (expected ${fmt(e.expected)})${e.details ? ` [${e.details.slice(0, 3).join('; ')}${e.details.length > 3 ? '; ...' : ''}]` : ''}`);
      out.push(`  ${a.detector} (${a.severity}) score ${score(a.score)}: ${evidence.join(', ')}`);
    }
    for (const action of report.actions.filter((x) => x.incidentId === incident.id)) {
      out.push(`  -> ${action.playbook} / ${action.step}: ${action.outcome}: ${action.description}`);
    }
  }
  return out.join('\n');
}

function fmt(x: number): string {
  if (Number.isInteger(x)) return n(x);
  if (Math.abs(x) >= 100) return n(Math.round(x));
  return x.toPrecision(3);
}
