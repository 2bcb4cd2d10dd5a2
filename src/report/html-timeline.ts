/**
 * The timeline of the HTML report, drawn on the server as inline SVG (the page runs no script):
 * one lane per entity with anomalies, its incidents as shaded spans, each anomalous window as a
 * point whose height is its score, and each step a playbook took (or would take) as a mark at the
 * top of the lane, approvals as diamonds.
 */
import type { RunReport } from '../embedded/run-embedded.js';
import { formatScore } from '../shared/format-score.js';
import { SEVERITIES, tallyColumn } from './case-overview.js';
import { escapeHtml, htmlText } from './html-text.js';
import { terminalText } from '../shared/terminal-text.js';

const WIDTH = 1000;
const LABEL = 230;
const PLOT_LEFT = LABEL + 10;
const PLOT_RIGHT = WIDTH - 30;
const AXIS = 26;
const LANE = 48;
/** The top of a lane holds the action marks; the points live below it. */
const MARKS = 15;
/** Tick steps to choose from, so that a run of minutes or of weeks gets a readable axis. */
const STEPS = [60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000];
const MAX_TICKS = 8;

/** The entities that get a lane, in the order the report's cases name them, then any other. */
export function laneEntities(report: RunReport, caseOrder: readonly string[]): string[] {
  const incidentsById = new Map(report.incidents.map((i) => [i.id, i]));
  const withAnomalies = new Set(report.anomalies.map((a) => a.entity));
  const ordered = new Set<string>();
  for (const caseId of caseOrder) {
    const kase = report.cases.find((c) => c.id === caseId);
    for (const id of kase?.incidents ?? []) {
      const entity = incidentsById.get(id)?.entity;
      if (entity !== undefined && withAnomalies.has(entity)) ordered.add(entity);
    }
  }
  for (const a of report.anomalies) ordered.add(a.entity);
  return [...ordered];
}

const ms = (iso: string): number => Date.parse(iso);

/** A lane's label: escaped for reading (see htmlText), then cut to fit the label column. */
function shortLabel(value: string, width: number): string {
  const text = terminalText(value);
  return text.length > width ? `${text.slice(0, width - 1)}\u2026` : text;
}
const round = (x: number): string => x.toFixed(1);

