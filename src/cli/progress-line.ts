import type { RunProgress } from '../embedded/run-progress.js';
import type { Clock } from '../shared/clock.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Redraws at most this often: four times a second reads as live without costing the replay. */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * One line of progress: records read (and how many were dead-lettered), the event time reached,
 * the rate since the start, and what was found so far. Every part is a number or a time the engine
 * computed, so nothing in it needs escaping.
 */
export function formatProgress(progress: RunProgress, elapsedMs: number): string {
  const c = progress.counters;
  const parts = [`read ${n(c.records)} records${c.deadLettered > 0 ? ` (${n(c.deadLettered)} dead-lettered)` : ''}`];
  if (progress.eventTime !== undefined && Number.isFinite(progress.eventTime)) {
    parts.push(`event time ${new Date(progress.eventTime).toISOString().replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, 'Z')}`);
  }
  if (elapsedMs > 0) parts.push(`${n((c.records * 1000) / elapsedMs)} records/s`);
  parts.push(`${n(progress.anomalies)} anomalies, ${n(progress.actions)} actions`);
  return parts.join('  ');
}

/** What a progress line needs: where to write, the clock, and the terminal's width when known. */
export interface ProgressLineDeps {
  readonly write: (text: string) => void;
  readonly clock: Clock;
  /** Columns of the terminal (the line is cut to fit, since a wrapped line cannot be redrawn with `\r`). */
  readonly columns?: () => number | undefined;
  readonly intervalMs?: number;
}

/**
 * A progress line redrawn in place with `\r` on a terminal, at most every `intervalMs`, and wiped
 * (overwritten with spaces) before anything else is written and at the end. The caller decides
 * whether there is a terminal to draw on; this class only draws.
 */
export class ProgressLine {
  private readonly startedAt: number;
  private lastDrawAt: number | undefined;
  private drawnWidth = 0;

  constructor(private readonly deps: ProgressLineDeps) {
    this.startedAt = deps.clock.now();
  }

  /** Draws `progress` unless the line was drawn less than `intervalMs` ago. */
  update(progress: RunProgress): void {
    const now = this.deps.clock.now();
    if (this.lastDrawAt !== undefined && now - this.lastDrawAt < (this.deps.intervalMs ?? PROGRESS_INTERVAL_MS)) return;
    this.lastDrawAt = now;
    const columns = this.deps.columns?.();
    const width = columns !== undefined && columns > 1 ? columns - 1 : Number.POSITIVE_INFINITY;
    let text = formatProgress(progress, now - this.startedAt);
    if (text.length > width) text = text.slice(0, width);
    // Spaces over what is left of a longer previous line.
    this.deps.write(`\r${text}${' '.repeat(Math.max(0, this.drawnWidth - text.length))}`);
    this.drawnWidth = text.length;
  }

  /** Wipes the line, leaving the cursor at its start; the next `update` draws again at once. */
  clear(): void {
    if (this.drawnWidth > 0) this.deps.write(`\r${' '.repeat(this.drawnWidth)}\r`);
    this.drawnWidth = 0;
    this.lastDrawAt = undefined;
  }
}
