import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPORT_VERSION, RUN_REPORT_SCHEMA_FILE, runReportJsonSchema, runReportSchema } from '../../../src/embedded/report-schema.js';
import type { RunReport } from '../../../src/embedded/run-embedded.js';
import { replayReportFixture } from '../helpers/report-fixture.js';

let report: RunReport;
beforeAll(async () => {
  report = await replayReportFixture();
});

describe('the run report\'s schema', () => {
  it('the committed schema matches the engine\'s (regenerate with `npm run schemas`)', async () => {
    const committed: unknown = JSON.parse(await readFile(RUN_REPORT_SCHEMA_FILE, 'utf8'));
    expect(committed).toEqual(runReportJsonSchema());
    expect(runReportJsonSchema().$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('describes a real report, as written to disk, with its version, anomalies, cases and actions', () => {
    const written: unknown = JSON.parse(JSON.stringify(report));
    const parsed = runReportSchema.parse(written);
    expect(parsed.reportVersion).toBe(REPORT_VERSION);
    expect(parsed.cases.length).toBeGreaterThan(0);
    expect(parsed.actions.map((a) => a.outcome)).toContain('refused');
  });

  it('refuses a report with a field it does not list, or without one it requires', () => {
    const written = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
    expect(runReportSchema.safeParse({ ...written, surprise: 1 }).success).toBe(false);
    const { cases: _cases, ...withoutCases } = written;
    expect(runReportSchema.safeParse(withoutCases).success).toBe(false);
    const actions = written.actions as Record<string, unknown>[];
    expect(runReportSchema.safeParse({ ...written, actions: [{ ...actions[0], outcome: 'exploded' }] }).success).toBe(false);
  });

  it('lists every top-level field as required or optional in the JSON Schema', () => {
    const schema = runReportJsonSchema() as { properties: Record<string, unknown>; required: string[]; additionalProperties: unknown };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(report).concat(report.inputError === undefined ? ['inputError'] : []).sort());
    expect(schema.required).toContain('reportVersion');
    expect(schema.additionalProperties).toBe(false);
  });
});
