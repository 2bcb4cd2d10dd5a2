/**
 * RFC 3339 timestamps to epoch milliseconds, without `Date.parse` on the hot path: Envoy's
 * START_TIME is always `YYYY-MM-DDTHH:MM:SS.mmmZ`, and reading it by hand is several times faster.
 */

// Only what RFC 3339 allows reaches Date.parse: V8's Date.parse accepts far more ("1" is the year
// 2001), and a parser at the edge must not invent a time from garbage.
const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)$/;

// The last date the fast path converted, and its day number since the epoch.
let lastYear = -1;
let lastMonth = -1;
let lastDay = -1;
let lastDays = 0;

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1000;
}

function twoDigits(s: string, i: number): number {
  return digit(s, i) * 10 + digit(s, i + 1);
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (month 1-12). */
function daysFromEpoch(y: number, m: number, d: number): number {
  const yearsBefore = y - 1;
  const leapDays =
    Math.floor(yearsBefore / 4) - Math.floor(yearsBefore / 100) + Math.floor(yearsBefore / 400);
  const daysBeforeYear = yearsBefore * 365 + leapDays - 719162; // 719162 = days from 0001-01-01 to 1970-01-01
  const leapAdjust = m > 2 && isLeapYear(y) ? 1 : 0;
  return daysBeforeYear + (DAYS_BEFORE_MONTH[m - 1] ?? 0) + leapAdjust + d - 1;
}

/**
 * Parses an RFC 3339 timestamp (`2024-06-18T10:19:42.614Z`, any fraction length, `Z` or an offset)
 * into epoch milliseconds, truncating below the millisecond. Returns undefined when the text is not
 * such a timestamp or names an impossible date (month 13, February 30).
 */
export function parseTimestamp(text: string): number | undefined {
  return parseTimestampRange(text, 0, text.length);
}

/**
 * Same as {@link parseTimestamp} on `text.slice(start, end)`, without allocating the slice: the TEXT
 * access-log scanner calls it on the bracketed START_TIME in place.
 */
export function parseTimestampRange(text: string, start: number, end: number): number | undefined {
  const len = end - start;
  // Fast path: UTC with a `Z`, the only form Envoy writes.
  if (
    len >= 20 &&
    text.charCodeAt(start + 4) === 45 && // -
    text.charCodeAt(start + 7) === 45 &&
    text.charCodeAt(start + 10) === 84 && // T
    text.charCodeAt(start + 13) === 58 && // :
    text.charCodeAt(start + 16) === 58 &&
    text.charCodeAt(end - 1) === 90 // Z
  ) {
    const y = twoDigits(text, start) * 100 + twoDigits(text, start + 2);
    const mo = twoDigits(text, start + 5);
    const d = twoDigits(text, start + 8);
    const h = twoDigits(text, start + 11);
    const mi = twoDigits(text, start + 14);
    const sec = twoDigits(text, start + 17);
    let ms = 0;
    let fractionOk = true;
    if (len > 20) {
      // `.` then at least one digit; digits past the millisecond are truncated.
      if (text.charCodeAt(start + 19) !== 46 || len === 21) {
        fractionOk = false;
      } else {
        let scale = 100;
        for (let i = start + 20; i < end - 1; i++) {
          const c = digit(text, i);
          if (c < 0) {
            fractionOk = false;
            break;
          }
          ms += c * scale;
          scale /= 10;
        }
        ms = Math.floor(ms);
      }
    }
    if (
      fractionOk &&
      y >= 0 &&
      mo >= 1 &&
      mo <= 12 &&
      d >= 1 &&
      d <= daysInMonth(y, mo) &&
      h >= 0 &&
      h <= 23 &&
      mi >= 0 &&
      mi <= 59 &&
      sec >= 0 &&
      sec <= 60
    ) {
      // Lines arrive in time order, so nearly all share the previous line's date.
      if (y !== lastYear || mo !== lastMonth || d !== lastDay) {
        lastDays = daysFromEpoch(y, mo, d);
        lastYear = y;
        lastMonth = mo;
        lastDay = d;
      }
      return ((lastDays * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms;
    }
    return undefined;
  }
  if (len > 64) return undefined;
  const slice = start === 0 && end === text.length ? text : text.slice(start, end);
  if (!RFC3339.test(slice)) return undefined;
  // Date.parse silently rolls impossible dates over (Feb 30 -> Mar 2); check the calendar first.
  const y = Number(slice.slice(0, 4));
  const mo = Number(slice.slice(5, 7));
  const d = Number(slice.slice(8, 10));
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  const ms = Date.parse(slice.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}
