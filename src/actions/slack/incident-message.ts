import type { Anomaly } from '../../detect/anomaly.js';
import { formatScore } from '../../shared/format-score.js';
import {
  escapeMrkdwn, FIELD_TEXT_MAX, mention, mrkdwn, plain, slackDate, truncate, type ActionsBlock, type SlackBlock, type SlackMessage,
} from './block-kit.js';
import type { EvidenceLine, IncidentSummary } from './incident-thread-store.js';

const SEVERITY_RANK = { info: 0, low: 1, medium: 2, high: 3, critical: 4 } as const;
const SEVERITY_ICON = { info: ':information_source:', low: ':large_blue_circle:', medium: ':large_yellow_circle:', high: ':large_orange_circle:', critical: ':red_circle:' } as const;

/** Actions shown on the parent; older ones stay in the thread replies. */
const MAX_ACTIONS_SHOWN = 15;
/** Evidence lines shown per anomaly; detectors rarely flag more features at once. */
const MAX_EVIDENCE_SHOWN = 8;

/** The default title: what was detected on what. */
export function defaultTitle(anomaly: Anomaly): string {
  return `${anomaly.detector} on ${anomaly.entity.key}`;
}

/** Folds one more anomaly (and the step's own text) into the incident's summary. */
export function summarize(
  previous: IncidentSummary | undefined,
  anomaly: Anomaly,
  text: string | undefined,
  mentions: readonly string[] | undefined,
): IncidentSummary {
  const evidence = anomaly.evidence.map((e): EvidenceLine => ({
    feature: e.feature, observed: e.observed, expected: e.expected, score: e.score,
    ...(e.details !== undefined ? { details: [...e.details] } : {}),
  }));
  if (previous === undefined) {
    return {
      title: text ?? defaultTitle(anomaly),
      entityKey: anomaly.entity.key,
      severity: anomaly.severity,
      detectors: [anomaly.detector],
      maxScore: anomaly.score,
      anomalies: 1,
      firstSeen: anomaly.windowStart,
      lastSeen: anomaly.windowEnd,
      evidence,
      evidenceDetector: anomaly.detector,
      actions: [],
      mentions: [...(mentions ?? [])],
    };
  }
  return {
    ...previous,
    severity: SEVERITY_RANK[anomaly.severity] > SEVERITY_RANK[previous.severity] ? anomaly.severity : previous.severity,
    detectors: [...new Set([...previous.detectors, anomaly.detector])].sort(),
    maxScore: Math.max(previous.maxScore, anomaly.score),
    firstSeen: Math.min(previous.firstSeen, anomaly.windowStart),
    lastSeen: Math.max(previous.lastSeen, anomaly.windowEnd),
    evidence,
    evidenceDetector: anomaly.detector,
    mentions: [...new Set([...previous.mentions, ...(mentions ?? [])])],
  };
}

/**
 * The incident's parent message: title, entity, detectors, score, the latest evidence and the
 * actions taken so far. Rebuilt whole on every update so the message always shows the current state.
 */
