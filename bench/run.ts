/**
 * `npm run bench`: throughput of the engine on the bundled recording and on the same mix at a busy
 * mesh's density (pipeline-bench.ts), the replay on workers, the detectors, the autoencoder, then
 * the cluster-service figures; reported as ratios against baselines measured in the same run (the
 * machine is shared and noisy; absolute figures drift).
 */
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadTensorflow } from '../src/detect/autoencoder/tensorflow-runtime.js';
import { TrainingThread } from '../src/detect/autoencoder/training-thread.js';
import { loadConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/shared/logger.js';
import { benchAutoencoder } from './autoencoder-bench.js';
import { denseMix } from './bench-inputs.js';
import { fmt, out } from './bench-output.js';
import { benchDetectors } from './detectors-bench.js';
import { benchKubernetesBlocks } from './kubernetes-blocks-bench.js';
import { benchPipeline } from './pipeline-bench.js';
import { benchReplayWorkers } from './replay-workers-bench.js';

const RECORDING = 'examples/recording/mesh.ndjson';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function ensureRecording(): void {
  if (existsSync(RECORDING)) return;
  process.stdout.write(`generating ${RECORDING} ...\n`);
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/generate-recording.ts', '--out', RECORDING], { stdio: 'inherit' });
}

async function main(): Promise<void> {
  ensureRecording();
  const lines = readFileSync(RECORDING, 'utf8').split('\n').filter((l) => l !== '');
  const config = await loadConfig(['detectors', 'playbooks']);
  if (config.problems.length > 0) throw new Error('detectors/playbooks do not validate; run meshwarden check');
  const detectors = config.detectors.map((d) => d.value);
  const playbooks = config.playbooks.map((p) => p.value);
  const bytes = lines.reduce((n, l) => n + l.length, 0);
  process.stdout.write(`recording: ${lines.length.toLocaleString('en-US')} lines, ${(bytes / 1e6).toFixed(0)} MB\n`);

  // One autoencoder training thread serves every figure below, as one serves a service for its life.
  const trainingThread = new TrainingThread(await loadTensorflow({ logger: silentLogger() }), silentLogger()).hold();
  const setup = { detectors, playbooks, rounds: ROUNDS, trainingThread };
  out('throughput on the recording');
  await benchPipeline(lines, setup);
  {
    // The same mix at a busy mesh's density (bench-inputs.ts): per-window work weighs less per line.
    const dense = denseMix(1);
    out(`throughput on a dense stream: ${fmt(dense.lines.length)} lines of ${dense.origin}`);
    await benchPipeline(dense.lines, setup);
  }

  await benchReplayWorkers(lines, detectors, playbooks, ROUNDS, trainingThread);
  await trainingThread.release();

  process.stdout.write('Fluent Bit envelope decoding with the Kubernetes block cache (ratio to JSON.parse of the same lines, same run)\n');
  for (const row of benchKubernetesBlocks()) {
    process.stdout.write(`  ${row.containers.toLocaleString('en-US').padStart(6)} containers in turn  ${(row.cachedNsPerLine / 1000).toFixed(2)} vs ${(row.plainNsPerLine / 1000).toFixed(2)} us  x${(row.cachedNsPerLine / row.plainNsPerLine).toFixed(2)}\n`);
  }

  process.stdout.write('detector cost per sample (ratio to a trivial loop measured in the same run)\n');
  {
    for (const row of benchDetectors()) {
      process.stdout.write(`  ${row.algorithm.padEnd(20)} ${row.nsPerSample.toFixed(0).padStart(6)} ns  x${(row.nsPerSample / row.baselineNsPerSample).toFixed(1)}\n`);
    }
  }
  const ae = await benchAutoencoder();
  const rate = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(12);
  process.stdout.write(`autoencoder (backend ${ae.backend})\n`);
  process.stdout.write(`  scoring, batched                   ${rate(ae.vectorsPerSecond)} vectors/s   x${(ae.baselineVectorsPerSecond / ae.vectorsPerSecond).toFixed(0)} the cost of a trivial vector scorer\n`);
  process.stdout.write(`  scoring, one at a time             ${rate(ae.singleVectorsPerSecond)} vectors/s\n`);
}

await main();

// ---------------------------------------------------------------------------------------------
// Cluster-service figures (issue 6): Kafka throughput vs a raw consumer, anomaly -> NetworkPolicy
// latency, memory per tracked entity. Backends come from the test/env cache; skipped without it.
// In a process of their own: this one holds the whole recording (~400 MB of heap), whose garbage
// collection would otherwise land in the latency figures.
try {
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/service-only.ts'], { stdio: 'inherit' });
} catch {
  // Its own output says what failed.
  process.exitCode = 1;
}
