/**
 * Series that have broken streaming detectors before: non-finite values, values at the limits of
 * double precision, a constant series and jumps of many orders of magnitude. Shared by the tests of
 * the symbolic and shape-based algorithms.
 */
export const ADVERSARIAL_SERIES: readonly (readonly [string, readonly number[]])[] = [
  ['NaN and infinities', [1, 2, Number.NaN, 3, Number.POSITIVE_INFINITY, 2, Number.NEGATIVE_INFINITY, 1, 2, 3]],
  ['values near the largest double', [1e308, -1e308, 1.7976931348623157e308, -1.7976931348623157e308, 0, 1e308, 5]],
  ['a constant series', new Array<number>(300).fill(42)],
  ['huge jumps', Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 1e300 : i % 11 === 0 ? -1e-300 : i))],
  ['signed zeros', [-0, 0, -0, -0, 0, 1, -0]],
];
