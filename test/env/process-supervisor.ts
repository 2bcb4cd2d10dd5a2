import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A backend process started by {@link ProcessSupervisor}, with its own log file. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Exit code (or signal name) once the process has exited, else `undefined`. */
  exitStatus(): string | undefined;
}

/** Options for {@link ProcessSupervisor.start}. */
export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * Starts backend processes and guarantees they do not outlive the test run.
 *
 * Each child gets its own process group, so stopping it also stops anything
 * it forked (the `bao` wrapper, JVM helpers). Normal teardown signals those
 * groups; a detached watchdog shell covers the case where the test process is
 * killed outright and never reaches teardown.
 */
export class ProcessSupervisor {
  readonly #runDir: string;
  readonly #groupsFile: string;
  readonly #children: { proc: ManagedProcess; child: ChildProcess }[] = [];
  #watchdog: ChildProcess | undefined;
  #stopped = false;

  /** @param runDir per-run temp dir; logs go here and the watchdog removes it if the test process dies. */
  constructor(runDir: string, options: { readonly keepRunDir: boolean }) {
    this.#runDir = runDir;
    this.#groupsFile = join(runDir, 'process-groups');
    writeFileSync(this.#groupsFile, '');
    this.#startWatchdog(options.keepRunDir);
  }

  /** Starts `command` detached, stdout and stderr appended to `<runDir>/<name>.log`. */
  start(name: string, command: string, args: readonly string[], options: StartOptions = {}): ManagedProcess {
    // A backend still starting when another one failed must not spawn after teardown.
    if (this.#stopped) throw new Error(`${name}: not started, the test environment is being torn down`);
    const logFile = join(this.#runDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: options.env ?? process.env,
        cwd: options.cwd ?? this.#runDir,
      });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${name}: could not start ${command}`);
    appendFileSync(this.#groupsFile, `${pid}\n`);
    let status: string | undefined;
    child.on('exit', (code, signal) => {
      status = signal ?? String(code);
    });
    child.on('error', (error) => {
      status = `spawn error: ${error.message}`;
    });
    const proc: ManagedProcess = { name, pid, logFile, exitStatus: () => status };
    this.#children.push({ proc, child });
    return proc;
  }

  /**
   * Polls `check` until it resolves true. Fails fast, with the tail of the
   * process log, if the process exits or the deadline passes.
   */
  async waitUntilReady(proc: ManagedProcess, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (;;) {
      const status = proc.exitStatus();
      if (status !== undefined) {
        throw new Error(`${proc.name} exited (${status}) before ${what}.\n${describeLog(proc)}`);
      }
      try {
        if (await check()) return;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline) {
        const cause = lastError === '' ? '' : ` Last check error: ${lastError}.`;
        throw new Error(`${proc.name}: ${what} did not happen within ${timeoutMs} ms.${cause}\n${describeLog(proc)}`);
      }
      await sleep(250);
    }
  }

  /** Waits for a one-shot command to finish; throws with its log unless it exits 0. */
  async waitForSuccess(proc: ManagedProcess, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (proc.exitStatus() === undefined) {
      if (Date.now() > deadline) throw new Error(`${proc.name}: ${what} took longer than ${timeoutMs} ms.\n${describeLog(proc)}`);
      await sleep(100);
    }
    const status = proc.exitStatus();
    if (status !== '0') throw new Error(`${proc.name}: ${what} failed (exit ${status ?? '?'}).\n${describeLog(proc)}`);
  }

  /** Stops every child (last started first): SIGTERM to its group, SIGKILL after `graceMs`. */
  async stopAll(graceMs = 5_000): Promise<void> {
    this.#stopped = true;
    for (const { proc, child } of [...this.#children].reverse()) {
      await stopGroup(proc, child, graceMs);
    }
    this.#children.length = 0;
    writeFileSync(this.#groupsFile, '');
    if (this.#watchdog?.pid !== undefined) signalGroup(this.#watchdog.pid, 'SIGKILL');
    this.#watchdog = undefined;
  }

  #startWatchdog(keepRunDir: boolean): void {
    // Runs in its own process group so test teardown signals never reach it;
    // it only acts once the test process (its parent pid argument) is gone.
    const script = `
      parent="$1"; groups="$2"; dir="$3"; keep="$4"
      while kill -0 "$parent" 2>/dev/null; do sleep 1; done
      for p in $(cat "$groups" 2>/dev/null); do kill -TERM -- "-$p" 2>/dev/null; done
      sleep 3
      for p in $(cat "$groups" 2>/dev/null); do kill -KILL -- "-$p" 2>/dev/null; done
      [ "$keep" = 1 ] || rm -rf "$dir"
    `;
    const watchdog = spawn(
      'bash',
      ['-c', script, 'meshwarden-testenv-watchdog', String(process.pid), this.#groupsFile, this.#runDir, keepRunDir ? '1' : '0'],
      { detached: true, stdio: 'ignore' },
    );
    watchdog.unref();
    this.#watchdog = watchdog;
  }
}

async function stopGroup(proc: ManagedProcess, child: ChildProcess, graceMs: number): Promise<void> {
  if (proc.exitStatus() !== undefined) {
    // The leader is gone but members of its group may linger.
    signalGroup(proc.pid, 'SIGKILL');
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  signalGroup(proc.pid, 'SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  signalGroup(proc.pid, 'SIGKILL');
  if (!stopped) await Promise.race([exited, sleep(2_000)]);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is the goal.
  }
}

/** The last `lines` lines of a backend's log, framed for an error message. */
export function describeLog(proc: ManagedProcess, lines = 40): string {
  let text: string;
  try {
    text = readFileSync(proc.logFile, 'utf8');
  } catch {
    return `(no log at ${proc.logFile})`;
  }
  const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
  return `--- last ${lines} lines of ${proc.logFile} ---\n${tail}\n--- end of ${proc.name} log ---`;
}

/**
 * Reserves `count` distinct free TCP ports on 127.0.0.1. All listeners are
 * held open together so the same port is never handed out twice; the small
 * window between closing and the backend binding is accepted.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => { resolve(server); });
      }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected listener address');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => { resolve(); }))));
  return ports;
}

/** Removes a run dir; never throws, teardown must continue. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
