/**
 * True for 1 to 15 ASCII digits: a non-negative integer that `Number()` converts exactly (15 digits
 * stay below 2^53). Hand-written because it runs on every access-log line.
 */
export function isAllDigits(text: string): boolean {
  if (text.length === 0 || text.length > 15) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
