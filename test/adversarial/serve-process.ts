/**
 * The real `meshwarden serve` as a child process, for tests that attack the listener and the
 * start-up the product runs: not a test-only server.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = new URL('../../', import.meta.url).pathname;

/** A running `meshwarden serve`. */
export interface ServeProcess {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** Waits until its output matches `pattern` (or it exits). */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<boolean>;
  /** Resident set size now, from /proc. */
  rssBytes(): number;
  /** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
  /** Resolves when it exits by itself. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Starts `meshwarden serve` with `config` (merged over a dry-run base: repo detectors and
 * playbooks, a fresh state directory, no Kubernetes) and `env` (secrets). Waits for /healthz
 * unless `waitForHealth` is false (start-ups meant to fail).
 */
export async function startServe(
  config: Record<string, unknown>,
  env: Record<string, string> = {},
  options: { readonly waitForHealth?: boolean } = {},
): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-serve-'));
  const port = await closedPort();
  const base = {
    apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig',
    detectors: join(ROOT, 'detectors'), playbooks: join(ROOT, 'playbooks'), stateDir: join(dir, 'state'),
    dryRun: true, kubernetes: { enabled: false },
    http: { port, host: '127.0.0.1' },
  };
  const merged = { ...base, ...config, http: { ...base.http, ...(config.http as object | undefined) } };
  const file = join(dir, 'config.yaml');
  // JSON is YAML.
  writeFileSync(file, JSON.stringify(merged, null, 2));
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [join(ROOT, 'bin/meshwarden.js'), 'serve', '--config', file], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => { resolve({ code, signal }); });
  });
  const state = { done: false };
  void exited.then(() => { state.done = true; });
  const pid = child.pid;
  if (pid === undefined) throw new Error('meshwarden serve did not start');
  const url = `http://127.0.0.1:${port}`;
  const serve: ServeProcess = {
    pid, port, url, exited,
    output: () => output,
    async waitForOutput(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && !state.done) {
        if (pattern.test(output)) return true;
        await sleep(100);
      }
      return pattern.test(output);
    },
    rssBytes() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
      if (kib === undefined) throw new Error('no VmRSS');
      return Number(kib) * 1024;
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (state.done) return { ...(await exited), killed: false };
      child.kill(signal);
      const timer = setTimeout(() => { child.kill('SIGKILL'); }, timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, killed: result.signal === 'SIGKILL' };
    },
  };
  if (options.waitForHealth !== false) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (state.done) throw new Error(`meshwarden serve exited before it was healthy:\n${output}`);
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`meshwarden serve was not healthy within 60 s:\n${output}`);
      }
      await sleep(200);
    }
  }
  return serve;
}