/** The SVG of the timeline; empty string when nothing was anomalous. */
export function timelineSvg(report: RunReport, caseOrder: readonly string[]): string {
  const lanes = laneEntities(report, caseOrder);
  if (lanes.length === 0) return '';
  const laneOf = new Map(lanes.map((entity, i) => [entity, i]));
  const entityOfAnomaly = new Map(report.anomalies.map((a) => [a.id, a.entity]));
  const entityOfIncident = new Map(report.incidents.map((i) => [i.id, i.entity]));
  const incidentsOf = new Map<string, RunReport['incidents'][number][]>();
  for (const incident of report.incidents) {
    const list = incidentsOf.get(incident.entity);
    if (list === undefined) incidentsOf.set(incident.entity, [incident]);
    else list.push(incident);
  }
  const times = [
    ...report.anomalies.flatMap((a) => [ms(a.windowStart), ms(a.windowEnd)]),
    ...report.actions.map((a) => ms(a.at)),
  ].filter(Number.isFinite);
  const t0 = Math.min(...times);
  const t1 = Math.max(t0 + 60_000, ...times);
  const x = (t: number): number => PLOT_LEFT + ((t - t0) / (t1 - t0)) * (PLOT_RIGHT - PLOT_LEFT);
  const top = (lane: number): number => AXIS + lane * LANE;
  const height = AXIS + lanes.length * LANE + 8;
  const out: string[] = [];
  out.push(`<svg class="timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="anomaly scores and actions over time, one lane per entity" data-start="${new Date(t0).toISOString()}" data-end="${new Date(t1).toISOString()}">`);
  out.push(...axis(t0, t1, x, height));
  for (const [i, entity] of lanes.entries()) {
    const y = top(i);
    out.push(`<g class="lane" data-entity="${escapeHtml(entity)}">`);
    out.push(`<rect class="lane-bg" x="0" y="${y}" width="${WIDTH}" height="${LANE}"/>`);
    out.push(`<text class="lane-label" x="6" y="${y + LANE / 2 + 4}">${escapeHtml(shortLabel(entity, 34))}<title>${htmlText(entity)}</title></text>`);
    for (const incident of incidentsOf.get(entity) ?? []) {
      const from = x(ms(incident.openedAt));
      const to = Math.max(from + 2, x(ms(incident.lastSeen)));
      out.push(`<rect class="incident" x="${round(from)}" y="${y + 3}" width="${round(to - from)}" height="${LANE - 6}" data-incident="${escapeHtml(incident.id)}" data-case="${escapeHtml(incident.caseId ?? '')}"><title>incident ${htmlText(incident.id)}${incident.caseId !== undefined ? `, case ${htmlText(incident.caseId)}` : ''}</title></rect>`);
    }
    out.push('</g>');
  }
  out.push('<g class="anomalies">');
  for (const a of report.anomalies) {
    const lane = laneOf.get(a.entity);
    if (lane === undefined) continue;
    const cx = x((ms(a.windowStart) + ms(a.windowEnd)) / 2);
    const cy = top(lane) + LANE - 5 - Math.min(1, Math.max(0, a.score)) * (LANE - MARKS - 9);
    const severity = SEVERITIES.includes(a.severity) ? a.severity : 'info';
    out.push(`<circle class="anomaly sev-${severity}" cx="${round(cx)}" cy="${round(cy)}" r="3.2" data-anomaly="${escapeHtml(a.id)}" data-entity="${escapeHtml(a.entity)}"><title>${htmlText(a.detector)} (${severity}) score ${formatScore(a.score)} at ${a.windowStart.slice(0, 16).replace('T', ' ')}Z</title></circle>`);
  }
  out.push('</g>', '<g class="actions">');
  // Steps of one run share a time: each mark moves right of the last one drawn too close to it.
  const lastMarkAt = new Map<number, number>();
  for (const [index, action] of report.actions.entries()) {
    const entity = entityOfAnomaly.get(action.anomalyId) ?? entityOfIncident.get(action.incidentId);
    const lane = entity === undefined ? undefined : laneOf.get(entity);
    if (lane === undefined) continue;
    const previous = lastMarkAt.get(lane);
    const at = x(ms(action.at));
    const cx = previous !== undefined && at - previous < 11 && at >= previous - 11 ? previous + 11 : at;
    lastMarkAt.set(lane, cx);
    const y = top(lane) + 4;
    const approval = action.action === 'slack.approval' || action.outcome === 'approved' || action.outcome === 'denied';
    const shape = approval
      ? `<polygon points="${round(cx)},${y} ${round(cx + 5)},${y + 5} ${round(cx)},${y + 10} ${round(cx - 5)},${y + 5}"`
      : `<polygon points="${round(cx - 5)},${y} ${round(cx + 5)},${y} ${round(cx)},${y + 9}"`;
    out.push(`${shape} class="action ${approval ? 'approval' : 'step'} out-${tallyColumn(action.outcome) ?? 'skipped'}" data-action="${index}" data-kind="${approval ? 'approval' : 'step'}" data-outcome="${escapeHtml(action.outcome)}" data-case="${escapeHtml(action.caseId ?? '')}"><title>${htmlText(action.playbook)} / ${htmlText(action.step)}: ${escapeHtml(action.outcome)} at ${action.at.slice(0, 16).replace('T', ' ')}Z</title></polygon>`);
  }
  out.push('</g>', '</svg>');
  return out.join('\n');
}

/** Vertical grid lines and time labels at a step that gives at most {@link MAX_TICKS} of them. */
function axis(t0: number, t1: number, x: (t: number) => number, height: number): string[] {
  const step = STEPS.find((s) => (t1 - t0) / s <= MAX_TICKS) ?? Math.ceil((t1 - t0) / MAX_TICKS / 86_400_000) * 86_400_000;
  const out: string[] = ['<g class="axis">'];
  let lastDay = '';
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const iso = new Date(t).toISOString();
    const day = iso.slice(5, 10);
    const label = day !== lastDay ? `${day} ${iso.slice(11, 16)}Z` : `${iso.slice(11, 16)}Z`;
    lastDay = day;
    const anchor = x(t) > PLOT_RIGHT - 30 ? 'end' : 'middle';
    out.push(`<line x1="${round(x(t))}" y1="${AXIS - 6}" x2="${round(x(t))}" y2="${height}"/><text x="${round(x(t))}" y="${AXIS - 10}" text-anchor="${anchor}">${label}</text>`);
  }
  out.push('</g>');
  return out;
}
