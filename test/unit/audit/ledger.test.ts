import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { HEAD_FILE, LEDGER_FILE, Ledger } from '../../../src/audit/ledger.js';
import { verifyLedger } from '../../../src/audit/verify-ledger.js';
import { ManualClock } from '../../../src/shared/clock.js';

let dir: string;

async function ledgerWith(n: number): Promise<string[]> {
  const ledger = await Ledger.open(dir, new ManualClock(Date.UTC(2026, 10, 2)));
  for (let i = 0; i < n; i++) ledger.append('anomaly', { i, detector: 'egress-spike', nested: { b: 2, a: 1 } });
  await ledger.flush();
  return (await readFile(join(dir, LEDGER_FILE), 'utf8')).trim().split('\n');
}

async function rewrite(lines: string[]): Promise<void> {
  await writeFile(join(dir, LEDGER_FILE), `${lines.join('\n')}\n`);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshwarden-ledger-'));
});

describe('audit ledger', () => {
  it('verifies an intact chain, across reopenings', async () => {
    await ledgerWith(3);
    const reopened = await Ledger.open(dir, new ManualClock(0));
    reopened.append('action', { outcome: 'dry-run' });
    await reopened.flush();
    expect(await verifyLedger(dir)).toEqual({ ok: true, records: 4, signing: 'unsigned', checkpoints: 0, signedThrough: 0, unsignedTail: 4 });
  });

  it('detects an edited record and names it', async () => {
    const lines = await ledgerWith(5);
    lines[2] = (lines[2] ?? '').replace('"i":2', '"i":7');
    await rewrite(lines);
    expect(await verifyLedger(dir)).toMatchObject({ ok: false, line: 3, seq: 3, problem: expect.stringContaining('edited') as unknown });
  });

  it('detects a deleted record', async () => {
    const lines = await ledgerWith(5);
    lines.splice(1, 1);
    await rewrite(lines);
    expect(await verifyLedger(dir)).toMatchObject({ ok: false, line: 2, seq: 3 });
  });

  it('detects two records swapped', async () => {
    const lines = await ledgerWith(5);
    const [a, b] = [lines[1] ?? '', lines[2] ?? ''];
    lines[1] = b;
    lines[2] = a;
    await rewrite(lines);
    expect(await verifyLedger(dir)).toMatchObject({ ok: false, line: 2 });
  });

  it('detects records cut from the end through the head anchor', async () => {
    const lines = await ledgerWith(5);
    await rewrite(lines.slice(0, 3));
    expect(await verifyLedger(dir)).toMatchObject({ ok: false, problem: expect.stringContaining('removed from the end') as unknown });
  });

  it('detects a record rewritten with a recomputed hash, because the next one no longer chains', async () => {
    const lines = await ledgerWith(4);
    const { createHash } = await import('node:crypto');
    const { canonicalJson } = await import('../../../src/audit/canonical-json.js');
    const record = JSON.parse(lines[1] ?? '') as { seq: number; recordedAt: string; type: string; data: unknown; prev: string; hash: string };
    record.data = { forged: true };
    record.hash = createHash('sha256').update(record.prev).update('\n').update(canonicalJson({ seq: record.seq, recordedAt: record.recordedAt, type: record.type, data: record.data })).digest('hex');
    lines[1] = JSON.stringify(record);
    await rewrite(lines);
    expect(await verifyLedger(dir)).toMatchObject({ ok: false, line: 3, seq: 3, problem: expect.stringContaining('chain') as unknown });
  });

  it('reports a missing head anchor', async () => {
    await ledgerWith(2);
    await writeFile(join(dir, HEAD_FILE), 'not json');
    expect(await verifyLedger(dir)).toMatchObject({ ok: false, problem: expect.stringContaining('head anchor') as unknown });
  });
});
