import type { CheckResult } from '../config/check-config.js';
import { formatProblem, type ConfigRule } from '../shared/errors.js';
import { terminalText } from '../shared/terminal-text.js';

/** Output formats of `meshwarden check`. */
export const CHECK_FORMATS = ['text', 'json', 'sarif'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

const RULES: Record<ConfigRule, string> = {
  'schema': 'A document does not match the schema of its kind (an unknown key, a wrong value, a bad template)',
  'unknown-reference': 'A playbook or test names a detector or playbook that does not exist',
  'duplicate-name': 'Two documents of a kind share a name',
  'never-fires': 'A playbook trigger can never match the anomalies of a detector it names',
  'protected-target': 'A step targets a protected namespace, where the engine refuses every action',
};

/** The result as text for a terminal: one `file:line:col message` per problem, then a summary. */
export function checkText(result: CheckResult): string {
  const out = result.problems.map((p) => terminalText(formatProblem(p), 4096));
  out.push(result.problems.length > 0
    ? `${result.problems.length} problem(s) in ${new Set(result.problems.map((p) => p.file)).size} file(s)`
    : `ok: ${result.detectors} detector(s), ${result.playbooks} playbook(s)${result.tests > 0 ? `, ${result.tests} playbook test(s)` : ''}${result.services > 0 ? `, ${result.services} service config(s)` : ''} in ${result.files} file(s)`);
  return `${out.join('\n')}\n`;
}

/**
 * Which detectors playbooks were checked against when the files held none (for stderr: stdout
 * keeps only `file:line:col` lines and the summary), or undefined.
 */
export function checkNote(result: CheckResult): string | undefined {
  const notes: string[] = [];
  if (result.reference !== undefined) {
    notes.push(`note: no detector among the files; playbooks checked against the ${result.reference.detectors.length} detector(s) in ${terminalText(result.reference.dir, 1024)}`);
  }
  for (const [playbook, names] of Object.entries(result.unsetVars)) {
    notes.push(terminalText(
      `note: playbook ${playbook}: ${names.map((n) => `vars.${n}`).join(', ')} ${names.length === 1 ? 'has' : 'have'} no default; set ` +
      `${names.map((n) => `playbookVars.${playbook}.${n}`).join(', ')} in the service config (check it with the playbooks, or meshwarden run --config); until then the steps using them are refused`,
      4096,
    ));
  }
  return notes.length > 0 ? `${notes.join('\n')}\n` : undefined;
}

/** The result as JSON, for scripts: every problem with its rule, and what was checked. */
export function checkJson(result: CheckResult): string {
  const { problems, ...counts } = result;
  return `${JSON.stringify({ ok: problems.length === 0, ...counts, problems: problems.map((p) => ({ ...p, rule: p.rule ?? 'schema' })) }, null, 2)}\n`;
}

/**
 * The result as SARIF 2.1.0, which CI systems (GitHub code scanning, GitLab, Azure DevOps) turn
 * into annotations on the lines of a pull request. A problem about a whole file has no region.
 */
export function checkSarif(result: CheckResult, version: string): string {
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'meshwarden',
          version,
          informationUri: 'https://github.com/meshwarden/meshwarden',
          rules: Object.entries(RULES).map(([id, text]) => ({ id, shortDescription: { text } })),
        },
      },
      results: result.problems.map((p) => ({
        ruleId: p.rule ?? 'schema',
        level: 'error',
        message: { text: p.message },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: p.file.split('\\').join('/') },
            ...(p.line > 0 ? { region: { startLine: p.line, startColumn: Math.max(1, p.col) } } : {}),
          },
        }],
      })),
    }],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
