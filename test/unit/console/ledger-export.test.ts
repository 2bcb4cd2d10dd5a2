import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/audit/ledger.js';
import { exportLedger, csvCell } from '../../../src/console/ledger-export.js';
import { MAX_LEDGER_LINE, readLedgerRecords } from '../../../src/console/ledger-records.js';
import { ManualClock } from '../../../src/shared/clock.js';

describe('audit export', () => {
  it('keeps a spreadsheet from running a client-chosen value as a formula', () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    for (const lead of ['+', '-', '@', '\t', '\r']) expect(csvCell(`${lead}1`)).toBe(`"'${lead}1"`);
    expect(csvCell('plain, "quoted"')).toBe('"plain, ""quoted"""');
  });

  it('streams a CSV row per record with the summary, and counts lines that are not records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwarden-export-'));
    const ledger = await Ledger.open(dir, new ManualClock(Date.UTC(2026, 10, 2)));
    ledger.append('action', { incidentId: 'inc-1', playbook: 'p', action: 'kubernetes.delete-pod', target: 'Pod ml-prod/=cmd', outcome: 'dry-run', description: 'would delete' });
    await ledger.flush();
    const file = join(dir, 'ledger.jsonl');
    writeFileSync(file, `not json\n${'x'.repeat(MAX_LEDGER_LINE + 10)}\n`, { flag: 'a' });
    const lines: string[] = [];
    const { written, unreadable } = await exportLedger(file, 'csv', undefined, (line) => { lines.push(line); });
    expect({ written, unreadable }).toEqual({ written: 1, unreadable: 2 });
    expect(lines[1]).toContain(',"inc-1","p","kubernetes.delete-pod","Pod ml-prod/=cmd","dry-run",');
    expect(lines[1]).toContain('"kubernetes.delete-pod on Pod ml-prod/=cmd: dry-run, would delete"');
    let seen = 0;
    expect((await readLedgerRecords(file, () => { seen++; })).unreadable).toBe(2);
    expect(seen).toBe(1);
  });
});
