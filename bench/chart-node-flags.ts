/**
 * The Node.js flags the Helm chart starts the engine with by default (`semiSpaceMb`, then
 * `nodeOptions`, as `templates/engine.yaml` renders NODE_OPTIONS), so that the service figures
 * measure the process a deployment runs, not one with Node's defaults.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const VALUES = 'helm/meshwarden/values.yaml';

export function chartNodeFlags(): string[] {
  const values = parse(readFileSync(VALUES, 'utf8')) as { semiSpaceMb?: unknown; nodeOptions?: unknown };
  const flags: string[] = [];
  if (typeof values.semiSpaceMb === 'number' && values.semiSpaceMb > 0) flags.push(`--max-semi-space-size=${values.semiSpaceMb}`);
  if (typeof values.nodeOptions === 'string') flags.push(...values.nodeOptions.split(/\s+/).filter((f) => f !== ''));
  return flags;
}

/** True when this process runs with every one of the chart's flags. */
export function runsWithChartFlags(): boolean {
  const given = new Set([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]);
  return chartNodeFlags().every((flag) => given.has(flag));
}
