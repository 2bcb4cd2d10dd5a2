import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DetectorSpec } from '../detect/detector-spec.js';
import { applyVarOverrides, unsetVars } from '../playbook/playbook-vars.js';
import type { ConfigProblem } from '../shared/errors.js';
import { loadConfig, unknownDetectors } from './load-config.js';
import { neverFiringTriggers } from './never-firing-triggers.js';
import { protectedTargets } from './protected-targets.js';

/** The detectors shipped with meshwarden (`<package>/detectors`, beside `src/` and `dist/`). */
export const SHIPPED_DETECTORS_DIR = fileURLToPath(new URL('../../detectors', import.meta.url));

/** What `meshwarden check` found, and what it checked against. */
export interface CheckResult {
  readonly problems: ConfigProblem[];
  readonly files: number;
  readonly detectors: number;
  readonly playbooks: number;
  readonly tests: number;
  readonly services: number;
  /**
   * Set when the files held playbooks but no detector: the detectors their triggers were checked
   * against instead, so a playbook naming an unknown detector never passes for want of any.
   */
  readonly reference?: { readonly dir: string; readonly detectors: readonly string[] };
  /**
   * Per playbook, its variables with no default that no service config among the files sets:
   * not a problem (each install sets its own), but the steps using them are refused until it does.
   */
  readonly unsetVars: Readonly<Record<string, readonly string[]>>;
}

/**
 * Checks files the way `meshwarden check` does: every document against its schema, then across
 * documents (unique names, detectors that exist), then what loads but can never work: triggers
 * that never fire and steps aimed at a protected namespace. Every problem is returned, whatever
 * else failed: a file with a schema problem does not hide another file's cross-reference.
 *
 * @param referenceDir detectors to check playbooks against when `paths` hold none.
 */
export async function checkConfig(paths: readonly string[], referenceDir?: string): Promise<CheckResult> {
  const config = await loadConfig(paths, { serviceConfigs: true });
  const problems = [...config.problems];
  let detectors: readonly DetectorSpec[] = config.detectors.map((d) => d.value);
  let reference: CheckResult['reference'];
  if (config.detectorNames.length === 0 && config.triggers.length > 0) {
    const dir = referenceDir ?? (existsSync('detectors') ? 'detectors' : SHIPPED_DETECTORS_DIR);
    const loaded = await loadConfig([dir]);
    problems.push(...loaded.problems);
    detectors = loaded.detectors.map((d) => d.value);
    reference = { dir, detectors: detectors.map((d) => d.metadata.name) };
    problems.push(...unknownDetectors(config.triggers, new Set(reference.detectors)));
  }
  // The first of two detectors sharing a name is the one kept; the second is reported as a duplicate.
  const byName = new Map<string, DetectorSpec>();
  for (const d of detectors) if (!byName.has(d.metadata.name)) byName.set(d.metadata.name, d);
  const service = config.services[0]?.value;
  problems.push(
    ...neverFiringTriggers(config.playbooks, byName),
    ...protectedTargets(config.playbooks, service ? [...service.protectedNamespaces, service.namespace] : undefined),
  );
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  const withVars = applyVarOverrides(config.playbooks.map((p) => p.value), service?.playbookVars ?? {}).playbooks;
  const unset = Object.fromEntries(withVars.flatMap((p) => { const names = unsetVars(p); return names.length > 0 ? [[p.metadata.name, names]] : []; }));
  return {
    unsetVars: unset,
    problems, files: config.files.length, detectors: config.detectors.length, playbooks: config.playbooks.length,
    tests: config.tests.length, services: config.services.length, ...(reference !== undefined ? { reference } : {}),
  };
}
