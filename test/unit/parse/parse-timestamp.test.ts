import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTimestamp, parseTimestampRange } from '../../../src/parse/parse-timestamp.js';

describe('parseTimestamp', () => {
  it.each([
    ['2024-06-18T10:19:42.614Z', Date.UTC(2024, 5, 18, 10, 19, 42, 614)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T23:59:59.999Z', Date.UTC(2000, 1, 29, 23, 59, 59, 999)],
    ['2024-06-18T10:19:42.614893018Z', Date.UTC(2024, 5, 18, 10, 19, 42, 614)],
    ['2024-06-18T10:19:42.6Z', Date.UTC(2024, 5, 18, 10, 19, 42, 600)],
    ['2024-06-18T12:19:42.614+02:00', Date.UTC(2024, 5, 18, 10, 19, 42, 614)],
    ['1969-12-31T23:59:59.999Z', -1],
  ])('reads %s', (text, expected) => {
    expect(parseTimestamp(text)).toBe(expected);
  });

  it.each([
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-06-18T24:00:00Z',
    '2024-06-18T10:19:42.Z',
    '2024-06-18T10:19:42',
    '2024-06-18',
    '1',
    'Tue, 18 Jun 2024 10:19:42 GMT',
    '',
  ])('rejects %j (Date.parse would accept or roll over some of these)', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });

  it('agrees with Date.parse on every millisecond-precision UTC timestamp', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }), (date) => {
        const iso = date.toISOString();
        expect(parseTimestamp(iso)).toBe(date.getTime());
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a range in place, as the TEXT scanner does', () => {
    const line = '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1"';
    expect(parseTimestampRange(line, 1, 25)).toBe(Date.parse('2020-11-25T21:26:18.409Z'));
  });
});
