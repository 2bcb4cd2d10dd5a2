import { beforeAll, describe, expect, it } from 'vitest';
import { detectorList, formatReport } from '../../../src/cli/print-report.js';
import type { RunReport } from '../../../src/embedded/run-embedded.js';
import { replayReportFixture } from '../helpers/report-fixture.js';

let report: RunReport;
beforeAll(async () => {
  report = await replayReportFixture();
});

describe('the text summary of a run', () => {
  it('opens with the totals, then one table row per case, then the details as before', () => {
    const lines = formatReport(report).split('\n');
    expect(lines[0]).toBe('read 1,080 messages, 1,080 records: 1,080 parsed, 0 dead-lettered');
    expect(lines[2]).toBe('');
    expect(lines[3]).toMatch(/^severity {2}case {14}root +span +incidents {2}detectors +actions p\/r\/s\/c$/);
    expect(lines[4]).toMatch(/^medium {4}18908c190035e50e {2}model:ml-prod\/churn@v7 +2026-11-03 09:20Z \.\. 10:00Z {2}1 +confidence-floor {2}3\/0\/0\/0$/);
    // The hostile model's rollback was refused: two planned (the alert, the approval), one refused.
    expect(lines[5]).toMatch(/^medium {4}bfc60ec69b98c96a {2}model:ml-prod\/x\|y\]\(http:\/\/evil\)<img .*\(\d+ more characters\) +2026-11-03 09:35Z \.\. 10:00Z {2}1 +confidence-floor {2}2\/1\/0\/0$/);
    expect(lines[6]).toBe('');
    expect(lines[7]).toBe('case 18908c190035e50e  root model:ml-prod/churn@v7  1 incident(s)');
    // Every row is as wide as the header up to its last column: the hostile root is cut, not spilled.
    const actionsAt = lines[3]?.indexOf('actions') ?? -1;
    expect(lines.slice(4, 6).map((l) => l.lastIndexOf('  ') + 2)).toEqual([actionsAt, actionsAt]);
  });

  it('puts the most severe case first, its severity the highest of its anomalies', () => {
    const hostile = report.cases[1]?.root ?? '';
    // One window of the second case turns critical.
    const anomalies = report.anomalies.map((a, i) => (a.entity === hostile && i === report.anomalies.length - 1 ? { ...a, severity: 'critical' as const } : a));
    const lines = formatReport({ ...report, anomalies }).split('\n');
    expect(lines[4]).toMatch(/^critical {2}bfc60ec69b98c96a /);
    expect(lines[5]).toMatch(/^medium {4}18908c190035e50e /);
  });

  it('counts silenced and covered steps in their own columns, and no skipped step at all', () => {
    const churn = report.cases[0]?.id;
    const actions = report.actions.map((a, i) => (a.caseId !== churn ? a : { ...a, outcome: (['silenced', 'covered', 'skipped'] as const)[i % 3] ?? 'skipped' }));
    const row = formatReport({ ...report, actions }).split('\n').find((l) => l.includes(`  ${churn ?? '?'}  `));
    expect(row).toMatch(/ 0\/0\/1\/1$/);
  });
});

describe('the detectors cell of the case table', () => {
  it('names whole detectors that fit and counts the rest, never cutting a name', () => {
    const names = ['error-regression', 'error-storm', 'latency-regression', 'latency-storm', 'mesh-autoencoder'];
    expect(detectorList(names.slice(0, 2), 48)).toBe('error-regression, error-storm');
    const cell = detectorList(names, 48);
    expect(cell).toBe('error-regression, error-storm +3 more');
    expect(cell.length).toBeLessThanOrEqual(48);
  });

  it('cuts a single name wider than the column, escaped like every other cell', () => {
    const cell = detectorList(['a'.repeat(100), 'b'], 20);
    expect(cell).toMatch(/^a{20}\.\.\.\(80 more characters\)$/);
    expect(detectorList(['x\u001b[31my'], 48)).not.toContain('\u001b');
  });
});
