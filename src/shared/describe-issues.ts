import type { z } from 'zod';

/**
 * Every issue of a failed parse as `path: message`, `; `-separated (`(root)` for the value
 * itself). Paths and messages only, never the values: what failed to parse may hold secrets.
 */
export function describeZodIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}
