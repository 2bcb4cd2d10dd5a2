import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEmbedded } from '../../../src/embedded/run-embedded.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

function lines(count: number): string {
  return Array.from({ length: count }, (_, i) =>
    `[${new Date(T0 + i * 1000).toISOString()}] "GET /v1/score HTTP/1.1" 200 - via_upstream - "-" 10 20 5 4 "-" "t/1" "r-${i}" "inference:8080" "10.42.2.10:8080" inbound|8080|| 127.0.0.6:1 10.42.2.10:8080 10.42.1.5:5 - default`).join('\n');
}

describe('runEmbedded over a state that is ahead of the input', () => {
  it('says so in one notice on the second replay of the same file, and --fresh replays it cleanly keeping the ledger', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-fresh-'));
    const config = join(dir, 'config');
    await mkdir(config);
    const input = join(dir, 'in.log');
    await writeFile(input, lines(600));
    const stateDir = join(dir, 'state');
    const notices: string[] = [];
    const deps = { clock: new ManualClock(T0), logger: silentLogger(), notice: (line: string) => { notices.push(line); } };
    const run = (fresh: boolean) => runEmbedded({ input, configPaths: [config], stateDir, fresh }, deps);

    expect((await run(false)).late).toBe(0);
    expect(notices).toEqual([]);

    const again = await run(false);
    expect(again.late).toBeGreaterThan(0);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^input starts at 2026-11-02T08:00:00\.000Z, the state in .* has already closed windows up to .*: its records would be late; use --fresh/);

    const fresh = await run(true);
    expect(fresh.late).toBe(0);
    expect(fresh.parsed).toBe(600);
    expect(notices).toHaveLength(1);
    expect(await readdir(join(stateDir, 'superseded'))).toHaveLength(1);
    const ledger = (await readFile(join(stateDir, 'audit', 'ledger.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { data: { event?: string } });
    expect(ledger.map((r) => r.data.event)).toEqual(['started', 'finished', 'started', 'finished', 'fresh-start', 'started', 'finished']);
  });
});
