import { beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/embedded/run-embedded.js';
import { markdownReport } from '../../src/report/markdown-report.js';
import { markdownCode } from '../../src/report/markdown-text.js';
import { terminalText } from '../../src/shared/terminal-text.js';
import { HOSTILE_MODEL, HOSTILE_VERSION, replayReportFixture } from '../unit/helpers/report-fixture.js';
import { liveMarkup, splitCodeSpans, tableCells } from './markdown-reader.js';

// A compromised model publisher names its model to attack whoever reads the run's summary in a
// ticket: close the table cell, plant a link and an image whose error handler runs script, open
// a script element, break the line to forge a heading. The engine carries the name into the
// entity, the case root and the Slack alert's description.

let report: RunReport;
const hostileEntity = `model:ml-prod/${HOSTILE_MODEL}@${HOSTILE_VERSION}`;

beforeAll(async () => {
  report = await replayReportFixture();
});

describe('client-written names in the Markdown summary', () => {
  it('reach the report (the attack is live)', () => {
    expect(report.cases.map((c) => c.root)).toContain(hostileEntity);
  });

  it('the reader used below sees the attack in naive Markdown: a link, an image, HTML and an extra cell', () => {
    const naive = `| medium | ${hostileEntity} | 1 |`;
    expect(liveMarkup(naive).length).toBeGreaterThan(2);
    expect(tableCells(naive).length).toBeGreaterThan(3);
  });

  it('create no link, image, HTML, mention or autolink anywhere in the document', () => {
    const markdown = markdownReport(report);
    expect(liveMarkup(markdown)).toEqual([]);
    // The line break was not carried: no forged heading.
    expect(markdown.split('\n').filter((l) => l.startsWith('# '))).toEqual(['# meshwarden run: 2 case(s), worst medium']);
  });

  it('add no table cell: every row of the cases table splits into the header\'s seven cells', () => {
    const rows = markdownReport(report).split('\n').filter((l) => l.startsWith('|'));
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(tableCells(row)).toHaveLength(7);
  });

  it('are still there for the analyst to read, whole, as code', () => {
    const lines = markdownReport(report).split('\n');
    const root = lines.find((l) => l.startsWith('- **Root:** ``'));
    expect(root).toBeDefined();
    expect(splitCodeSpans(root ?? '').code).toEqual([terminalText(hostileEntity, 256)]);
    // In the table the pipe is escaped for GFM, which unescapes it inside the span.
    const caseId = report.cases.find((c) => c.root === hostileEntity)?.id ?? '?';
    const row = lines.find((l) => l.startsWith(`| medium | \`${caseId}\` |`));
    const rootCell = tableCells(row ?? '')[2] ?? '';
    expect(splitCodeSpans(rootCell.replaceAll('\\|', '|')).code[0]).toBe(terminalText(hostileEntity, 96));
  });

  it('cannot close their code span with backticks of their own, however many', () => {
    for (const value of ['`', '``x``', 'a ``` b', '` leading and trailing `', 'x`|`](http://evil)', ' ']) {
      const span = markdownCode(value, { inTable: true });
      const { live, code } = splitCodeSpans(`a ${span} b`);
      expect(live).toBe('a  b');
      expect(code.map((c) => c.replaceAll('\\|', '|'))).toEqual([terminalText(value)]);
    }
  });
});
