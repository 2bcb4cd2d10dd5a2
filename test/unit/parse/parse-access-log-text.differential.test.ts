import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAccessLogText } from '../../../src/parse/parse-access-log-text.js';
import { scanWellFormedLine } from '../../../src/parse/scan-well-formed-line.js';
import { DETACHED_CONTEXT } from '../../../src/parse/access-log-context.js';
import { readIstioSamples } from './istio-samples.js';
import { parseAccessLogText as parseWithRegex } from './reference/parse-access-log-text-regex.js';

// The single-pass scanner must read every line exactly as the regular-expression parser it
// replaced: same record, or same rejection code and reason.

const samples = readIstioSamples();
const GOLDEN = [...samples.A, ...samples.B, ...samples.C, ...samples.D].map((line) => line.text);
const WELL_FORMED = samples.A.map((line) => line.text);
const context = {
  origin: { source: 'differential', position: 7 },
  envelope: 'fluent-bit' as const,
  kubernetes: { namespace: 'foo', pod: 'httpbin-0' },
};

/** Characters that delimit, mark or end fields, and ones that look like them. */
const TRICKY = [' ', '"', '-', '[', ']', ';', ',', '|', '\t', '\n', '\r', '\u00a0', '\u2028', '\ufeff', '0', '9', 'Z', 'T', ':', '.', 'a', 'é'];

const trickyChar = fc.constantFrom(...TRICKY);
const plainChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789./:_'.split(''));
/** A field value: usually plain, sometimes `-`, empty, or laced with delimiters. */
const fieldText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: plainChar, minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constant('-') },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.string({ unit: fc.oneof(plainChar, trickyChar), minLength: 0, maxLength: 8 }) },
);
const digits = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 100_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('-', '', '007', '999999999999999', '1234567890123456', '1e3', '4ms') },
);
const startTime = fc.oneof(
  { weight: 6, arbitrary: fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom('2024-02-30T10:00:00.000Z', '2024-06-18T10:19:42Z', '2024-06-18T10:19:42.1234567Z', '2024-06-18 10:19:42.614', '2024-06-18T25:00:00.000Z', '') },
);
const cluster = fc.oneof(
  fc.constantFrom('outbound|8000||httpbin.foo.svc.cluster.local', 'inbound|8080||', 'PassthroughCluster', 'outbound_.80_._.a.b.svc.cluster.local', '-'),
  fc.tuple(fc.constantFrom('outbound|9080|v2|reviews.bookinfo.svc.cluster.local', 'inbound|80||', ''), fieldText).map(([c, s]) => `${c};${s}`),
  fieldText,
);
const sni = fc.oneof(fc.constantFrom('outbound_.8000_._.httpbin.foo.svc.cluster.local', '-', 'edition.cnn.com'), fieldText);

/** A field value that never breaks the layout: plain text or `-`. */
const cleanText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: plainChar, minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constant('-') },
);

/** A line in the 22-field layout whose field values may or may not be well-formed. */
const lineOf = (value: fc.Arbitrary<string>): fc.Arbitrary<string> => fc
  .record({
    ts: startTime,
    method: value,
    path: value,
    protocol: value,
    code: digits,
    flags: fc.oneof(fc.constantFrom('-', 'UF,URX', 'NR', 'UH', ',', 'UF,'), fieldText),
    details: fc.oneof(fc.constantFrom('via_upstream', '-', '"mixer"', '0', 'filter_chain_not_found'), fieldText),
    term: value,
    utfr: value,
    rx: digits,
    tx: digits,
    duration: digits,
    ust: digits,
    xff: value,
    ua: value,
    id: value,
    authority: value,
    host: value,
    cluster,
    ula: value,
    dla: value,
    dra: value,
    sni,
    route: value,
    tail: fc.constantFrom('', '', '', '\n', '\r\n', ' ', '\t\u00a0', ' extra', '\u2028'),
  })
  .map(
    (f) =>
      `[${f.ts}] "${f.method} ${f.path} ${f.protocol}" ${f.code} ${f.flags} ${f.details} ${f.term} "${f.utfr}" ` +
      `${f.rx} ${f.tx} ${f.duration} ${f.ust} "${f.xff}" "${f.ua}" "${f.id}" "${f.authority}" "${f.host}" ` +
      `${f.cluster} ${f.ula} ${f.dla} ${f.dra} ${f.sni} ${f.route}${f.tail}`,
  );

/** One edit of a line: insert, delete or replace one character, or cut the line. */
const edit = fc.record({
  op: fc.constantFrom('insert', 'delete', 'replace', 'cut'),
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  char: fc.oneof(trickyChar, plainChar),
});
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function applyEdit(line: string, e: Edit): string {
  const i = Math.floor(e.at * line.length);
  if (e.op === 'insert') return line.slice(0, i) + e.char + line.slice(i);
  if (e.op === 'delete') return line.slice(0, i) + line.slice(i + 1);
  if (e.op === 'replace') return line.slice(0, i) + e.char + line.slice(i + 1);
  return line.slice(0, i);
}

/** A real Istio line with one to three edits. */
const mutatedLine = fc
  .tuple(fc.constantFrom(...GOLDEN), fc.array(edit, { minLength: 1, maxLength: 3 }))
  .map(([line, edits]) => edits.reduce(applyEdit, line));

describe('the single-pass TEXT scanner against the regular-expression parser it replaced', () => {
  it.each(GOLDEN.map((text, index) => ({ text, n: index + 1 })))('agrees on golden line $n', ({ text }) => {
    expect(parseAccessLogText(text, context)).toStrictEqual(parseWithRegex(text, context));
    expect(parseAccessLogText(text)).toStrictEqual(parseWithRegex(text));
  });

  it('reads every well-formed golden line on the fast path', () => {
    for (const text of WELL_FORMED) {
      // Lines with a `"` inside the User-Agent are the lenient scanner's; the samples have none.
      expect(scanWellFormedLine(text, DETACHED_CONTEXT)).toStrictEqual(parseWithRegex(text));
    }
  });

  it('agrees on 10,000 generated and mutated lines, both accepted and rejected ones', () => {
    const tally = { fast: 0, lenient: 0, rejected: 0 };
    const codes = new Set<string>();
    fc.assert(
      fc.property(fc.oneof({ weight: 2, arbitrary: lineOf(cleanText) }, lineOf(fieldText), mutatedLine), (text) => {
        const expected = parseWithRegex(text, context);
        expect(parseAccessLogText(text, context)).toStrictEqual(expected);
        if (expected.kind === 'rejected') {
          tally.rejected++;
          codes.add(expected.code);
        } else if (scanWellFormedLine(text, context) === undefined) {
          tally.lenient++;
        } else {
          tally.fast++;
        }
      }),
      { numRuns: 10_000, seed: 20_241_106 },
    );
    // Both outcomes, both readers and the rejection classes are exercised, not only one of them.
    expect(tally.fast).toBeGreaterThan(1_000);
    expect(tally.lenient).toBeGreaterThan(100);
    expect(tally.rejected).toBeGreaterThan(1_000);
    for (const code of ['invalid-field', 'legacy-format', 'missing-start-time', 'unknown-shape']) {
      expect(codes).toContain(code);
    }
  });
});
