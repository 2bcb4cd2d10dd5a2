import { writeFileSync } from 'node:fs';
import { out } from './bench-output.js';

/**
 * BENCH_PROFILE=<file.cpuprofile>: a V8 CPU profile of the service phase alone (not the producer
 * or the raw consumer), for Chrome DevTools or any .cpuprofile viewer; one per run, the number of
 * workers put before the extension (`<file>.1w.cpuprofile`, `<file>.2w.cpuprofile`).
 */
export async function startProfile(workers: number): Promise<{ stop(): Promise<void> } | undefined> {
  const base = process.env.BENCH_PROFILE;
  if (base === undefined || base === '') return undefined;
  const path = base.replace(/(\.cpuprofile)?$/, `.${workers}w.cpuprofile`);
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
      out(`  CPU profile of the service phase written to ${path}`);
    },
  };
}

