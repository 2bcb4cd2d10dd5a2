import { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { runPlaybookTests, type CaseResult } from '../playbook-test/run-playbook-tests.js';
import { formatProblem } from '../shared/errors.js';
import { terminalText } from '../shared/terminal-text.js';

/**
 * `meshwarden test`: runs playbook tests (like `promtool test rules`). Exit 0 when every case
 * passes, 1 when a case fails or a file has problems, 2 when no test file was given.
 */
export function testCommand(): Command {
  return new Command('test')
    .description('run playbook tests: feed each case\'s records or anomalies through the engine in dry-run and compare the anomalies, incidents and actions with what it expects')
    .argument('<paths...>', 'test files or directories (YAML, kind: PlaybookTest)')
    .option('--detectors <dir>', 'detector definitions', 'detectors')
    .option('--playbooks <dir>', 'playbook definitions', 'playbooks')
    .action(async (paths: string[], opts: { detectors: string; playbooks: string }, command: Command) => {
      const config = await loadConfig([opts.detectors, opts.playbooks]);
      const testFiles = await loadConfig(paths);
      const problems = [...config.problems, ...testFiles.problems];
      if (testFiles.tests.length === 0 && testFiles.problems.length === 0) {
        command.error(`error: no PlaybookTest document in ${paths.join(', ')}; a test file starts with "kind: PlaybookTest"`, { exitCode: 2 });
      }
      const run = problems.length > 0 ? { problems: [], results: [] } : runPlaybookTests(testFiles.tests, { detectors: config.detectors.map((d) => d.value), playbooks: config.playbooks.map((p) => p.value) });
      const allProblems = [...problems, ...run.problems];
      const out: string[] = allProblems.map((p) => terminalText(formatProblem(p), 4096));
      out.push(...formatResults(run.results));
      const failed = run.results.filter((r) => !r.passed).length;
      const files = new Set(run.results.map((r) => r.file)).size;
      out.push(allProblems.length > 0
        ? `${allProblems.length} problem(s) in the test files, detectors or playbooks; no case ran`
        : `${run.results.length} case(s) in ${files} file(s): ${run.results.length - failed} passed, ${failed} failed`);
      process.stdout.write(`${out.join('\n')}\n`);
      if (allProblems.length > 0 || failed > 0) process.exitCode = 1;
    });
}

/** Each file, then each case as PASS or FAIL; a failure shows its diff and what the playbooks did. */
export function formatResults(results: readonly CaseResult[]): string[] {
  const out: string[] = [];
  let file: string | undefined;
  for (const r of results) {
    if (r.file !== file) {
      file = r.file;
      out.push(terminalText(r.file, 1024));
    }
    out.push(`  ${r.passed ? 'PASS' : 'FAIL'} ${terminalText(r.name, 256)}${r.passed ? '' : ` (${terminalText(r.file, 1024)}:${r.line})`}`);
    if (r.passed) continue;
    for (const line of r.details) out.push(`  ${terminalText(line, 4096)}`);
    if (r.actions.length > 0) {
      out.push('    what the playbooks did:');
      for (const a of r.actions) out.push(`      ${terminalText(`${a.playbook} / ${a.step}: ${a.action} ${a.target}: ${a.outcome}: ${a.description}`, 1024)}`);
    }
  }
  return out;
}
