import type { FalcoEventRecord, FalcoPriority } from '../parse/records.js';

/** Falco's priorities as numbers, debug 0 to emergency 7 (`falco_priority_max`). */
export const FALCO_PRIORITY_LEVEL: Readonly<Record<FalcoPriority, number>> = {
  debug: 0, informational: 1, notice: 2, warning: 3, error: 4, critical: 5, alert: 6, emergency: 7,
};

/** Distinct rules kept per pod and window; more are counted in `falco_alerts` only. */
export const MAX_FALCO_RULES_PER_WINDOW = 32;

/** One Falco rule that fired for a pod in a window: what a `falco` detector judges. */
export interface FalcoAlertSummary {
  readonly rule: string;
  /** The highest priority it fired with in the window. */
  readonly priority: FalcoPriority;
  readonly count: number;
  /** The first alert's kept fields (`proc.cmdline=...`), escaped and capped at the parser. */
  readonly evidence: string;
}

interface RuleTally {
  priority: FalcoPriority;
  count: number;
  readonly evidence: string;
}

/**
 * The Falco alerts of one pod over one window. Bounded: at most {@link MAX_FALCO_RULES_PER_WINDOW}
 * rules, each with one sample of evidence, however many alerts a noisy or hostile process causes.
 */
export class FalcoTally {
  alerts = 0;
  private maxLevel = -1;
  private readonly rules = new Map<string, RuleTally>();

  add(record: FalcoEventRecord): void {
    this.alerts++;
    const level = FALCO_PRIORITY_LEVEL[record.priority];
    if (level > this.maxLevel) this.maxLevel = level;
    const known = this.rules.get(record.rule);
    if (known !== undefined) {
      known.count++;
      if (level > FALCO_PRIORITY_LEVEL[known.priority]) known.priority = record.priority;
      return;
    }
    if (this.rules.size >= MAX_FALCO_RULES_PER_WINDOW) return;
    this.rules.set(record.rule, { priority: record.priority, count: 1, evidence: evidenceLine(record) });
  }

  /** `falco_alerts` and `falco_priority_max`. */
  features(): { readonly falco_alerts: number; readonly falco_priority_max: number } {
    return { falco_alerts: this.alerts, falco_priority_max: this.maxLevel };
  }

  /** The rules that fired, most severe first. */
  summaries(): FalcoAlertSummary[] {
    return [...this.rules.entries()]
      .map(([rule, tally]) => ({ rule, priority: tally.priority, count: tally.count, evidence: tally.evidence }))
      .sort((a, b) => FALCO_PRIORITY_LEVEL[b.priority] - FALCO_PRIORITY_LEVEL[a.priority] || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  }
}

function evidenceLine(record: FalcoEventRecord): string {
  const parts = Object.entries(record.fields)
    .filter(([key]) => key !== 'k8s.ns.name' && key !== 'k8s.pod.name')
    .map(([key, value]) => `${key}=${value}`);
  return parts.join(' ');
}
