/**
 * `meshwarden run --html <file>`: one self-contained page, safe to open from a ticket or a mail.
 * It loads nothing (no URL at all, its CSS inline, its timeline SVG drawn here), runs no script,
 * and says so to the browser: its Content-Security-Policy allows inline styles and nothing else.
 */
import type { ReportAnomaly, RunReport } from '../embedded/run-embedded.js';
import { formatScore } from '../shared/format-score.js';
import { IncidentAnomalies, caseOverviews, formatMeasure, formatSpan, type CaseOverview } from './case-overview.js';
import { timelineSvg } from './html-timeline.js';
import { escapeHtml, htmlText } from './html-text.js';

/** The page's policy: no script, no request of any kind; only its own inline styles. */
export const HTML_REPORT_CSP = 'default-src \'none\'; style-src \'unsafe-inline\'; base-uri \'none\'; form-action \'none\'';

const n = (x: number): string => x.toLocaleString('en-US');
const when = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')}Z`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1f2937; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; } h3 { font-size: 15px; margin: 0 0 6px; }
.totals { color: #4b5563; margin: 0 0 16px; }
code, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { font-weight: 600; background: #f9fafb; } td.num { text-align: right; } td.nowrap { white-space: nowrap; }
td.root { min-width: 22em; max-width: 36em; }
.sev { display: inline-block; min-width: 64px; padding: 1px 6px; border-radius: 4px; color: #fff; font-size: 12px; text-align: center; }
.sev-critical { background: #b91c1c; fill: #b91c1c; } .sev-high { background: #ea580c; fill: #ea580c; } .sev-medium { background: #ca8a04; fill: #ca8a04; }
.sev-low { background: #2563eb; fill: #2563eb; } .sev-info { background: #6b7280; fill: #6b7280; }
svg.timeline { display: block; margin: 8px 0 4px; border: 1px solid #e5e7eb; }
.axis line { stroke: #e5e7eb; } .axis text { font-size: 10px; fill: #6b7280; }
.lane-bg { fill: none; stroke: #f3f4f6; } .lane-label { font: 11px ui-monospace, Menlo, Consolas, monospace; fill: #374151; }
.incident { fill: #fde68a; fill-opacity: 0.35; }
.action.step { stroke: #111827; stroke-width: 0.6; } .action.approval { stroke: #111827; stroke-width: 0.6; }
.out-planned { fill: #16a34a; } .out-refused { fill: #dc2626; } .out-silenced { fill: #9ca3af; } .out-covered { fill: #60a5fa; } .out-skipped { fill: #e5e7eb; }
.legend { font-size: 12px; color: #4b5563; }
section.case { border: 1px solid #e5e7eb; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
section.case ul { margin: 4px 0 8px; padding-left: 20px; }
.outcome { font-weight: 600; }
`;

/** The whole page. Every value someone other than the engine wrote is escaped (see html-text.ts). */
export function htmlReport(report: RunReport): string {
  const lookup = new IncidentAnomalies(report.anomalies);
  const overviews = caseOverviews(report, lookup);
  const body: string[] = [];
  body.push(`<h1>meshwarden run: ${n(report.cases.length)} case(s)${overviews[0] !== undefined ? `, worst ${overviews[0].severity}` : ''}</h1>`);
  body.push(
    `<p class="totals">Replayed <code>${htmlText(report.input)}</code>: ${n(report.records)} records read, ${n(report.parsed)} parsed, ` +
      `${n(report.deadLettered)} dead-lettered; ${n(report.windows)} entity windows scored; ${n(report.anomalies.length)} anomalies in ` +
      `${n(report.incidents.length)} incidents (${n(report.cases.length)} cases); ${n(report.actions.length)} actions (dry-run). Report version ${report.reportVersion}.</p>`,
  );
  if (report.inputError !== undefined) body.push(`<p><strong>Input ended early:</strong> <code>${htmlText(report.inputError.message)}</code></p>`);
  if (overviews.length > 0) body.push('<h2>Cases</h2>', caseTable(overviews));
  const svg = timelineSvg(report, overviews.map((o) => o.id));
  if (svg !== '') {
    body.push(
      '<h2>Timeline</h2>',
      '<p class="legend">One lane per entity. Points: anomalous windows, higher is a higher score, coloured by severity. Shaded: incidents. ' +
        'Marks at the top of a lane: playbook steps (triangles) and approvals (diamonds); green planned, red refused or denied, grey silenced, blue covered.</p>',
      svg,
    );
  }
  for (const overview of overviews) body.push(caseSection(report, lookup, overview));
  const loose = report.incidents.filter((i) => i.caseId === undefined);
  if (loose.length > 0) {
    body.push('<h2>Incidents outside any case</h2>', '<ul class="incidents">');
    for (const incident of loose) {
      body.push(`<li data-incident="${escapeHtml(incident.id)}" data-entity="${escapeHtml(incident.entity)}">incident <span class="mono">${htmlText(incident.id)}</span> on <code>${htmlText(incident.entity)}</code>: ${formatSpan(incident.openedAt, incident.lastSeen)}, score ${formatScore(incident.maxScore)}</li>`);
    }
    body.push('</ul>');
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(HTML_REPORT_CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>meshwarden run: ${n(report.cases.length)} case(s)</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    `<body data-report-version="${report.reportVersion}">`,
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function caseTable(rows: readonly CaseOverview[]): string {
  const out = ['<table class="cases"><thead><tr><th>severity</th><th>case</th><th>root</th><th>span</th><th>incidents</th><th>detectors</th><th>actions (planned/refused/silenced/covered)</th></tr></thead><tbody>'];
  for (const r of rows) {
    const a = r.actions;
    out.push(
      `<tr data-case="${escapeHtml(r.id)}" data-severity="${r.severity}"><td><span class="sev sev-${r.severity}">${r.severity}</span></td><td class="mono nowrap">${htmlText(r.id)}</td>` +
        `<td class="mono root">${htmlText(r.root, 160)}</td><td class="nowrap">${formatSpan(r.openedAt, r.lastSeen)}</td><td class="num">${r.incidents}</td>` +
        `<td class="mono">${htmlText(r.detectors.join(', '), 160)}</td><td class="num">${a.planned}/${a.refused}/${a.silenced}/${a.covered}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

/** One case: root, span, incidents, the first evidence of each detector on each incident, and every step. */
function caseSection(report: RunReport, lookup: IncidentAnomalies, overview: CaseOverview): string {
  const kase = report.cases.find((c) => c.id === overview.id);
  if (kase === undefined) return '';
  const incidents = report.incidents.filter((i) => i.caseId === kase.id);
  const out: string[] = [`<section class="case" data-case="${escapeHtml(kase.id)}" data-root="${escapeHtml(kase.root)}">`];
  out.push(`<h3><span class="sev sev-${overview.severity}">${overview.severity}</span> case <span class="mono">${htmlText(kase.id)}</span></h3>`);
  out.push(`<p>Root <code>${htmlText(kase.root)}</code>, ${formatSpan(kase.openedAt, kase.lastSeen)}, max score ${formatScore(kase.maxScore)}, ${n(kase.anomalies)} anomalous window(s).</p>`);
  out.push('<ul class="incidents">');
  for (const incident of incidents) {
    out.push(`<li data-incident="${escapeHtml(incident.id)}" data-entity="${escapeHtml(incident.entity)}">incident <span class="mono">${htmlText(incident.id)}</span> on <code>${htmlText(incident.entity)}</code>: ${formatSpan(incident.openedAt, incident.lastSeen)}, max score ${formatScore(incident.maxScore)}, ${n(incident.anomalies)} anomalous window(s)</li>`);
  }
  out.push('</ul>');
  const first = new Map<string, ReportAnomaly>();
  for (const incident of incidents) for (const a of lookup.of(incident)) if (!first.has(`${a.detector}|${a.entity}`)) first.set(`${a.detector}|${a.entity}`, a);
  if (first.size > 0) {
    out.push('<p>Evidence (the first window of each detector on each entity):</p>', '<ul class="evidence">');
    for (const a of first.values()) {
      const evidence = a.evidence.map((e) => {
        const details = (e.details ?? []).slice(0, 5).map((d) => `<code>${htmlText(d, 240)}</code>`);
        return `<code>${htmlText(e.feature)}</code> ${formatMeasure(e.observed)} (expected ${formatMeasure(e.expected)})${details.length > 0 ? `: ${details.join('; ')}${(e.details?.length ?? 0) > details.length ? '; ...' : ''}` : ''}`;
      });
      out.push(`<li data-evidence="${escapeHtml(a.id)}">${when(a.windowStart)} <code>${htmlText(a.detector)}</code> <span class="sev sev-${a.severity}">${a.severity}</span> score ${formatScore(a.score)} on <code>${htmlText(a.entity)}</code>: ${evidence.join(', ')}</li>`);
    }
    out.push('</ul>');
  }
  const steps = report.actions.map((action, index) => ({ action, index })).filter(({ action }) => action.caseId === kase.id || (action.caseId === undefined && incidents.some((i) => i.id === action.incidentId)));
  if (steps.length > 0) {
    out.push('<p>Actions:</p>', '<ul class="steps">');
    for (const { action, index } of steps) {
      out.push(`<li data-step="${index}">${when(action.at)} <code>${htmlText(action.playbook)}</code> / <code>${htmlText(action.step)}</code>: <span class="outcome">${escapeHtml(action.outcome)}</span>: ${htmlText(action.description, 1024)}${action.policy !== undefined ? ` (policy: ${escapeHtml(action.policy.decision)}${action.policy.reasons.length > 0 ? `: ${htmlText(action.policy.reasons.join('; '), 1024)}` : ''})` : ''}</li>`);
    }
    out.push('</ul>');
  }
  out.push('</section>');
  return out.join('\n');
}
