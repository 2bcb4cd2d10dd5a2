/**
 * `npx tsx bench/service-only.ts`: only the cluster-service figures of `npm run bench` (no
 * recording-wide pipeline rounds), e.g. BENCH_SERVICE_SECTIONS=kafka for the Kafka figure alone.
 * They run under the Helm chart's Node.js flags: started without them, this script starts itself
 * again with them.
 */
import { execFileSync } from 'node:child_process';
import { chartNodeFlags, runsWithChartFlags } from './chart-node-flags.js';

if (!runsWithChartFlags()) {
  try {
    execFileSync(process.execPath, [...chartNodeFlags(), '--import', 'tsx', 'bench/service-only.ts'], { stdio: 'inherit' });
  } catch {
    // Its own output says what failed.
    process.exitCode = 1;
  }
} else {
  const { out } = await import('./bench-output.js');
  out(`node flags of the service figures (the Helm chart's defaults): ${chartNodeFlags().join(' ') || 'none'}`);
  const { benchService } = await import('./service-bench.js');
  await benchService();
  // Clients of the backends that were stopped must not keep the bench from exiting.
  setTimeout(() => process.exit(), 10_000).unref();
}
