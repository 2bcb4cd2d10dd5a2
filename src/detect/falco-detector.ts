import { z } from 'zod';
import type { FalcoAlertSummary } from '../features/falco-window-evidence.js';
import { FALCO_PRIORITY_LEVEL } from '../features/falco-window-evidence.js';
import type { FeatureWindow } from '../features/feature-window.js';
import { FALCO_PRIORITIES } from '../parse/parse-falco-event.js';
import type { FalcoPriority } from '../parse/records.js';
import type { Anomaly, Evidence } from './anomaly.js';

const severitySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);
type Severity = z.output<typeof severitySchema>;

/**
 * `spec.falco` of a detector: which Falco alerts raise an anomaly on their pod, and how severe.
 * Falco has already judged the event; this only chooses and grades its verdicts.
 */
export const falcoDetectorConfigSchema = z
  .object({
    /** Alerts below this priority are ignored. */
    minPriority: z.enum(FALCO_PRIORITIES).default('warning'),
    /** Only these rules (Falco rule names, exactly); default every rule. */
    rules: z.array(z.string().min(1)).min(1).optional(),
    /** Never these rules (noisy ones the cluster accepts). */
    ignoreRules: z.array(z.string().min(1)).optional(),
    /** Severity per Falco priority, over the defaults (emergency, alert and critical: critical; error: high; warning: medium; notice: low; below: info). */
    severity: z.partialRecord(z.enum(FALCO_PRIORITIES), severitySchema).optional(),
    /** Severity per rule name, over the per-priority one. */
    ruleSeverity: z.record(z.string().min(1), severitySchema).optional(),
  })
  .strict();

/** The parsed `spec.falco`. */
export type FalcoDetectorConfig = z.output<typeof falcoDetectorConfigSchema>;

const DEFAULT_SEVERITY: Readonly<Record<FalcoPriority, Severity>> = {
  emergency: 'critical', alert: 'critical', critical: 'critical', error: 'high', warning: 'medium', notice: 'low', informational: 'info', debug: 'info',
};

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * An alert's score, from its priority alone: the higher Falco rates it, the closer to 1. Playbooks
 * select on `minScore` with these steps (critical 0.99, error 0.95, warning 0.9, notice 0.8).
 */
export const FALCO_PRIORITY_SCORE: Readonly<Record<FalcoPriority, number>> = {
  emergency: 0.999, alert: 0.995, critical: 0.99, error: 0.95, warning: 0.9, notice: 0.8, informational: 0.6, debug: 0.5,
};

/** What a `falco` detector makes of one pod window: the anomaly's grade and evidence, or nothing. */
export interface FalcoVerdict {
  readonly score: number;
  readonly severity: Anomaly['severity'];
  readonly evidence: readonly Evidence[];
}

/**
 * Judges the Falco alerts of one window: every rule that passes the filters is one line of
 * evidence (`falco: <rule>`, observed = times it fired, score = its priority's), the anomaly takes
 * the highest score and the highest severity among them.
 */
export function falcoVerdict(config: FalcoDetectorConfig, window: FeatureWindow): FalcoVerdict | undefined {
  const floor = FALCO_PRIORITY_LEVEL[config.minPriority];
  const evidence: Evidence[] = [];
  let score = 0;
  let severity: Severity = 'info';
  for (const alert of window.falco ?? []) {
    if (!selected(config, alert, floor)) continue;
    const grade = config.ruleSeverity?.[alert.rule] ?? config.severity?.[alert.priority] ?? DEFAULT_SEVERITY[alert.priority];
    const alertScore = FALCO_PRIORITY_SCORE[alert.priority];
    if (alertScore > score) score = alertScore;
    if (SEVERITY_RANK[grade] > SEVERITY_RANK[severity]) severity = grade;
    evidence.push({
      feature: `falco: ${alert.rule}`,
      observed: alert.count,
      expected: 0,
      spread: 1,
      score: alertScore,
      details: [`priority ${alert.priority}`, ...(alert.evidence === '' ? [] : [alert.evidence])],
    });
  }
  return evidence.length === 0 ? undefined : { score, severity, evidence };
}

function selected(config: FalcoDetectorConfig, alert: FalcoAlertSummary, floor: number): boolean {
  if (FALCO_PRIORITY_LEVEL[alert.priority] < floor) return false;
  if (config.rules !== undefined && !config.rules.includes(alert.rule)) return false;
  return !(config.ignoreRules?.includes(alert.rule) ?? false);
}
