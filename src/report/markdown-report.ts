/**
 * `meshwarden run --markdown <file>`: the summary of a run, fit for pasting into a ticket.
 */
import type { ReportAnomaly, RunReport } from '../embedded/run-embedded.js';
import { formatScore } from '../shared/format-score.js';
import { IncidentAnomalies, caseOverviews, formatMeasure, formatSpan, type CaseOverview } from './case-overview.js';
import { markdownCode } from './markdown-text.js';

const n = (x: number): string => x.toLocaleString('en-US');
/** Every value someone other than the engine wrote goes through here (see markdown-text.ts). */
const md = (value: string, maxLength?: number): string => markdownCode(value, maxLength !== undefined ? { maxLength } : {});
const cell = (value: string, maxLength?: number): string => markdownCode(value, { inTable: true, ...(maxLength !== undefined ? { maxLength } : {}) });

/** A ticket is read, not searched: past these, the JSON report has the rest. */
export const MARKDOWN_LIMITS = { tableRows: 100, detailedCases: 25, actionsPerCase: 30, detailsPerEvidence: 3 } as const;

/**
 * The run as Markdown: a title, the totals, a table of the cases (most severe first), then per
 * case its root, incidents, the first evidence of each detector and the actions. Engine-written
 * values (counts, ids, times, severities, outcomes) are plain; everything else is a code span.
 */
export function markdownReport(report: RunReport): string {
  const lookup = new IncidentAnomalies(report.anomalies);
  const overviews = caseOverviews(report, lookup);
  const out: string[] = [];
  const worst = overviews[0]?.severity;
  out.push(`# meshwarden run: ${n(report.cases.length)} case(s)${worst !== undefined ? `, worst ${worst}` : ''}`, '');
  out.push(
    `Replayed ${md(report.input)}: ${n(report.records)} records read, ${n(report.parsed)} parsed, ${n(report.deadLettered)} dead-lettered; ` +
      `${n(report.windows)} entity windows scored; ${n(report.anomalies.length)} anomalies in ${n(report.incidents.length)} incidents ` +
      `(${n(report.cases.length)} cases); ${n(report.actions.length)} actions (dry-run). Report version ${report.reportVersion}.`,
  );
  if (report.inputError !== undefined) out.push('', `**Input ended early:** ${md(report.inputError.message)}`);
  if (overviews.length > 0) {
    out.push('', '## Cases', '', '| severity | case | root | span | incidents | detectors | actions (planned/refused/silenced/covered) |', '| --- | --- | --- | --- | ---: | --- | --- |');
    for (const r of overviews.slice(0, MARKDOWN_LIMITS.tableRows)) {
      const a = r.actions;
      out.push(`| ${r.severity} | ${cell(r.id)} | ${cell(r.root, 96)} | ${formatSpan(r.openedAt, r.lastSeen)} | ${r.incidents} | ${cell(r.detectors.join(', '), 96)} | ${a.planned}/${a.refused}/${a.silenced}/${a.covered} |`);
    }
    if (overviews.length > MARKDOWN_LIMITS.tableRows) out.push('', `... and ${n(overviews.length - MARKDOWN_LIMITS.tableRows)} more case(s) in the JSON report.`);
  }
  for (const overview of overviews.slice(0, MARKDOWN_LIMITS.detailedCases)) caseSection(report, lookup, overview, out);
  if (overviews.length > MARKDOWN_LIMITS.detailedCases) out.push('', `Details of ${n(overviews.length - MARKDOWN_LIMITS.detailedCases)} more case(s) are in the JSON report.`);
  const loose = report.incidents.filter((i) => i.caseId === undefined);
  if (loose.length > 0) {
    out.push('', '## Incidents outside any case', '');
    for (const incident of loose.slice(0, MARKDOWN_LIMITS.tableRows)) {
      out.push(`- ${md(incident.id)} on ${md(incident.entity)}, ${formatSpan(incident.openedAt, incident.lastSeen)}, score ${formatScore(incident.maxScore)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function caseSection(report: RunReport, lookup: IncidentAnomalies, overview: CaseOverview, out: string[]): void {
  const kase = report.cases.find((c) => c.id === overview.id);
  if (kase === undefined) return;
  out.push('', `## Case ${md(kase.id)} (${overview.severity})`, '');
  out.push(`- **Root:** ${md(kase.root)}`);
  out.push(`- **Span:** ${formatSpan(kase.openedAt, kase.lastSeen)}, max score ${formatScore(kase.maxScore)}, ${n(kase.anomalies)} anomalous window(s)`);
  const incidents = report.incidents.filter((i) => i.caseId === kase.id);
  out.push('- **Incidents:**');
  for (const incident of incidents) {
    out.push(`  - ${md(incident.id)} on ${md(incident.entity)}: ${formatSpan(incident.openedAt, incident.lastSeen)}, max score ${formatScore(incident.maxScore)}, ${n(incident.anomalies)} anomalous window(s)`);
  }
  // The first anomaly of each detector on each incident: what raised the case, not every window.
  const first = new Map<string, ReportAnomaly>();
  for (const incident of incidents) {
    for (const a of lookup.of(incident)) if (!first.has(`${a.detector}|${a.entity}`)) first.set(`${a.detector}|${a.entity}`, a);
  }
  if (first.size > 0) out.push('- **First evidence:**');
  for (const a of first.values()) {
    const evidence = a.evidence.map((e) => {
      const details = e.details ?? [];
      const shown = details.slice(0, MARKDOWN_LIMITS.detailsPerEvidence).map((d) => md(d, 160));
      return `${md(e.feature)} ${formatMeasure(e.observed)} (expected ${formatMeasure(e.expected)})${shown.length > 0 ? `: ${shown.join('; ')}${details.length > shown.length ? '; ...' : ''}` : ''}`;
    });
    out.push(`  - ${a.windowStart.slice(0, 16).replace('T', ' ')}Z ${md(a.detector)} (${a.severity}) score ${formatScore(a.score)} on ${md(a.entity)}: ${evidence.join(', ')}`);
  }
  const actions = report.actions.filter((x) => x.caseId === kase.id || (x.caseId === undefined && incidents.some((i) => i.id === x.incidentId)));
  if (actions.length > 0) out.push('- **Actions:**');
  for (const action of actions.slice(0, MARKDOWN_LIMITS.actionsPerCase)) {
    out.push(`  - ${action.at.slice(0, 16).replace('T', ' ')}Z ${md(action.playbook)} / ${md(action.step)}: **${action.outcome}**: ${md(action.description, 1024)}`);
  }
  if (actions.length > MARKDOWN_LIMITS.actionsPerCase) out.push(`  - ... and ${n(actions.length - MARKDOWN_LIMITS.actionsPerCase)} more in the JSON report`);
}
