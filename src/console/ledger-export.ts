import type { LedgerRecord } from '../audit/ledger-record.js';
import { dataOf, text } from './incident-linker.js';
import { readLedgerRecords } from './ledger-records.js';
import { summarizeRecord } from './record-summary.js';

/** The formats of `audit export`. */
export type ExportFormat = 'jsonl' | 'csv';

/** The CSV columns, in order. */
export const CSV_COLUMNS = ['seq', 'recordedAt', 'type', 'event', 'incidentId', 'playbook', 'action', 'target', 'outcome', 'summary', 'hash', 'data'] as const;

/**
 * A CSV cell: quoted, quotes doubled; a cell a spreadsheet would run as a formula (starting with
 * `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`, since the ledger quotes
 * values a client chose (a path, a user agent).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

function csvRow(record: LedgerRecord): string {
  const data = dataOf(record);
  const cells: Record<(typeof CSV_COLUMNS)[number], string> = {
    seq: String(record.seq), recordedAt: record.recordedAt, type: record.type, event: text(data, 'event') ?? '',
    incidentId: text(data, 'incidentId') ?? (record.type === 'incident' ? text(data, 'id') ?? '' : ''),
    playbook: text(data, 'playbook') ?? '', action: text(data, 'action') ?? '', target: text(data, 'target') ?? '', outcome: text(data, 'outcome') ?? '',
    summary: summarizeRecord(record), hash: record.hash, data: JSON.stringify(record.data),
  };
  return CSV_COLUMNS.map((c) => csvCell(cells[c])).join(',');
}

/**
 * Streams the ledger's records recorded at or after `since` (epoch ms) to `write`, one line each:
 * the records as JSON lines (chain fields included, so an export can be checked against the
 * ledger), or CSV with a header. Returns how many were written; memory stays one record.
 */
export async function exportLedger(ledgerFile: string, format: ExportFormat, since: number | undefined, write: (line: string) => void | Promise<void>): Promise<{ written: number; unreadable: number }> {
  let written = 0;
  if (format === 'csv') await write(`${CSV_COLUMNS.join(',')}\n`);
  const { unreadable } = await readLedgerRecords(ledgerFile, async (record) => {
    if (since !== undefined && !(Date.parse(record.recordedAt) >= since)) return;
    await write(`${format === 'csv' ? csvRow(record) : JSON.stringify(record)}\n`);
    written++;
  });
  return { written, unreadable };
}
