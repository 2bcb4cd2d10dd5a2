import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../env/run-process.js';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

function lines(count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(`[${new Date(T0 + i * 1000).toISOString()}] "GET /v1/score HTTP/1.1" 200 - via_upstream - "-" 10 20 5 4 "-" "t/1" "r-${i}" "inference:8080" "10.42.2.10:8080" inbound|8080|| 127.0.0.6:1 10.42.2.10:8080 10.42.1.5:5 - default`);
  }
  return `${out.join('\n')}\n`;
}

async function run(input: string, dir: string): Promise<{ code: number | null; stderr: string; state: string; report: string }> {
  const config = join(dir, 'config');
  await mkdir(config, { recursive: true });
  const state = join(dir, 'state');
  const report = join(dir, 'report.json');
  const outcome = await runProcess(process.execPath, ['bin/meshwarden.js', 'run', '--input', input, '--detectors', config, '--playbooks', config, '--state', state, '--report', report], { timeoutMs: 60_000 });
  return { code: outcome.code, stderr: outcome.stderr, state, report };
}

interface LedgerLine { readonly type: string; readonly data: { readonly event?: string; readonly endedOn?: string; readonly error?: string; readonly records?: number } }

async function ledger(state: string): Promise<LedgerLine[]> {
  return (await readFile(join(state, 'audit', 'ledger.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as LedgerLine);
}

function expectOneLineError(stderr: string, file: string): string {
  const errors = stderr.split('\n').filter((l) => l.startsWith('error:'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain(file);
  // No stack trace, no raw zlib error object.
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('errno');
  return errors[0] ?? '';
}

describe('a run over corrupt compressed input', () => {
  it('a truncated .gz ends with one line naming the file and position, exit 1, and everything read so far flushed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-corrupt-'));
    const whole = gzipSync(lines(20_000));
    const input = join(dir, 'access.log.gz');
    await writeFile(input, whole.subarray(0, Math.floor(whole.length / 2)));
    const { code, stderr, state, report } = await run(input, dir);
    expect(code).toBe(1);
    const error = expectOneLineError(stderr, input);
    expect(error).toMatch(/truncated/);
    expect(error).toMatch(/after \d+ byte\(s\), \d+ complete line\(s\)/);
    const json = JSON.parse(await readFile(report, 'utf8')) as { records: number; parsed: number; inputError?: { message: string } };
    expect(json.records).toBeGreaterThan(1000);
    expect(json.parsed).toBe(json.records);
    expect(json.inputError?.message).toContain('truncated');
    expect((await stat(join(state, 'engine-state.json'))).size).toBeGreaterThan(0);
    const last = (await ledger(state)).at(-1);
    expect(last).toMatchObject({ type: 'run', data: { event: 'finished', endedOn: 'input-error', records: json.records } });
  });

  it('a plain text file named .gz ends the same way, naming it as not gzip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-corrupt-'));
    const input = join(dir, 'access.log.gz');
    await writeFile(input, lines(10));
    const { code, stderr, state, report } = await run(input, dir);
    expect(code).toBe(1);
    expect(expectOneLineError(stderr, input)).toMatch(/not valid gzip/);
    expect(JSON.parse(await readFile(report, 'utf8'))).toMatchObject({ records: 0, inputError: { code: 'input-unreadable' } });
    expect((await ledger(state)).at(-1)).toMatchObject({ type: 'run', data: { event: 'finished', endedOn: 'input-error' } });
  });

  it('corrupt bytes in the middle of a .gz end cleanly too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshwarden-corrupt-'));
    // Distinct lines so the compressed stream is long enough to corrupt in its middle.
    const whole = Buffer.from(gzipSync(lines(20_000)));
    for (let i = Math.floor(whole.length / 2); i < Math.floor(whole.length / 2) + 64; i++) whole[i] = (whole[i] ?? 0) ^ 0x5a;
    const input = join(dir, 'access.log.gz');
    await writeFile(input, whole);
    const { code, stderr, report } = await run(input, dir);
    expect(code).toBe(1);
    expectOneLineError(stderr, input);
    const json = JSON.parse(await readFile(report, 'utf8')) as { records: number; parsed: number; deadLettered: number };
    expect(json.parsed + json.deadLettered).toBe(json.records);
  });
});
