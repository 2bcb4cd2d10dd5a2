import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AlgorithmConfig } from '../../detect/stats/algorithm-registry.js';
import { createScorer } from '../../detect/stats/algorithm-registry.js';
import type { NabDataFile } from './nab-corpus.js';
import type { NabCorpusResult, NabScoredFile } from './nab-scorer.js';
import { scoreNabCorpus } from './nab-scorer.js';

/** What one run of a detector over a NAB corpus produced. */
export interface NabRunResult {
  readonly detector: string;
  readonly files: readonly NabScoredFile[];
  readonly result: NabCorpusResult;
}

/** Options of {@link runNab}. */
export interface NabRunOptions {
  /** Detector name as NAB shows it; must not contain `_` (see {@link nabDetectorName}). */
  readonly detector: string;
  readonly config: AlgorithmConfig;
  /** When set, NAB result files are written under `<resultsDir>/<detector>/<category>/`. */
  readonly resultsDir?: string;
}

/**
 * Makes a NAB detector name from any label: NAB splits result file names on `_`, so underscores
 * and anything that is not a plain file-name character become `-`.
 */
export function nabDetectorName(label: string): string {
  const name = label.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '');
  return name === '' ? 'detector' : name;
}

/**
 * Runs one detector configuration over every file of a NAB corpus: a fresh scorer per file (no
 * state carried between files), rows fed in order (each scored before it is learnt, so no
 * look-ahead), and the same parameters for every file. Then scores the corpus the way NAB does.
 */
export async function runNab(corpus: readonly NabDataFile[], options: NabRunOptions): Promise<NabRunResult> {
  const files: NabScoredFile[] = [];
  for (const file of corpus) {
    const scorer = createScorer(options.config);
    const scores = file.rows.map((row) => scorer.update(row.value, row.timestamp).score);
    const scored: NabScoredFile = {
      name: file.relativePath,
      timestamps: file.rows.map((r) => r.timestamp),
      scores,
      windows: file.windows,
    };
    files.push(scored);
    if (options.resultsDir !== undefined) await writeResultFile(options.resultsDir, options.detector, file, scores);
  }
  return { detector: options.detector, files, result: scoreNabCorpus(files) };
}

/**
 * Formats one NAB result file: the data rows in their order with `anomaly_score` (full
 * precision) and `label` (1 inside a labelled window).
 */
export function formatNabResult(file: NabDataFile, scores: readonly number[]): string {
  const lines = ['timestamp,value,anomaly_score,label'];
  file.rows.forEach((row, i) => {
    const label = file.windows.some(([start, end]) => row.timestamp >= start && row.timestamp <= end) ? 1 : 0;
    lines.push(`${row.timestampText},${row.valueText},${String(scores[i] ?? 0)},${label}`);
  });
  return `${lines.join('\n')}\n`;
}

async function writeResultFile(
  resultsDir: string,
  detector: string,
  file: NabDataFile,
  scores: readonly number[],
): Promise<void> {
  const dir = path.join(resultsDir, detector, file.category);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${detector}_${file.fileName}`), formatNabResult(file, scores));
}
