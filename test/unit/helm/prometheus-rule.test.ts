import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../../../src/server/metrics.js';
import { only, REPO_ROOT, renderChart } from './helm-chart.js';
import { exposedSeries, labelsIn, promqlSyntaxErrors, seriesIn, TARGET_LABELS } from './promql.js';

const ruleSchema = z
  .object({
    alert: z.string().regex(/^Meshwarden[A-Za-z]+$/),
    expr: z.string().min(1),
    for: z.string().regex(/^\d+m$/).optional(),
    labels: z.object({ severity: z.enum(['critical', 'warning']) }).strict(),
    annotations: z.object({ summary: z.string().min(10), description: z.string().min(20), runbook_url: z.url() }).strict(),
  })
  .strict();
const prometheusRuleSchema = z
  .object({ spec: z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(ruleSchema).min(1) }).strict()).length(1) }).strict() })
  .loose();

async function rules(values: Readonly<Record<string, unknown>> = {}, namespace = 'soc') {
  const manifests = await renderChart({ prometheusRule: { enabled: true, ...values } }, namespace);
  return prometheusRuleSchema.parse(only(manifests, 'PrometheusRule')).spec.groups.flatMap((g) => g.rules);
}

describe('PrometheusRule (prometheusRule.enabled)', () => {
  it('is not rendered by default', async () => {
    expect((await renderChart()).filter((m) => m.kind === 'PrometheusRule')).toEqual([]);
  });

  it('alerts on the engine down, lag, slow batches, an open breaker, failing actions, dead letters and a refused reload, each with a severity and an explanation', async () => {
    expect((await rules()).map((r) => r.alert)).toEqual([
      'MeshwardenDown', 'MeshwardenConsumerLagHigh', 'MeshwardenBatchesSlow', 'MeshwardenBreakerOpen', 'MeshwardenActionsFailing', 'MeshwardenDeadLettersHigh',
      'MeshwardenConfigReloadRefused',
    ]);
  });

  it('links every alert to its own section of docs/runbooks.md, which says what it means, what to check first and how to fix it', async () => {
    const runbooks = readFileSync(join(REPO_ROOT, 'docs', 'runbooks.md'), 'utf8');
    const sections = new Map([...runbooks.matchAll(/^## (\S+)\n([\s\S]*?)(?=^## |(?![\s\S]))/gm)].map((m) => [githubAnchor(m[1] ?? ''), m[2] ?? '']));
    for (const rule of await rules()) {
      const url = new URL(rule.annotations.runbook_url);
      expect(`${url.origin}${url.pathname}`).toBe('https://github.com/meshwarden/meshwarden/blob/main/docs/runbooks.md');
      expect(url.hash).toBe(`#${rule.alert.toLowerCase()}`);
      const section = sections.get(url.hash.slice(1));
      expect(section, rule.alert).toBeDefined();
      expect(section).toMatch(/\*\*Meaning\.\*\*[\s\S]*\*\*First checks\.\*\*[\s\S]*\*\*Fix\.\*\*/);
    }
    expect([...sections.keys()].sort()).toEqual((await rules()).map((r) => r.alert.toLowerCase()).sort());
  });

  it('points runbook_url at the base URL the values give, and refuses one that is not an http(s) URL', async () => {
    const custom = await rules({ runbookBaseUrl: 'https://wiki.example.com/soc/meshwarden' });
    expect(custom.map((r) => r.annotations.runbook_url)).toContain('https://wiki.example.com/soc/meshwarden#meshwardendown');
    await expect(renderChart({ prometheusRule: { enabled: true, runbookBaseUrl: 'javascript:alert(1)' } })).rejects.toThrow(/runbookBaseUrl/);
  });

  it('writes valid PromQL (Prometheus\'s own grammar) over series and labels the engine exposes, in the release namespace only', async () => {
    const series = await exposedSeries();
    series.set('up', new Set());
    const problems: string[] = [];
    for (const { alert, expr } of await rules()) {
      problems.push(...promqlSyntaxErrors(expr).map((p) => `${alert}: ${p}`));
      const used = [...seriesIn(expr), ...(expr.includes('up{') ? ['up'] : [])];
      for (const name of used) if (!series.has(name)) problems.push(`${alert}: unknown series ${name}`);
      const known = new Set([...TARGET_LABELS, ...used.flatMap((name) => [...(series.get(name) ?? [])])]);
      for (const label of labelsIn(expr)) if (!known.has(label)) problems.push(`${alert}: unknown label ${label}`);
      // Every selector is scoped to the release's namespace: one release's rule never fires for another's.
      for (const selector of expr.matchAll(/\b(meshwarden_[a-z_]+|up)\{([^}]*)\}/g)) {
        if (!(selector[2] ?? '').includes('namespace="soc"')) problems.push(`${alert}: ${selector[0]} is not scoped to the namespace`);
      }
      if (!/\b(meshwarden_[a-z_]+|up)\{/.test(expr)) problems.push(`${alert}: no selector`);
    }
    expect(problems).toEqual([]);
  });

  it('covers the metrics an operator must be woken for', async () => {
    const used = new Set((await rules()).flatMap((r) => seriesIn(r.expr)).map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    const metrics = createMetrics();
    for (const metric of [metrics.lag, metrics.batchSeconds, metrics.breakerOpen, metrics.actions, metrics.deadLetters, metrics.records, metrics.configReloads]) {
      const name = z.object({ name: z.string() }).parse(metric).name;
      expect(used.has(name), name).toBe(true);
    }
  });

  it('takes its thresholds from the values, and refuses nonsense ones', async () => {
    const custom = await rules({ lagThreshold: 5000, slowBatchSeconds: 2.5, deadLetterShare: 0.2 });
    const expr = (alert: string): string => custom.find((r) => r.alert === alert)?.expr ?? '';
    expect(expr('MeshwardenConsumerLagHigh')).toMatch(/> 5000$/);
    expect(expr('MeshwardenBatchesSlow')).toMatch(/> 2\.5$/);
    expect(expr('MeshwardenDeadLettersHigh')).toMatch(/> 0\.2$/);
    await expect(renderChart({ prometheusRule: { enabled: true, deadLetterShare: 3 } })).rejects.toThrow(/deadLetterShare/);
  });
});

/** The anchor GitHub gives a heading: lower case, spaces to dashes, punctuation dropped. */
function githubAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}
