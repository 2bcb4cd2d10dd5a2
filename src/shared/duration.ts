import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `30s`, `5m`, `2h`, `1d`, `1h30m` into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    total += Number(match[1]) * (UNITS[match[2] ?? ''] ?? 0);
    consumed = re.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

/** What a duration looks like, for JSON Schema (editors flag `5 minutes` as you type). */
export const DURATION_PATTERN = /^(\d+(\.\d+)?(ms|s|m|h|d))+$/;
const DURATION_MESSAGE = 'not a duration; write a number and a unit, e.g. "30s", "5m", "2h", "1d"';

/** A duration in YAML (`30s`, `5m`, `2h`), parsed to milliseconds. */
export const durationSchema = z
  .string()
  .regex(DURATION_PATTERN, DURATION_MESSAGE)
  .describe('a duration: a number and a unit (ms, s, m, h, d), e.g. "30s", "5m", "1h30m"')
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'not a duration; write a number and a unit, e.g. "30s", "5m", "2h", "1d"' });
      return z.NEVER;
    }
    return ms;
  });

/**
 * A duration kept as written (`"10m"`), validated but not converted: action parameters must
 * survive template rendering and re-validation unchanged. Convert with {@link parseDuration} at use.
 */
export const durationTextSchema = z
  .string()
  .regex(DURATION_PATTERN, DURATION_MESSAGE)
  .describe('a duration: a number and a unit (ms, s, m, h, d), e.g. "30s", "5m", "1h30m"')
  .refine((text) => parseDuration(text) !== undefined, 'not a duration; write a number and a unit, e.g. "30s", "5m", "2h", "1d"');

/** Renders milliseconds the way users write them. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
