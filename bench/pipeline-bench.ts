/**
 * The pipeline figure of `npm run bench` on one input, against a baseline in the same run:
 *
 *   bare parse      parseMessage over every line (the edge alone, as a stream's detection parses it)
 *   pipeline        parse + features + detectors (autoencoder included) + triage + playbooks (dry-run) + ledger records,
 *                   retraining in the background as the service does
 *
 * Lines are in memory, so neither figure includes disk I/O.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../src/app.js';
import { loadAutoencoders } from '../src/detect/autoencoder/load-autoencoders.js';
import type { TrainingThread } from '../src/detect/autoencoder/training-thread.js';
import type { DetectorSpec } from '../src/detect/detector-spec.js';
import { KubernetesBlocks } from '../src/parse/kubernetes-blocks.js';
import { parseMessage } from '../src/parse/parse-message.js';
import type { PlaybookSpec } from '../src/playbook/playbook-spec.js';
import { systemClock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/logger.js';
import { fmt, out } from './bench-output.js';

/** Lines between two turns of the event loop in the pipeline figure (a power of two), as a service batch. */
const BATCH_LINES = 2_048;

/** The best of `rounds` of a run that times itself, printed; setup such as loading models is left out. */
async function best(label: string, rounds: number, run: () => Promise<{ units: number; seconds: number }>): Promise<number> {
  let bestRate = 0;
  for (let round = 0; round < rounds; round++) {
    const { units, seconds } = await run();
    bestRate = Math.max(bestRate, units / seconds);
  }
  out(`  ${label.padEnd(34)} ${fmt(bestRate).padStart(12)} lines/s (best of ${rounds})`);
  return bestRate;
}

export interface PipelineBenchSetup {
  readonly detectors: readonly DetectorSpec[];
  readonly playbooks: readonly PlaybookSpec[];
  readonly rounds: number;
  /**
   * Serves every round, as one serves a service for its life: a fresh one per round would charge
   * each round for loading TensorFlow.js (~1-2 s of CPU on this thread's core and the compiler's).
   */
  readonly trainingThread: TrainingThread;
}

/** Prints the bare parse, the pipeline and their ratio on `lines`; returns the ratio. */
export async function benchPipeline(lines: readonly string[], setup: PipelineBenchSetup): Promise<number> {
  const { detectors, playbooks, rounds, trainingThread } = setup;
  let sink = 0;
  let parseCpuMicros = Number.POSITIVE_INFINITY;
  const parseRate = await best('bare parse', rounds, () => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    // As a stream is parsed in the engine: the Kubernetes blocks of envelopes parsed once.
    const options = { blocks: new KubernetesBlocks() };
    for (let i = 0; i < lines.length; i++) sink += parseMessage(lines[i] ?? '', { source: 'bench', position: i }, options).records.length;
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    parseCpuMicros = Math.min(parseCpuMicros, (used.user + used.system) / lines.length);
    return Promise.resolve({ units: lines.length, seconds });
  });
  // Loads TensorFlow.js in the thread now (once), after the bare parse, whose CPU would count it.
  trainingThread.warm();
  let anomalies = 0;
  let ledgerRecords = 0;
  let trainings = 0;
  // CPU time of the best pipeline round per line: every thread of the process, the training thread too.
  let pipelineCpuMicros = Number.NaN;
  let pipelineSeconds = Number.POSITIVE_INFINITY;
  // Every detector, the autoencoder included (a fresh model per round). As the service runs it:
  // a retraining that falls due starts on the training thread and is not waited for (the current
  // model scores meanwhile); the loop yields to the event loop once per batch of lines, where the
  // service would fetch its next batch, so a finished training is installed.
  const pipelineRate = await best('parse + features + detect + act', rounds, async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-bench-pipeline-'));
    try {
      const autoencoders = await loadAutoencoders(detectors, stateDir, { clock: systemClock, logger: silentLogger(), trainingThread });
      const started = performance.now();
      const cpu = process.cpuUsage();
      const running: Promise<unknown>[] = [];
      const pipeline = new Pipeline(detectors, playbooks, DEFAULT_PIPELINE_OPTIONS, {
        deadLetters: { add: () => { sink++; } },
        ledger: { append: () => { ledgerRecords++; }, flush: () => Promise.resolve() },
      }, {}, { autoencoders });
      for (let i = 0; i < lines.length; i++) {
        pipeline.ingest(lines[i] ?? '', { source: 'bench', position: i });
        if ((i & (BATCH_LINES - 1)) !== BATCH_LINES - 1) continue;
        for (const model of autoencoders.values()) if (model.retrainDue) running.push(model.maybeRetrain());
        await new Promise(setImmediate);
      }
      pipeline.finish();
      const seconds = (performance.now() - started) / 1000;
      if (seconds < pipelineSeconds) {
        const used = process.cpuUsage(cpu);
        pipelineSeconds = seconds;
        pipelineCpuMicros = (used.user + used.system) / lines.length;
        trainings = running.length;
      }
      anomalies = pipeline.anomalies.length;
      await Promise.all(running);
      for (const model of autoencoders.values()) await model.close();
      return { units: lines.length, seconds };
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
  const ratio = pipelineRate / parseRate;
  out(`  ratio pipeline / bare parse        ${ratio.toFixed(2).padStart(12)}   (target >= 0.60) ${ratio >= 0.6 ? 'ok' : 'BELOW TARGET'}`);
  out(`  (best round: ${trainings} autoencoder training(s) started, not waited for;`);
  out(`   CPU per line, pipeline / bare parse: ${pipelineCpuMicros.toFixed(1)} / ${parseCpuMicros.toFixed(1)} us = x${(pipelineCpuMicros / parseCpuMicros).toFixed(1)})`);
  out(`  (${anomalies} anomalies, ${ledgerRecords} ledger records per run; checksum ${sink})`);
  return ratio;
}
