import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { runEmbedded, type RunReport } from '../../src/embedded/run-embedded.js';
import type { PlaybookVarOverrides } from '../../src/playbook/playbook-vars.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { parseCli } from '../../scripts/recording/cli-options.js';
import { generateRecording } from '../../scripts/recording/recording-generator.js';

let dir: string;
let input: string;
let playbookVars: PlaybookVarOverrides;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshwarden-partitioned-'));
  const options = parseCli(['--out', join(dir, 'mesh.ndjson')]);
  input = options.out;
  const fd = openSync(input, 'w');
  try {
    generateRecording(options, (chunk) => { writeSync(fd, chunk); });
  } finally {
    closeSync(fd);
  }
  const demoConfig = await loadConfig(['examples/recording/meshwarden.yaml'], { serviceConfigs: true });
  const vars = demoConfig.services[0]?.value.playbookVars;
  if (demoConfig.problems.length > 0 || vars === undefined) throw new Error('examples/recording/meshwarden.yaml does not load');
  playbookVars = vars;
}, 120_000);

/** The demo replayed in `partitions` partitions on `workers` worker threads, without its state paths. */
async function replay(partitions: number, workers: number): Promise<Omit<RunReport, 'ledger' | 'deadLetterFile'> & { lastSeq: number }> {
  const stateDir = join(dir, `state-${partitions}-${workers}`);
  const report = await runEmbedded(
    { input, configPaths: ['detectors', 'playbooks'], stateDir, playbookVars, partitions, workers },
    { clock: new ManualClock(Date.UTC(2026, 10, 4)), logger: silentLogger() },
  );
  const { ledger, deadLetterFile: _file, ...rest } = report;
  return { ...rest, lastSeq: ledger.lastSeq };
}

describe('the demo replayed on detection worker threads', () => {
  it('reports the same anomalies, incidents, cases and actions with one worker and with two', async () => {
    const one = await replay(2, 1);
    const two = await replay(2, 2);
    expect(two).toEqual(one);
    // Every record accounted for, and every injected incident still one case of its own.
    expect(one.records).toBe(one.parsed + one.deadLettered);
    expect(one.cases).toHaveLength(7);
    expect(one.anomalies.length).toBeGreaterThan(300);
    // A caller's pod has windows in its own partition and in its callees': one anomaly per window.
    expect(new Set(one.anomalies.map((a) => a.id)).size).toBe(one.anomalies.length);
  }, 600_000);

  it('with one partition, replays through one pipeline in this thread whatever the number of workers', async () => {
    const inThread = await replay(1, 0);
    expect(await replay(1, 2)).toEqual(inThread);
    expect(inThread.cases).toHaveLength(7);
  }, 600_000);
});
