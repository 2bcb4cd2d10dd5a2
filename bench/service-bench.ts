/**
 * The cluster-service figures of `npm run bench`, each against a baseline measured in the same run:
 *
 *   kafka        messages/s through MeshwardenService vs a raw kafkajs consumer (kafka-bench.ts)
 *   quarantine   anomaly handed to the engine -> NetworkPolicy visible on the real API server, p50/p99
 *                (quarantine-bench.ts)
 *   memory       heap per tracked entity of a Pipeline, vs an empty pipeline (memory-bench.ts)
 *
 * Kafka and Kubernetes are started from the test environment's cache (test/env/prepare.sh); when
 * the cache is missing, that figure is skipped with the reason.
 */
import { out } from './bench-output.js';
import { benchKafka } from './kafka-bench.js';
import { benchMemory } from './memory-bench.js';
import { benchQuarantine } from './quarantine-bench.js';
import { missingFromCache, type BenchBackendName } from './service-bench-backends.js';

/** Runs every service figure; a missing cache skips that figure, any other failure sets exit code 1. */
export async function benchService(): Promise<void> {
  // BENCH_SERVICE_SECTIONS=kafka (comma list of memory, kafka, quarantine) runs only those figures.
  const only = process.env.BENCH_SERVICE_SECTIONS?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const wanted = (name: string): boolean => only === undefined || only.length === 0 || only.includes(name);
  if (wanted('memory')) await section('memory per tracked entity', undefined, benchMemory);
  if (wanted('kafka')) await section('kafka: messages/s through the service vs a raw consumer', 'kafka', benchKafka);
  if (wanted('quarantine')) await section('quarantine: anomaly -> NetworkPolicy on the API server', 'kubernetes', benchQuarantine);
}

async function section(title: string, backend: BenchBackendName | undefined, run: () => Promise<void>): Promise<void> {
  out(title);
  if (backend !== undefined) {
    const missing = missingFromCache(backend);
    if (missing.length > 0) {
      out(`  skipped: the ${backend} test backend is not in the cache (missing ${missing.join(', ')}); run test/env/prepare.sh`);
      return;
    }
  }
  try {
    await run();
  } catch (error) {
    out(`  FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
