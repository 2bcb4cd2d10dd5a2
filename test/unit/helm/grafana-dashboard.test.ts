import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../../../src/server/metrics.js';
import { REPO_ROOT } from './helm-chart.js';

const DASHBOARD = join(REPO_ROOT, 'deploy', 'grafana', 'meshwarden-dashboard.json');

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: unknown;
  readonly targets?: readonly { readonly expr: string; readonly datasource?: unknown }[] | undefined;
  readonly panels?: readonly Panel[] | undefined;
}

const panelSchema: z.ZodType<Panel> = z.lazy(() =>
  z
    .object({
      id: z.number().int(),
      type: z.string(),
      title: z.string().min(1),
      gridPos: z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }),
      datasource: z.unknown().optional(),
      targets: z.array(z.object({ expr: z.string().min(1), datasource: z.unknown().optional() }).loose()).optional(),
      panels: z.array(panelSchema).optional(),
    })
    .loose(),
);

const dashboardSchema = z
  .object({
    uid: z.string().min(1),
    title: z.string(),
    schemaVersion: z.number(),
    templating: z.object({
      list: z.array(z.object({ name: z.string(), type: z.string(), query: z.unknown(), definition: z.string().optional() }).loose()),
    }),
    panels: z.array(panelSchema),
  })
  .loose();

const dashboard = dashboardSchema.parse(JSON.parse(readFileSync(DASHBOARD, 'utf8')));

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

const panels = allPanels(dashboard.panels);
const expressions = [
  ...panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr }))),
  ...dashboard.templating.list.flatMap((variable) =>
    variable.definition === undefined ? [] : [{ where: `variable ${variable.name}`, expr: variable.definition }],
  ),
];

/** Labels Prometheus adds to every scraped series (the ServiceMonitor's target labels), plus `le`. */
const TARGET_LABELS = new Set(['namespace', 'pod', 'job', 'instance', 'service', 'container', 'endpoint']);

/** What the engine exposes: series names (histograms as _bucket/_sum/_count) with their label names. */
async function exposedSeries(): Promise<Map<string, Set<string>>> {
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
function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(meshwarden_[a-zA-Z0-9_]+)\b/g)].map((m) => m[1] ?? '');
}

/** Label names an expression groups by or matches on. */
function labelsIn(expr: string): string[] {
  const labels: string[] = [];
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) labels.push(...(m[1] ?? '').split(',').map((l) => l.trim()).filter((l) => l !== ''));
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const matcher of (m[1] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.push(matcher[1] ?? '');
  }
  const labelValues = /label_values\(\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/.exec(expr);
  if (labelValues?.[1] !== undefined) labels.push(labelValues[1]);
  return labels;
}

describe('Grafana dashboard', () => {
  it('has PromQL in every graph panel', () => {
    const graphs = panels.filter((panel) => panel.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const panel of graphs) expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
  });

  it('references only metric names that src/server/metrics.ts exposes', async () => {
    const series = await exposedSeries();
    const unknown = expressions.flatMap(({ where, expr }) => seriesIn(expr).filter((name) => !series.has(name)).map((name) => `${where}: ${name}`));
    expect(unknown).toEqual([]);
    for (const { where, expr } of expressions) expect(seriesIn(expr).length, `${where}: ${expr}`).toBeGreaterThan(0);
  });

  it('groups and filters only on labels the referenced metrics carry, or that Prometheus adds to every target', async () => {
    const series = await exposedSeries();
    const problems: string[] = [];
    for (const { where, expr } of expressions) {
      const known = new Set([...TARGET_LABELS, ...seriesIn(expr).flatMap((name) => [...(series.get(name) ?? [])])]);
      for (const label of labelsIn(expr)) if (!known.has(label)) problems.push(`${where}: label "${label}" in ${expr}`);
    }
    expect(problems).toEqual([]);
  });

  it("shows every one of the engine's own metrics", () => {
    const metrics = createMetrics();
    const own = Object.values(metrics)
      .flatMap((metric: unknown) => {
        const parsed = z.object({ name: z.string() }).safeParse(metric);
        return parsed.success ? [parsed.data.name] : [];
      })
      .sort();
    expect(own).toHaveLength(9);
    const used = new Set(expressions.flatMap(({ expr }) => seriesIn(expr)).map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    expect(own.filter((name) => !used.has(name))).toEqual([]);
  });

  it('reads from the datasource variable and filters every query by the namespace variable', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'namespace']);
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) {
        expect(target.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(target.expr, panel.title).toContain('namespace=~"$namespace"');
      }
    }
  });

  it('lays panels out on the 24-column grid with unique ids and no overlaps', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const { title, gridPos } of panels) {
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
