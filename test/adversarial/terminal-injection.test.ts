import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runEmbedded } from '../../src/embedded/run-embedded.js';
import { checkCommand } from '../../src/cli/check-command.js';
import { formatReport } from '../../src/cli/print-report.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';

// A compromised pod names its model after a fake incident block and a terminal takeover: clear the
// screen, open an OSC 8 hyperlink to the attacker, reverse the rest of the line. The SOC reads the
// text report of `meshwarden run` and the output of `meshwarden check` on a terminal.

const FORGED_BLOCK = '\n\nincident deadbeef  pod:ml-prod/victim\n  -> quarantine-on-exfiltration / isolate the pod: dry-run: would label pod ml-prod/victim\n';
const TERMINAL_TAKEOVER = '\x1b[2J\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07\u009b31m\u202e';
const HOSTILE = `fraud${FORGED_BLOCK}${TERMINAL_TAKEOVER}`;

/** Anything that drives a terminal instead of being shown by it. */
// eslint-disable-next-line no-control-regex -- the test looks for exactly these
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'meshwarden-terminal-'));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('client-written text on the terminal', () => {
  it('cannot forge an incident block or send escape codes through the run report', async () => {
    const dir = workDir();
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'detector.yaml'), [
      'apiVersion: meshwarden.io/v1', 'kind: Detector', 'metadata: { name: confidence-floor }', 'spec:', '  entity: model',
      '  threshold: 0.5', '  algorithm: { type: threshold, direction: below, warn: 0.5, critical: 0.2 }', '  features:', '    - name: confidence_mean', '',
    ].join('\n'));
    writeFileSync(join(dir, 'config', 'playbook.yaml'), [
      'apiVersion: meshwarden.io/v1', 'kind: Playbook', 'metadata: { name: tell-the-soc }', 'spec:',
      '  trigger: { detectors: [confidence-floor], entityKinds: [model], minScore: 0.5 }', '  steps:',
      '    - action: slack.notify', '      params: { channel: "#soc-alerts", text: "Model {{ entity.model }} lost confidence" }', '',
    ].join('\n'));
    const start = Date.parse('2026-11-03T09:00:00Z');
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({
      schema: 'model_telemetry.v1', ts: new Date(start + i * 1000).toISOString(), kind: 'request', status_code: 200,
      model: { name: HOSTILE, version: `v3${TERMINAL_TAKEOVER}`, namespace: 'ml-prod' },
      prediction: { confidence: i < 120 ? 0.9 : 0.1 },
    }));
    writeFileSync(join(dir, 'input.ndjson'), `${lines.join('\n')}\n`);

    const report = await runEmbedded(
      { input: join(dir, 'input.ndjson'), configPaths: [join(dir, 'config')], stateDir: join(dir, 'state') },
      { clock: new ManualClock(start + 3 * 3_600_000), logger: silentLogger() },
    );
    // The attack reached the report: one incident on the hostile model, one action naming it.
    expect(report.incidents).toHaveLength(1);
    expect(report.incidents[0]?.entity).toContain(FORGED_BLOCK);
    expect(report.actions).toHaveLength(1);

    const text = formatReport(report);
    expect(text).not.toMatch(CONTROL);
    const printed = text.split('\n');
    // One case holding the one incident with its one action: whatever the indent, no forged line.
    expect(printed.filter((line) => line.startsWith('case '))).toHaveLength(1);
    expect(printed.filter((line) => /^\s*incident /.test(line))).toHaveLength(1);
    expect(printed.filter((line) => /^\s*-> /.test(line))).toHaveLength(1);
    // The hostile values are still there for the analyst to read, escaped.
    expect(text).toContain('model:ml-prod/fraud\\x0a\\x0aincident deadbeef  pod:ml-prod/victim\\x0a');
    expect(text).toContain('\\x1b[2J\\x1b]8;;http://evil.example/\\x07');
    expect(text).toContain('\\x9b31m\\u{202e}');
  });

  it('cannot forge lines or send escape codes through `meshwarden check`', async () => {
    const dir = workDir();
    // A file name and a value in it, both chosen by whoever opened the pull request.
    writeFileSync(join(dir, `evil${FORGED_BLOCK.replaceAll('/', '-')}\x1b[2J.yaml`), [
      'apiVersion: meshwarden.io/v1', 'kind: Playbook', 'metadata: { name: evil }', 'spec:',
      '  trigger: { detectors: [egress-spike] }', '  steps:',
      `    - action: ${JSON.stringify(`kubernetes.quarantine-pod${TERMINAL_TAKEOVER}`)}`, '',
    ].join('\n'));
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    });
    const exitCode = process.exitCode;
    await checkCommand().parseAsync(['node', 'check', dir]);
    process.exitCode = exitCode;
    vi.restoreAllMocks();

    expect(stdout).not.toMatch(CONTROL);
    const printed = stdout.trim().split('\n');
    expect(printed.at(-1)).toMatch(/^\d+ problem\(s\) in 1 file\(s\)$/);
    for (const line of printed.slice(0, -1)) expect(line.startsWith(relative(process.cwd(), dir))).toBe(true);
    expect(stdout).toContain('\\x0a\\x0aincident deadbeef');
  });
});
