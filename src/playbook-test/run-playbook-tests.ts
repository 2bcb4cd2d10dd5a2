import { closest } from '../config/describe-issue.js';
import type { LoadedDocument } from '../config/yaml-document.js';
import type { DetectorSpec } from '../detect/detector-spec.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import { applyVarOverrides } from '../playbook/playbook-vars.js';
import type { ConfigProblem } from '../shared/errors.js';
import { compareExpectations, formatMismatches } from './compare-expectations.js';
import type { PlaybookTestSpec } from './playbook-test-spec.js';
import { runTestCase, type ObservedAction } from './run-test-case.js';

/** The verdict on one case of one test file. */
export interface CaseResult {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly passed: boolean;
  /** Why it failed: the diff, the dead letters, or why it could not run. Empty when it passed. */
  readonly details: string[];
  /** What the playbooks did (shown with the diff so the author sees the whole run). */
  readonly actions: readonly ObservedAction[];
}

/** Problems of the test files (unknown names) and the verdict on every case that could run. */
export interface PlaybookTestRun {
  readonly problems: ConfigProblem[];
  readonly results: CaseResult[];
}

/**
 * Runs every case of every test file against the loaded detectors and playbooks: each case only
 * with the playbooks its file names and the detectors it names (or its playbooks' triggers name),
 * from empty state, so cases never see each other's baselines, incidents or cooldowns.
 */
export function runPlaybookTests(
  tests: readonly LoadedDocument<PlaybookTestSpec>[],
  config: { readonly detectors: readonly DetectorSpec[]; readonly playbooks: readonly PlaybookSpec[] },
): PlaybookTestRun {
  const problems: ConfigProblem[] = [];
  const results: CaseResult[] = [];
  const playbooksByName = new Map(config.playbooks.map((p) => [p.metadata.name, p]));
  const detectorsByName = new Map(config.detectors.map((d) => [d.metadata.name, d]));
  for (const doc of tests) {
    const spec = doc.value.spec;
    const unknown = (list: 'playbooks' | 'detectors', names: readonly string[], known: ReadonlyMap<string, unknown>): void => {
      names.forEach((name, i) => {
        if (known.has(name)) return;
        const suggestion = closest(name, [...known.keys()]);
        problems.push({
          rule: 'unknown-reference', file: doc.file, ...doc.locate(['spec', list, i]), path: `spec.${list}[${i}]`,
          message: `no ${list.slice(0, -1)} is named "${name}"; ${suggestion !== undefined ? `did you mean "${suggestion}"?` : `known: ${[...known.keys()].join(', ') || 'none'}`}`,
        });
      });
    };
    unknown('playbooks', spec.playbooks, playbooksByName);
    if (spec.detectors !== undefined) unknown('detectors', spec.detectors, detectorsByName);
    const named = spec.playbooks.flatMap((name) => playbooksByName.get(name) ?? []);
    if (named.length < spec.playbooks.length) continue;
    const withVars = applyVarOverrides(named, spec.playbookVars ?? {});
    for (const message of withVars.problems) {
      problems.push({ rule: 'unknown-reference', file: doc.file, ...doc.locate(['spec', 'playbookVars']), path: 'spec.playbookVars', message: message.replace(/^playbookVars\./, 'spec.playbookVars.') });
    }
    if (withVars.problems.length > 0) continue;
    const playbooks = withVars.playbooks;
    const detectorNames = spec.detectors ?? [...new Set(playbooks.flatMap((p) => p.spec.trigger.detectors))];
    const detectors = detectorNames.flatMap((name) => detectorsByName.get(name) ?? []);
    spec.tests.forEach((testCase, i) => {
      const where = { file: doc.file, line: doc.locate(['spec', 'tests', i, 'name']).line, name: testCase.name };
      const usesRecords = (testCase.input.records?.length ?? 0) > 0;
      const untrained = detectors.filter((d) => d.spec.autoencoder !== undefined).map((d) => d.metadata.name);
      if (usesRecords && untrained.length > 0) {
        results.push({ ...where, passed: false, actions: [], details: [`  records cannot be scored by ${untrained.join(', ')}: an autoencoder needs a trained model; feed its anomalies directly under input.anomalies`] });
        return;
      }
      const outcome = runTestCase(testCase, { detectors, playbooks, windowMs: spec.window });
      if (!outcome.ok) {
        results.push({ ...where, passed: false, actions: [], details: [`  ${outcome.problem}`] });
        return;
      }
      const details = formatMismatches(compareExpectations(testCase.expect, outcome));
      if (outcome.deadLetters.length > 0) {
        details.push('  input records the engine could not use (dead-lettered):', ...outcome.deadLetters.map((line) => `    ${line}`));
      }
      results.push({ ...where, passed: details.length === 0, details, actions: outcome.actions });
    });
  }
  return { problems, results };
}
