import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { opaBinary } from '../../env/start-opa.js';

const run = promisify(execFile);

describe('the shipped Rego policies', () => {
  it('pass their own tests under the real opa (opa test policies/)', async () => {
    const { stdout } = await run(opaBinary(), ['test', 'policies/', '--format', 'json']);
    const results = JSON.parse(stdout) as { name: string; package: string; fail?: boolean; error?: unknown }[];
    const failed = results.filter((r) => r.fail === true || r.error !== undefined).map((r) => r.name);
    expect(failed).toEqual([]);
    // Each policy keeps its tests: a file that stopped loading would drop them silently.
    const names = results.map((r) => r.name);
    for (const prefix of ['test_destructive_step_on_a_friday', 'test_last_ready_replica', 'test_rollback_to_an_unvalidated_revision']) {
      expect(names.some((name) => name.startsWith(prefix))).toBe(true);
    }
  }, 60_000);

  it('pass opa check --strict', async () => {
    await expect(run(opaBinary(), ['check', '--strict', 'policies/'])).resolves.toBeDefined();
  }, 60_000);
});
