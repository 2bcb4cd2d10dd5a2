/**
 * Command-line options of `scripts/generate-recording.ts`.
 */
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_HOURS,
  DEFAULT_SEED,
  DEFAULT_START,
  type RecordingOptions,
} from './recording-generator.js';

/** Parsed command line. */
export interface CliOptions extends RecordingOptions {
  readonly out: string;
  readonly incidents: string;
}

/** Parses the command line; throws an Error whose message explains every bad option. */
export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      out: { type: 'string', default: 'examples/recording/mesh.ndjson' },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
      hours: { type: 'string', default: String(DEFAULT_HOURS) },
      start: { type: 'string', default: DEFAULT_START },
      incidents: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const problems: string[] = [];
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) problems.push(`--seed must be an integer, got "${values.seed}"`);
  const hours = Number(values.hours);
  if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 31) {
    problems.push(`--hours must be a number in (0, 744], got "${values.hours}"`);
  }
  const startMs = Date.parse(values.start);
  if (Number.isNaN(startMs)) problems.push(`--start must be an ISO-8601 time, got "${values.start}"`);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    out: values.out,
    incidents: values.incidents ?? join(dirname(values.out), 'incidents.json'),
    seed,
    hours,
    startMs,
  };
}
