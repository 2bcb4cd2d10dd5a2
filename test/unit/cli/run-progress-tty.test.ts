import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReportFixture } from '../helpers/report-fixture.js';
import { meshwarden } from './spawn-cli.js';

/** Three hours of the report fixture: 3,240 records, past the first progress report at 2,000. */
function runArgs(): string[] {
  const fixture = writeReportFixture({ minutes: 180 });
  return ['run', '--input', fixture.input, '--detectors', fixture.detectorsDir, '--playbooks', fixture.playbooksDir, '--state', join(fixture.dir, 'state')];
}

describe('progress of meshwarden run on stderr', () => {
  it('is not written when stderr is a pipe (CI logs, 2> file): no carriage returns, no progress line', () => {
    const { code, stdout, stderr } = meshwarden(runArgs());
    expect(code).toBe(0);
    expect(stdout).toMatch(/^read 3,240 messages, 3,240 records/);
    expect(stderr).not.toContain('\r');
    expect(stderr).not.toContain('records/s');
  }, 60_000);

  it('is drawn and then wiped when stderr is a terminal (util-linux script gives it one), and not with --quiet', () => {
    // `script` runs the command on a pseudo-terminal and copies what it shows to its own stdout.
    if (!existsSync('/usr/bin/script')) throw new Error('this test needs util-linux\'s script(1) at /usr/bin/script (Debian: bsdutils)');
    const onTerminal = (extra: string[]): string => {
      const command = [process.execPath, 'bin/meshwarden.js', ...runArgs(), ...extra].map((a) => `'${a.replaceAll('\'', '\'\\\'\'')}'`).join(' ');
      const result = spawnSync('/usr/bin/script', ['-qefc', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, COLUMNS: '200' } });
      expect(result.status).toBe(0);
      return result.stdout;
    };
    const shown = onTerminal([]);
    expect(shown).toMatch(/\rread 2,\d{3} records {2}event time 2026-11-03 \d\d:\d\dZ {2}[\d,]+ records\/s {2}\d+ anomalies, \d+ actions/);
    // Wiped before the report: spaces over the line, back to its start, then the totals.
    expect(shown).toMatch(/\r {20,}\rread 3,240 messages, 3,240 records/);
    const quiet = onTerminal(['--quiet']);
    expect(quiet).toMatch(/\nread 3,240 messages/);
    expect(quiet).not.toContain('records/s');
  }, 90_000);
});
