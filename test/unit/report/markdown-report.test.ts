import { beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../../src/embedded/run-embedded.js';
import { MARKDOWN_LIMITS, markdownReport } from '../../../src/report/markdown-report.js';
import { replayReportFixture } from '../helpers/report-fixture.js';

let report: RunReport;
beforeAll(async () => {
  report = await replayReportFixture();
});

describe('the Markdown summary of a run', () => {
  it('has a title, the totals, the cases table and a section per case with root, incidents, first evidence and actions', () => {
    const lines = markdownReport(report).split('\n');
    expect(lines[0]).toBe('# meshwarden run: 2 case(s), worst medium');
    expect(lines[2]).toMatch(/: 1,080 records read, 1,080 parsed, 0 dead-lettered; 180 entity windows scored; 65 anomalies in 2 incidents \(2 cases\); 6 actions \(dry-run\)\. Report version 1\.$/);
    expect(lines.slice(4, 9)).toEqual([
      '## Cases', '',
      '| severity | case | root | span | incidents | detectors | actions (planned/refused/silenced/covered) |',
      '| --- | --- | --- | --- | ---: | --- | --- |',
      '| medium | `18908c190035e50e` | `model:ml-prod/churn@v7` | 2026-11-03 09:20Z .. 10:00Z | 1 | `confidence-floor` | 3/0/0/0 |',
    ]);
    const section = lines.slice(lines.indexOf('## Case `18908c190035e50e` (medium)'));
    expect(section.slice(2, 12)).toEqual([
      '- **Root:** `model:ml-prod/churn@v7`',
      '- **Span:** 2026-11-03 09:20Z .. 10:00Z, max score 0.979, 40 anomalous window(s)',
      '- **Incidents:**',
      '  - `04ef9ac43015f845` on `model:ml-prod/churn@v7`: 2026-11-03 09:20Z .. 10:00Z, max score 0.979, 40 anomalous window(s)',
      '- **First evidence:**',
      '  - 2026-11-03 09:20Z `confidence-floor` (medium) score 0.979 on `model:ml-prod/churn@v7`: `confidence_mean` 0.100 (expected 0.500)',
      '- **Actions:**',
      '  - 2026-11-03 09:21Z `tell-the-soc` / `alert`: **dry-run**: `would post the incident summary to #soc-alerts with "Model churn lost confidence", threaded per incident`',
      '  - 2026-11-03 09:21Z `roll-back-model` / `approve rollback`: **dry-run**: `would ask 1 of 1 approver(s) in #ml-oncall; deny after 15m without an answer`',
      expect.stringMatching(/^ {2}- 2026-11-03 09:21Z `roll-back-model` \/ `roll back`: \*\*dry-run\*\*: `would roll ml-prod\/churn-predictor back/),
    ]);
    expect(markdownReport(report)).toContain(': **refused**: `target: "{{ entity.model }}" may not pick the target');
  });

  it('stays ticket-sized: past its limits it points at the JSON report', () => {
    const template = report.cases[0];
    if (template === undefined) throw new Error('the fixture has no case');
    const many = Array.from({ length: MARKDOWN_LIMITS.tableRows + 5 }, (_, i) => ({ ...template, id: `case${String(i).padStart(12, '0')}` }));
    const markdown = markdownReport({ ...report, cases: many });
    expect(markdown.split('\n').filter((l) => l.startsWith('| medium |'))).toHaveLength(MARKDOWN_LIMITS.tableRows);
    expect(markdown).toContain('... and 5 more case(s) in the JSON report.');
    expect(markdown.split('\n').filter((l) => l.startsWith('## Case '))).toHaveLength(MARKDOWN_LIMITS.detailedCases);
    expect(markdown).toContain(`Details of ${MARKDOWN_LIMITS.tableRows + 5 - MARKDOWN_LIMITS.detailedCases} more case(s) are in the JSON report.`);
  });
});
