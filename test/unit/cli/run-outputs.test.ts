import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReportSchema } from '../../../src/embedded/report-schema.js';
import type { RunReport } from '../../../src/embedded/run-embedded.js';
import { htmlReport } from '../../../src/report/html-report.js';
import { markdownReport } from '../../../src/report/markdown-report.js';
import { writeReportFixture } from '../helpers/report-fixture.js';
import { meshwarden } from './spawn-cli.js';

describe('meshwarden run --report, --markdown and --html', () => {
  it('write the JSON report, the Markdown summary and the HTML page of the same run', () => {
    const fixture = writeReportFixture();
    const files = { report: join(fixture.dir, 'r.json'), markdown: join(fixture.dir, 'r.md'), html: join(fixture.dir, 'r.html') };
    const { code, stderr } = meshwarden([
      'run', '--input', fixture.input, '--detectors', fixture.detectorsDir, '--playbooks', fixture.playbooksDir, '--state', fixture.stateDir,
      '--report', files.report, '--markdown', files.markdown, '--html', files.html,
    ]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(readFileSync(files.report, 'utf8')) as RunReport;
    expect(runReportSchema.safeParse(report).success).toBe(true);
    expect(readFileSync(files.markdown, 'utf8')).toBe(markdownReport(report));
    expect(readFileSync(files.html, 'utf8')).toBe(htmlReport(report));
  }, 60_000);

  it('name the option and the file they cannot write, and exit 2', () => {
    const fixture = writeReportFixture();
    const missing = join(fixture.dir, 'no-such-dir', 'r.html');
    const { code, stderr } = meshwarden(['run', '--input', fixture.input, '--detectors', fixture.detectorsDir, '--playbooks', fixture.playbooksDir, '--state', fixture.stateDir, '--html', missing]);
    expect(code).toBe(2);
    expect(stderr).toContain(`error: cannot write --html ${missing}: ENOENT\n`);
    expect(stderr).not.toContain('    at ');
  }, 60_000);
});
