import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { loadNabCorpus } from '../bench/nab/nab-corpus.js';
import type { NabCvResult, NabCvRun } from '../bench/nab/nab-cross-validation.js';
import { crossValidateNab, NAB_PROFILE_NAMES } from '../bench/nab/nab-cross-validation.js';
import type { NabGridSetting } from '../bench/nab/nab-grid.js';
import { builtInGrids, expandNabGrid, NabGridError } from '../bench/nab/nab-grid.js';
import { runNab } from '../bench/nab/nab-runner.js';
import { terminalText } from '../shared/terminal-text.js';
import { resolveDetector } from './bench-nab-command.js';

interface BenchNabCvOptions {
  readonly data: string;
  readonly grid?: string;
  readonly detector?: string;
  readonly out?: string;
}

/**
 * `meshwarden bench nab-cv`: leave-one-category-out cross-validation of a parameter grid on a
 * directory in NAB's layout. Each setting runs over the corpus once; folds reuse those per-file
 * scores. Prints each fold's chosen setting and held-out scores, the mean over folds and the
 * pooled cross-validated score; `--out` also writes the full result as JSON.
 */
export function benchNabCvCommand(): Command {
  return new Command('nab-cv')
    .description('choose detector parameters by leave-one-category-out cross-validation on NAB data')
    .requiredOption('--data <dir>', 'NAB directory holding data/<category>/<file>.csv and labels/combined_windows.json')
    .option(
      '--grid <file|name>',
      `grid YAML/JSON file ({base, grid: {<dotted path>: [values]}}) or a built-in grid: ${Object.keys(builtInGrids).join(', ')}`,
    )
    .option('--detector <file|name>', 'a single setting instead of a grid (as for `bench nab --detector`)')
    .option('--out <file>', 'write the full result (every fold, every setting) as JSON')
    .action(async (options: BenchNabCvOptions) => {
      const settings = await resolveSettings(options);
      const corpus = await loadNabCorpus(options.data);
      const started = performance.now();
      const runs: NabCvRun[] = [];
      for (const setting of settings) {
        const run = await runNab(corpus, { detector: 'cv', config: setting.config });
        runs.push({
          label: setting.label,
          files: run.files.map((scored, i) => ({ category: corpus[i]?.category ?? '', scored })),
        });
      }
      const result = crossValidateNab(runs);
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(formatNabCv(result, settings.length, corpus.length, seconds));
      if (options.out !== undefined) {
        await mkdir(path.dirname(options.out), { recursive: true });
        const document = {
          settings: settings.map((s, i) => ({
            label: s.label,
            config: s.config,
            inSample: Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, result.inSample[i]?.[p].normalised])),
          })),
          folds: result.folds,
          meanOverFolds: result.meanOverFolds,
          pooled: result.pooled,
        };
        await writeFile(options.out, `${JSON.stringify(document, null, 2)}\n`);
      }
    });
}

async function resolveSettings(options: BenchNabCvOptions): Promise<NabGridSetting[]> {
  if ((options.grid === undefined) === (options.detector === undefined)) {
    throw new NabGridError('give exactly one of --grid and --detector');
  }
  if (options.detector !== undefined) {
    const { config, label } = await resolveDetector(options.detector);
    return [{ label, config }];
  }
  const grid = options.grid ?? '';
  if (!existsSync(grid)) {
    const builtIn = Object.hasOwn(builtInGrids, grid) ? builtInGrids[grid] : undefined;
    if (builtIn === undefined) {
      throw new NabGridError(`"${grid}" is neither a file nor a built-in grid (${Object.keys(builtInGrids).join(', ')})`);
    }
    return expandNabGrid(builtIn, grid);
  }
  let document: unknown;
  try {
    document = parseYaml(await readFile(grid, 'utf8'));
  } catch (error) {
    throw new NabGridError(`${grid}: not valid YAML or JSON`, { cause: error });
  }
  return expandNabGrid(document, grid);
}

const score = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(1));

/** The human-readable result: one line per fold, then the mean over folds and the pooled score. */
export function formatNabCv(result: NabCvResult, settings: number, files: number, seconds: number): string {
  const lines = [
    `NAB leave-one-category-out: ${settings} setting(s), ${files} files, ${result.folds.length} folds, ${seconds.toFixed(1)} s`,
    `  ${'held out'.padEnd(24)} ${'files'.padStart(5)} ${'windows'.padStart(7)} ${'train std'.padStart(9)} ${'std'.padStart(6)} ${'low FP'.padStart(6)} ${'low FN'.padStart(6)}  chosen setting`,
  ];
  for (const fold of result.folds) {
    const held = fold.heldOutResult;
    const note = fold.windows === 0 ? ` (no windows: ${held.standard.fp} false-positive rows, raw ${held.standard.raw.toFixed(2)})` : '';
    lines.push(
      `  ${terminalText(fold.heldOut).padEnd(24)} ${String(fold.files).padStart(5)} ${String(fold.windows).padStart(7)} ${fold.training.standard.normalised.toFixed(1).padStart(9)} ${score(held.standard.normalised).padStart(6)} ${score(held.reward_low_FP_rate.normalised).padStart(6)} ${score(held.reward_low_FN_rate.normalised).padStart(6)}  ${terminalText(fold.chosenLabel)}${note}`,
    );
  }
  const row = (name: string, values: NabCvResult['pooled']): string =>
    `  ${name.padEnd(24)} ${''.padStart(5)} ${''.padStart(7)} ${''.padStart(9)} ${score(values.standard).padStart(6)} ${score(values.reward_low_FP_rate).padStart(6)} ${score(values.reward_low_FN_rate).padStart(6)}`;
  lines.push(row('mean over folds', result.meanOverFolds));
  lines.push(row('pooled held-out', result.pooled));
  return `${lines.join('\n')}\n`;
}
