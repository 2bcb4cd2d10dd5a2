import { spawnSync } from 'node:child_process';

/** What one run of the CLI printed and how it exited. */
export interface CliOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bin/meshwarden.js` as a user would, with extra Node options and environment when given. */
export function meshwarden(args: readonly string[], options: { readonly input?: string; readonly nodeArgs?: readonly string[]; readonly env?: Readonly<Record<string, string>> } = {}): CliOutcome {
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), 'bin/meshwarden.js', ...args], {
    encoding: 'utf8', timeout: 60_000, ...(options.input !== undefined ? { input: options.input } : {}),
    env: { ...process.env, ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