export function renderIncidentMessage(incidentId: string, summary: IncidentSummary, buttons?: ActionsBlock): SlackMessage {
  const actions = summary.actions.slice(-MAX_ACTIONS_SHOWN);
  const hidden = summary.actions.length - actions.length;
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(summary.title) },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Entity*\n\`${escapeMrkdwn(summary.entityKey)}\``, FIELD_TEXT_MAX),
        mrkdwn(`*Severity*\n${SEVERITY_ICON[summary.severity]} ${summary.severity}`, FIELD_TEXT_MAX),
        mrkdwn(`*Detectors*\n${summary.detectors.map(escapeMrkdwn).join(', ')}`, FIELD_TEXT_MAX),
        mrkdwn(`*Max score*\n${formatScore(summary.maxScore)}`, FIELD_TEXT_MAX),
        mrkdwn(`*Anomalies*\n${summary.anomalies}`, FIELD_TEXT_MAX),
        mrkdwn(`*Window*\n${slackDate(summary.firstSeen)} – ${slackDate(summary.lastSeen)}`, FIELD_TEXT_MAX),
      ],
    },
    { type: 'section', text: mrkdwn(`*Evidence* (${escapeMrkdwn(summary.evidenceDetector)})\n${evidenceLines(summary.evidence)}`) },
    {
      type: 'section',
      text: mrkdwn(
        `*Actions taken*\n${actions.length === 0 ? '_none yet_' : actions.map((a) => `• ${escapeMrkdwn(a)}`).join('\n')}` +
          (hidden > 0 ? `\n_…and ${hidden} earlier, in the thread_` : ''),
      ),
    },
  ];
  if (summary.mentions.length > 0) blocks.push({ type: 'section', text: mrkdwn(summary.mentions.map(mention).join(' ')) });
  if (buttons !== undefined) blocks.push(buttons);
  blocks.push({ type: 'context', elements: [mrkdwn(`meshwarden incident \`${escapeMrkdwn(incidentId)}\``)] });
  return {
    text: truncate(`${escapeMrkdwn(summary.title)}: ${escapeMrkdwn(summary.entityKey)}, max score ${formatScore(summary.maxScore)}`, 3000),
    blocks,
  };
}

/** A thread reply announcing a further anomaly on the incident. */
export function renderAnomalyReply(anomaly: Anomaly, text: string | undefined): SlackMessage {
  const head = `${SEVERITY_ICON[anomaly.severity]} *${escapeMrkdwn(anomaly.detector)}* (${anomaly.severity}) scored ${formatScore(anomaly.score)} ` +
    `on \`${escapeMrkdwn(anomaly.entity.key)}\` in ${slackDate(anomaly.windowStart)} – ${slackDate(anomaly.windowEnd)}`;
  const lines = anomaly.evidence.map((e): EvidenceLine => ({
    feature: e.feature, observed: e.observed, expected: e.expected, score: e.score, ...(e.details !== undefined ? { details: [...e.details] } : {}),
  }));
  const blocks: SlackBlock[] = [];
  if (text !== undefined) blocks.push({ type: 'section', text: mrkdwn(escapeMrkdwn(text)) });
  blocks.push({ type: 'section', text: mrkdwn(`${head}\n${evidenceLines(lines)}`) });
  return { text: truncate(`${text !== undefined ? `${escapeMrkdwn(text)}: ` : ''}${escapeMrkdwn(anomaly.detector)} scored ${formatScore(anomaly.score)} on ${escapeMrkdwn(anomaly.entity.key)}`, 3000), blocks };
}

/** A thread reply recording one action taken on the incident. */
export function renderActionReply(line: string, actions?: ActionsBlock): SlackMessage {
  return {
    text: truncate(escapeMrkdwn(line), 3000),
    blocks: [{ type: 'section', text: mrkdwn(`:gear: ${escapeMrkdwn(line)}`) }, ...(actions !== undefined ? [actions] : [])],
  };
}

function evidenceLines(evidence: readonly EvidenceLine[]): string {
  if (evidence.length === 0) return '_no feature evidence_';
  const shown = evidence.slice(0, MAX_EVIDENCE_SHOWN).map((e) => {
    const details = e.details !== undefined && e.details.length > 0 ? ` [${e.details.slice(0, 5).map(escapeMrkdwn).join('; ')}]` : '';
    return `• \`${escapeMrkdwn(e.feature)}\` ${formatNumber(e.observed)} (expected ${formatNumber(e.expected)}, score ${formatScore(e.score)})${details}`;
  });
  if (evidence.length > MAX_EVIDENCE_SHOWN) shown.push(`_…and ${evidence.length - MAX_EVIDENCE_SHOWN} more_`);
  return shown.join('\n');
}

/** Observed values span ratios to byte counts: group thousands, keep at most three decimals. */
export function formatNumber(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}
