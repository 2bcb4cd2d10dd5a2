/** Output and settings of the bench's figures. */

/** Writes one line of the bench's report. */
export const out = (line: string): void => { process.stdout.write(`${line}\n`); };

/** A count or rate, rounded, with thousands separators. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A positive integer from the environment, or `fallback`. */
export function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}
