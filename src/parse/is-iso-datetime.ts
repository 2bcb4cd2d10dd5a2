import { z } from 'zod';

// The very pattern zod checks `z.iso.datetime({ offset: true })` against (a `Z` or a `+hh:mm`
// offset, seconds required, any fraction, calendar-valid dates), so that a hand-written guard and
// the schema cannot disagree on a timestamp.
const ISO_DATETIME = z.regexes.datetime({ offset: true, local: false, precision: null });

/** True for a string that `z.iso.datetime({ offset: true })` accepts. */
export function isIsoDateTime(value: unknown): value is string {
  return typeof value === 'string' && ISO_DATETIME.test(value);
}
