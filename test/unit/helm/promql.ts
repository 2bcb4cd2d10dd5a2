/**
 * PromQL checks shared by the Grafana dashboard and the chart's alerting rules: the series and labels
 * an expression uses against what the engine exposes, and its syntax against Prometheus's own grammar.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { z } from 'zod';
import { createMetrics } from '../../../src/server/metrics.js';

/** Labels Prometheus adds to every scraped series (the ServiceMonitor's target labels), plus `le`. */
export const TARGET_LABELS = new Set(['namespace', 'pod', 'job', 'instance', 'service', 'container', 'endpoint']);

/** What the engine exposes: series names (histograms as _bucket/_sum/_count) with their label names. */
export async function exposedSeries(): Promise<Map<string, Set<string>>> {
  const metrics = createMetrics();
  const series = new Map<string, Set<string>>();
  const labelsOf = (metric: unknown): Set<string> => {
    // prom-client keeps each metric's configured label names on the instance.
    const parsed = z.object({ labelNames: z.array(z.string()) }).safeParse(metric);
    return new Set(parsed.success ? parsed.data.labelNames : []);
  };
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    const labels = labelsOf(metrics.registry.getSingleMetric(metric.name));
    if (String(metric.type) === 'histogram') {
      series.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
    } else {
      series.set(metric.name, labels);
    }
  }
  return series;
}

/** Series names an expression reads: identifiers followed by a selector, a range or `,`/`)`. */
export function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(meshwarden_[a-zA-Z0-9_]+)\b/g)].map((m) => m[1] ?? '');
}

/** Label names an expression groups by or matches on. */
export function labelsIn(expr: string): string[] {
  const labels: string[] = [];
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) labels.push(...(m[1] ?? '').split(',').map((l) => l.trim()).filter((l) => l !== ''));
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const matcher of (m[1] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.push(matcher[1] ?? '');
  }
  const labelValues = /label_values\(\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/.exec(expr);
  if (labelValues?.[1] !== undefined) labels.push(labelValues[1]);
  return labels;
}

/** Syntax errors of `expr` under Prometheus's grammar (the parser its web UI uses), with their offset. */
export function promqlSyntaxErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at ${node.from} in ${expr}`);
    },
  });
  return errors;
}
