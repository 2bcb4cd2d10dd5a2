import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../../../src/server/metrics.js';
import { REPO_ROOT } from './helm-chart.js';
import { exposedSeries, labelsIn, promqlSyntaxErrors, seriesIn, TARGET_LABELS } from './promql.js';

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

describe('Grafana dashboard', () => {
  it('has PromQL in every graph panel', () => {
    const graphs = panels.filter((panel) => panel.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const panel of graphs) expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
  });

  it('writes valid PromQL in every panel (Prometheus\'s own grammar; Grafana\'s $__rate_interval read as 5m)', () => {
    // Variables use Grafana's label_values(), which is not PromQL.
    const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr })));
    expect(queries.length).toBeGreaterThan(10);
    const problems = queries.flatMap(({ where, expr }) => promqlSyntaxErrors(expr.replaceAll('$__rate_interval', '5m')).map((p) => `${where}: ${p}`));
    expect(problems).toEqual([]);
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
    expect(own).toHaveLength(13);
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
