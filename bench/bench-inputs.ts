/**
 * The inputs of the throughput figures, generated in memory by the bundled recording's generator:
 * the recording's mix as it is (a small mesh, ~82 messages a minute in all, where per-window work,
 * windows closing, detectors scoring and the autoencoder training, weighs a lot per message), and
 * the same mix at the density of a busy mesh.
 */
import { DEFAULT_SEED, DEFAULT_START, generateRecording } from '../scripts/recording/recording-generator.js';
import { fmt } from './bench-output.js';

/** External requests of the dense input, as a multiple of the bundled recording's. */
export const DENSE_ARRIVALS_SCALE = 40;
/** The dense input starts at noon of the recording's first day, near the daily peak. */
const DENSE_START_MS = Date.parse(DEFAULT_START) + 12 * 3_600_000;

export interface BenchInput {
  readonly lines: string[];
  /** What the lines are, for the bench's output. */
  readonly origin: string;
}

/** The lines of one generated recording, at most `cap`. */
function generate(startMs: number, hours: number, arrivalsScale: number, cap: number): string[] {
  const lines: string[] = [];
  let partial = '';
  generateRecording({ seed: DEFAULT_SEED, startMs, hours, arrivalsScale }, (chunk) => {
    const split = (partial + chunk).split('\n');
    partial = split.pop() ?? '';
    for (const line of split) if (line !== '' && lines.length < cap) lines.push(line);
  });
  if (partial !== '' && lines.length < cap) lines.push(partial);
  return lines;
}

/** The recording's mix (the bundled recording's generator, seed and start) over `hours`. */
export function recordingMix(hours: number, cap = Number.MAX_SAFE_INTEGER): BenchInput {
  return { lines: generate(Date.parse(DEFAULT_START), hours, 1, cap), origin: `the recording's mix over ${hours} hours (its generator, seed and start)` };
}

/**
 * The same generator, formats and incidents with {@link DENSE_ARRIVALS_SCALE} times the external
 * requests, from noon (~4,300 messages a minute from the mesh's 12 pods, ~6 a second per pod): a
 * mesh that writes 100,000 messages a second from up to ~16,000 pods is at least this dense per pod.
 */
export function denseMix(hours: number, cap = Number.MAX_SAFE_INTEGER): BenchInput {
  const lines = generate(DENSE_START_MS, hours, DENSE_ARRIVALS_SCALE, cap);
  return { lines, origin: `the recording's mix with ${DENSE_ARRIVALS_SCALE}x its external requests, over ${hours} hours from noon (${fmt(lines.length / (hours * 60))} messages a minute)` };
}
