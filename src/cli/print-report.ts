import type { RunReport } from '../embedded/run-embedded.js';
import { formatScore } from '../shared/format-score.js';
import { terminalText } from '../shared/terminal-text.js';
import { IncidentAnomalies, caseOverviews, formatMeasure, formatSpan, type CaseOverview } from '../report/case-overview.js';

const n = (x: number): string => x.toLocaleString('en-US');
const score = formatScore;
/**
 * Every string in a report may carry what a client wrote (an entity named after an address or a
 * model, an edge to a client-chosen authority, a target): escaped and bounded before it is printed,
 * so no value can start a line of its own or send the terminal an escape sequence.
 */
const t = (value: string, maxLength?: number): string => terminalText(value, maxLength);
/** A detail of the evidence (an edge, a path) is one short value among several on the line. */
const DETAIL_LENGTH = 160;
const time = (iso: string): string => t(iso.replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, 'Z'));

/** Widest a root or the detectors list may be in the summary table, so a case stays one line. */
const ROOT_COLUMN = 48;
const DETECTORS_COLUMN = 48;

/**
 * The human summary of a run: totals, a table of the cases (most severe first), then each case with its incidents, their evidence and what
 * would be done (a silenced step says which silence held it back, a covered one which run took it).
 * Nothing in it is printed raw: see `t`.
 */
export function formatReport(report: RunReport): string {
  const out: string[] = [];
  out.push(
    `read ${n(report.messages)} messages, ${n(report.records)} records: ${n(report.parsed)} parsed, ` +
      `${n(report.deadLettered)} dead-lettered${report.deadLettered > 0 ? ` (${Object.entries(report.deadLettersByCode).map(([k, v]) => `${t(k)} ${v}`).join(', ')}) -> ${t(report.deadLetterFile)}` : ''}`,
  );
  out.push(`${n(report.windows)} entity windows scored: ${report.anomalies.length} anomalies in ${report.incidents.length} incidents (${report.cases.length} cases), ${report.actions.length} actions (dry-run)`);
  const lookup = new IncidentAnomalies(report.anomalies);
  const overviews = caseOverviews(report, lookup);
  if (overviews.length > 0) {
    out.push('');
    out.push(...formatCaseTable(overviews));
  }
  // One entry per case, its incidents under it; incidents without a case (a breaker's) after them.
  for (const kase of report.cases) {
    out.push('');
    out.push(`case ${t(kase.id)}  root ${t(kase.root)}  ${kase.incidents.length} incident(s)`);
    for (const incident of report.incidents.filter((i) => i.caseId === kase.id)) formatIncident(report, lookup, incident, '  ', out);
  }
  for (const incident of report.incidents.filter((i) => i.caseId === undefined)) {
    out.push('');
    formatIncident(report, lookup, incident, '', out);
  }
  return out.join('\n');
}

/**
 * One row per case: severity, id, root, span, incidents, detectors, and what its playbooks would
 * do (planned/refused/silenced/covered). Columns are padded to their widest cell, after escaping.
 */
export function formatCaseTable(rows: readonly CaseOverview[]): string[] {
  const header = ['severity', 'case', 'root', 'span', 'incidents', 'detectors', 'actions p/r/s/c'];
  const cells = rows.map((r) => [
    r.severity, t(r.id), t(r.root, ROOT_COLUMN), t(formatSpan(r.openedAt, r.lastSeen)), String(r.incidents),
    detectorList(r.detectors, DETECTORS_COLUMN), `${r.actions.planned}/${r.actions.refused}/${r.actions.silenced}/${r.actions.covered}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...cells.map(line)];
}

/**
 * A case's detectors, escaped, as many whole names as fit in `width` and then "+N more": a table
 * cell names detectors, never the middle of one. A single name wider than the column is cut.
 */
export function detectorList(names: readonly string[], width: number): string {
  const escaped = names.map((name) => t(name));
  if (escaped.join(', ').length <= width) return escaped.join(', ');
  let shown = '';
  let count = 0;
  for (const name of escaped) {
    const next = count === 0 ? name : `${shown}, ${name}`;
    if (`${next} +${names.length - count - 1} more`.length > width) break;
    shown = next;
    count++;
  }
  return count === 0 ? t(names[0] ?? '', width) : `${shown} +${names.length - count} more`;
}

/** One incident: its span, the first anomaly of each detector with its evidence, and its actions. */
function formatIncident(report: RunReport, lookup: IncidentAnomalies, incident: RunReport['incidents'][number], indent: string, out: string[]): void {
  out.push(`${indent}incident ${t(incident.id)}  ${t(incident.entity)}`);
  out.push(`${indent}  ${time(incident.openedAt)} .. ${time(incident.lastSeen)}  max score ${score(incident.maxScore)}  ${incident.anomalies} anomalous window(s)`);
  const anomalies = lookup.of(incident);
  const firstByDetector = new Map<string, (typeof anomalies)[number]>();
  for (const a of anomalies) if (!firstByDetector.has(a.detector)) firstByDetector.set(a.detector, a);
  for (const a of firstByDetector.values()) {
    const evidence = a.evidence.map((e) => `${t(e.feature)} ${formatMeasure(e.observed)} (expected ${formatMeasure(e.expected)})${e.details ? ` [${e.details.slice(0, 3).map((d) => t(d, DETAIL_LENGTH)).join('; ')}${e.details.length > 3 ? '; ...' : ''}]` : ''}`);
    out.push(`${indent}  ${t(a.detector)} (${t(a.severity)}) score ${score(a.score)}: ${evidence.join(', ')}`);
  }
  for (const action of report.actions.filter((x) => x.incidentId === incident.id)) {
    out.push(`${indent}  -> ${t(action.playbook)} / ${t(action.step)}: ${t(action.outcome)}: ${t(action.description, 1024)}`);
    // A deny's reasons are already in the description; an allow or a fail-open is said here.
    if (action.policy && action.outcome !== 'refused') out.push(`${indent}     policy: ${t(action.policy.decision)}${action.policy.reasons.length > 0 ? ` (${t(action.policy.reasons.join('; '), 1024)})` : ''}`);
  }
}
