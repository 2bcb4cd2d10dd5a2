/**
 * The shipped artifact, not the source checkout: the compiled `dist/` with the files package.json
 * publishes and the production dependencies only (what the container image holds, less tfjs-node).
 * It must run the CLI, replay logs and train the autoencoder on its worker thread from `.js` files,
 * with no TypeScript loader and no development dependency present.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runProcess, type ProcessOutcome } from '../env/run-process.js';

const ROOT = resolve('.');
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);

/** Runs a command in `cwd` without NODE_OPTIONS of the test runner's own. */
function exec(command: string, args: readonly string[], cwd: string, timeoutMs = 240_000): Promise<ProcessOutcome> {
  return runProcess(command, args, { cwd, env: { ...process.env, NODE_OPTIONS: '' }, timeoutMs });
}

/** 150 minutes of 12 workloads, 12 requests a minute each, as Fluent Bit messages of Istio TEXT lines. */
function traffic(): string {
  const lines: string[] = [];
  for (let minute = 0; minute < 150; minute++) {
    for (let w = 0; w < 12; w++) {
      for (let r = 0; r < 12; r++) {
        const i = (minute * 12 + w) * 12 + r;
        const at = T0 + minute * 60_000 + r * 4_900 + w * 10;
        const duration = 8 + ((i * 7919) % 13);
        const code = (i * 104_729) % 97 === 0 ? 503 : 200;
        const text = `[${new Date(at).toISOString()}] "POST /v1/score HTTP/1.1" ${code} - via_upstream - "-" ${280 + (i % 40)} ${850 + ((i * 31) % 100)} ${duration} ${duration - 1} "-" "frontend/1.0" "req-${i}" "svc-${w}:8080" "10.42.2.${w + 10}:8080" inbound|8080|| 127.0.0.6:4${i % 10_000} 10.42.2.${w + 10}:8080 10.42.1.5:51000 outbound_.8080_._.svc-${w}.ml-prod.svc.cluster.local default`;
        lines.push(JSON.stringify({ '@timestamp': at / 1000, log: text, kubernetes: { namespace_name: 'ml-prod', pod_name: `svc-${w}-7d9c8b6f5-x2k4p`, container_name: 'istio-proxy', labels: { app: `svc-${w}` } } }));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

let work = '';
let pkg = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'meshwarden-package-'));
  pkg = join(work, 'meshwarden');
  const manifest = z.object({ files: z.array(z.string()) }).loose().parse(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')));
  // What `npm run build` makes, into the package directory instead of the checkout.
  const build = await exec(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], ROOT);
  expect(build, 'tsc -p tsconfig.build.json').toMatchObject({ code: 0 });
  for (const path of [...manifest.files.filter((f) => f !== 'dist'), 'package.json', 'package-lock.json']) cpSync(join(ROOT, path), join(pkg, path), { recursive: true });
  // Production dependencies only, from the lock file (the npm cache of the checkout's install serves them).
  const install = await exec('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], pkg);
  expect(install, 'npm ci --omit=dev').toMatchObject({ code: 0 });
}, 300_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('the packaged engine (dist/ and production dependencies only)', () => {
  it('has no sources, TypeScript loader or test tooling to lean on', () => {
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    for (const dev of ['tsx', 'typescript', 'vitest']) expect(existsSync(join(pkg, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(pkg, 'dist', 'cli', 'main.js'))).toBe(true);
  });

  it('checks the shipped detectors and playbooks and describes a release', async () => {
    const check = await exec(process.execPath, ['bin/meshwarden.js', 'check', 'detectors', 'playbooks'], pkg);
    // The one note: the credential rotation's site values are unset until an install sets them.
    expect(check.stderr).toBe('note: playbook rotate-credentials-on-stuffing: vars.authNamespace, vars.sessionSecretPath have no default; set playbookVars.rotate-credentials-on-stuffing.authNamespace, playbookVars.rotate-credentials-on-stuffing.sessionSecretPath in the service config (check it with the playbooks, or meshwarden run --config); until then the steps using them are refused\n');
    expect(check).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok: \d+ detector\(s\), \d+ playbook\(s\)/) as unknown });
    const release = await exec(process.execPath, ['bin/meshwarden.js', 'release', 'ml-prod/inference-7d9c8b6f5-x2k4p', '--dry-run'], pkg);
    // release --dry-run asks the API server about the pod (the packaged Kubernetes client loads);
    // with no cluster here it says it cannot read the pod, as an environment error.
    expect(release).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^error: read pod ml-prod\/inference-7d9c8b6f5-x2k4p: /) as unknown });
  });

  it('replays logs and trains the workload autoencoder on its worker thread, from the compiled files', async () => {
    const input = join(work, 'mesh.ndjson');
    writeFileSync(input, traffic());
    const state = join(work, 'state');
    const report = join(work, 'report.json');
    const run = await exec(process.execPath, ['bin/meshwarden.js', 'run', '--input', input, '--state', state, '--dry-run', '--quiet', '--report', report, '--log-level', 'info'], pkg);
    expect(run.code, run.stderr.slice(-2_000)).toBe(0);
    expect(JSON.parse(readFileSync(report, 'utf8'))).toMatchObject({ messages: 21_600, parsed: 21_600, deadLettered: 0 });
    const logs = run.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; backend?: string });
    expect(logs.filter((l) => l.msg === 'autoencoder model trained').length).toBeGreaterThanOrEqual(1);
    expect(logs.filter((l) => l.msg?.includes('training thread failed') === true)).toEqual([]);
    expect(readdirSync(join(state, 'autoencoder', 'mesh-autoencoder')).length).toBeGreaterThan(0);
  });
});
