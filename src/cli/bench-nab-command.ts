import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadNabCorpus } from '../bench/nab/nab-corpus.js';
import { nabDetectorName, runNab } from '../bench/nab/nab-runner.js';
import type { NabCorpusResult } from '../bench/nab/nab-scorer.js';
import { NAB_PROFILE_NAMES } from '../bench/nab/nab-cross-validation.js';
import type { AlgorithmConfig } from '../detect/stats/algorithm-registry.js';
import { algorithmSchema } from '../detect/stats/algorithm-registry.js';
import { builtInAlgorithm, builtInAlgorithms } from '../detect/stats/built-in-algorithms.js';
import { MeshwardenError } from '../shared/errors.js';
import { terminalText } from '../shared/terminal-text.js';


interface BenchNabOptions {
  readonly data: string;
  readonly detector: string;
  readonly out: string;
  readonly name?: string;
}

/** A detector argument that is neither a built-in name nor a valid algorithm file. */
export class DetectorFileError extends MeshwardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('detector-file-invalid', message, { cause: options?.cause });
  }
}

/**
 * `meshwarden bench nab`: runs one detector configuration over a directory in NAB's layout, writes
 * NAB result files, prints the normalised standard / low-FP / low-FN scores, and merges them into
 * `<out>/final_results.json` (NAB's own summary format).
 */
export function benchNabCommand(): Command {
  return new Command('nab')
    .description('score a detector on the Numenta Anomaly Benchmark (NAB) with NAB\'s own rules')
    .requiredOption('--data <dir>', 'NAB directory holding data/<category>/<file>.csv and labels/combined_windows.json')
    .requiredOption(
      '--detector <file|name>',
      `algorithm YAML file, inline YAML mapping ({type: ewma, ...}) or a built-in: ${Object.keys(builtInAlgorithms).join(', ')}`,
    )
    .requiredOption('--out <dir>', 'results directory (NAB layout: <out>/<detector>/<category>/<detector>_<file>.csv)')
    .option('--name <name>', 'detector name in the results (default: the built-in name or the file name)')
    .action(async (options: BenchNabOptions) => {
      const { config, label } = await resolveDetector(options.detector);
      const detector = nabDetectorName(options.name ?? label);
      const corpus = await loadNabCorpus(options.data);
      const started = performance.now();
      const run = await runNab(corpus, { detector, config, resultsDir: options.out });
      const seconds = (performance.now() - started) / 1000;
      const rows = corpus.reduce((n, f) => n + f.rows.length, 0);
      process.stdout.write(formatNabSummary(detector, run.result, corpus.length, rows, seconds));
      await mergeFinalResults(options.out, detector, run.result);
      await writeFile(
        path.join(options.out, detector, `${detector}_summary.json`),
        `${JSON.stringify({ detector, config, files: corpus.length, rows, ...run.result }, null, 2)}\n`,
      );
    });
}

/**
 * Resolves `--detector`: an inline mapping (`{type: ewma, halfLife: 500}`) is parsed as YAML, an
 * existing file is read as YAML, anything else must be a built-in name.
 */
export async function resolveDetector(argument: string): Promise<{ config: AlgorithmConfig; label: string }> {
  if (argument.trimStart().startsWith('{')) return { config: parseAlgorithm(argument, 'inline'), label: inlineLabel(argument) };
  if (!existsSync(argument)) {
    const builtIn = builtInAlgorithm(argument);
    if (builtIn === undefined) {
      throw new DetectorFileError(
        `"${argument}" is neither a file nor a built-in detector (${Object.keys(builtInAlgorithms).join(', ')})`,
      );
    }
    return { config: builtIn, label: argument };
  }
  return {
    config: parseAlgorithm(await readFile(argument, 'utf8'), argument),
    label: path.basename(argument).replace(/\.ya?ml$/i, ''),
  };
}

function parseAlgorithm(text: string, source: string): AlgorithmConfig {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new DetectorFileError(`${source}: not valid YAML`, { cause: error });
  }
  const parsed = algorithmSchema.safeParse(document);
  if (!parsed.success) {
    throw new DetectorFileError(`${source}: invalid algorithm\n${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** A short name for an inline declaration: its type, e.g. `ewma`. */
function inlineLabel(text: string): string {
  const type = /type\s*:\s*['"]?([A-Za-z-]+)/.exec(text);
  return type?.[1] ?? 'inline';
}

/** The human-readable result: one line per profile with the normalised score and its threshold. */
export function formatNabSummary(
  detector: string,
  result: NabCorpusResult,
  files: number,
  rows: number,
  seconds: number,
): string {
  const lines = [`NAB: detector ${terminalText(detector)}, ${files} files, ${rows} rows, ${result.windows} windows, ${seconds.toFixed(1)} s`];
  for (const profile of NAB_PROFILE_NAMES) {
    const r = result[profile];
    lines.push(
      `  ${profile.padEnd(20)} ${r.normalised.toFixed(1).padStart(6)}   (raw ${r.raw.toFixed(2)}, threshold ${r.threshold}, TP ${r.tp} rows, FP ${r.fp} rows)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const finalResultsSchema = z.record(z.string(), z.record(z.string(), z.number()));

async function mergeFinalResults(outDir: string, detector: string, result: NabCorpusResult): Promise<void> {
  const file = path.join(outDir, 'final_results.json');
  let existing: z.infer<typeof finalResultsSchema> = {};
  if (existsSync(file)) {
    const parsed = finalResultsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    // A summary that is not NAB's shape is replaced rather than merged, so a stale or foreign
    // file never blocks a run.
    if (parsed.success) existing = parsed.data;
  }
  existing[detector] = Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, result[p].normalised]));
  await mkdir(outDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(existing, null, 2)}\n`);
}
