/**
 * `npx tsx bench/service-only.ts`: only the cluster-service figures of `npm run bench` (no
 * recording-wide pipeline rounds), e.g. BENCH_SERVICE_SECTIONS=kafka for the Kafka figure alone.
 */
const { benchService } = await import('./service-bench.js');
await benchService();
// Clients of the backends that were stopped must not keep the bench from exiting.
setTimeout(() => process.exit(), 10_000).unref();
