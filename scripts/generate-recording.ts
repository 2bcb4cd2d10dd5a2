/**
 * Writes the bundled recording of a small AI mesh with injected incidents.
 *
 *   npx tsx scripts/generate-recording.ts [--out examples/recording/mesh.ndjson] [--seed N]
 *     [--hours H] [--start ISO] [--incidents PATH]
 *
 * `incidents.json` (the ground truth) goes next to the output unless `--incidents` says
 * otherwise. The same options always give byte-identical files.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { type CliOptions, parseCli } from './recording/cli-options.js';
import { generateRecording, renderIncidentsFile } from './recording/recording-generator.js';

function main(): void {
  let options: CliOptions;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
    return;
  }
  const began = performance.now();
  mkdirSync(dirname(options.out), { recursive: true });
  const fd = openSync(options.out, 'w');
  let bytes = 0;
  let result;
  try {
    result = generateRecording(options, (chunk) => {
      bytes += writeSync(fd, chunk);
    });
  } finally {
    closeSync(fd);
  }
  mkdirSync(dirname(options.incidents), { recursive: true });
  writeFileSync(options.incidents, renderIncidentsFile(result.incidentsFile));

  const { counts } = result;
  const lines = [
    `wrote ${options.out}: ${result.totalMessages} messages, ${(bytes / 1_048_576).toFixed(1)} MiB ` +
      `in ${((performance.now() - began) / 1000).toFixed(1)} s`,
    ...Object.entries(counts.messages).map(([kind, n]) => `  ${kind.padEnd(16)} ${n}`),
    `  access-log entries: ${counts.accessLogs.text} TEXT, ${counts.accessLogs.json} JSON ` +
      `(${counts.otlpRecords} records inside OTLP batches, ${counts.proxyAppLogs} proxy app lines)`,
    `wrote ${options.incidents}: ${result.incidentsFile.incidents.length} incidents`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
