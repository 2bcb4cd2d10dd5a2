import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePorts, ProcessSupervisor, removeDir } from './process-supervisor.js';
import { componentDir } from './versions.js';

/** A running `opa run --server`, on a free loopback port. */
export interface OpaServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops OPA (SIGTERM, then SIGKILL) and removes its run dir. */
  stop(): Promise<void>;
}

/** The cached opa binary (test/env/prepare.sh opa builds it). */
export function opaBinary(): string {
  const opa = join(componentDir('opa'), 'bin', 'opa');
  if (!existsSync(opa)) throw new Error(`${opa} is missing: run test/env/prepare.sh opa`);
  return opa;
}

/**
 * Starts the real OPA serving the policies under `paths` (files or directories, e.g. the shipped
 * `policies/`) on 127.0.0.1 and waits until `GET /health` answers 200. One per test file: stop it
 * in `afterAll`. The supervisor's watchdog stops it if the test process dies first.
 */
export async function startOpa(paths: readonly string[]): Promise<OpaServer> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-opa-'));
  const supervisor = new ProcessSupervisor(dir, { keepRunDir: false });
  try {
    const [port] = await freePorts(1);
    if (port === undefined) throw new Error('no free port for OPA');
    const url = `http://127.0.0.1:${port}`;
    const opa = supervisor.start('opa', opaBinary(), ['run', '--server', '--addr', `127.0.0.1:${port}`, '--log-level', 'error', ...paths.map((p) => resolve(p))]);
    await supervisor.waitUntilReady(opa, 'OPA /health', async () => (await fetch(`${url}/health`)).status === 200, 30_000);
    return {
      url,
      stop: async () => {
        await supervisor.stopAll(2_000);
        removeDir(dir);
      },
    };
  } catch (error) {
    await supervisor.stopAll(2_000);
    removeDir(dir);
    throw error;
  }
}
