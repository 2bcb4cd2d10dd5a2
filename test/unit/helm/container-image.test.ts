import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { CHART_DIR, REPO_ROOT } from './helm-chart.js';

/** One build stage of the Dockerfile: its FROM line and its instructions (continuations joined). */
interface Stage {
  readonly from: string;
  readonly instructions: readonly { readonly op: string; readonly args: string }[];
}

/** The Dockerfile's stages; the ARGs before the first FROM (which only FROM lines see) form stage 0. */
function stages(): Stage[] {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const result: { from: string; instructions: { op: string; args: string }[] }[] = [{ from: '(global)', instructions: [] }];
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (match === null || line.trimStart().startsWith('#')) continue;
    const [, op = '', args = ''] = match;
    if (op === 'FROM') result.push({ from: args.trim(), instructions: [] });
    else result.at(-1)?.instructions.push({ op, args: args.trim() });
  }
  return result;
}

const packageJson = z
  .object({ files: z.array(z.string()), bin: z.record(z.string(), z.string()), peerDependencies: z.record(z.string(), z.string()) })
  .loose()
  .parse(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')));

describe('Dockerfile', () => {
  const [global, ...all] = stages();
  const runtime = all.at(-1);
  if (global === undefined || runtime === undefined) throw new Error('Dockerfile has no stage');
  const ops = (stage: Stage, op: string): string[] => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

  it('builds with npm ci and npm run build, and runs on a Node 20 slim image', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(ops(global, 'ARG')).toEqual(['NODE_IMAGE=node:20-bookworm-slim']);
    expect(all.every((stage) => stage.from.startsWith('${NODE_IMAGE}'))).toBe(true);
    const runs = all.flatMap((stage) => ops(stage, 'RUN'));
    expect(runs.some((run) => run.startsWith('npm ci ') && !run.includes('--omit=dev'))).toBe(true);
    expect(runs).toContain('npm run build');
  });

  it('runs as a non-root numeric user with `node bin/meshwarden.js` as entrypoint and serve as command', () => {
    expect(ops(runtime, 'USER')).toEqual(['1000:1000']);
    expect(ops(runtime, 'ENTRYPOINT')).toEqual([JSON.stringify(['node', packageJson.bin['meshwarden']]).replace(/,/g, ', ')]);
    expect(ops(runtime, 'CMD')).toEqual(['["serve", "--config", "/etc/meshwarden/config.yaml"]']);
  });

  it('copies into the runtime image every path package.json publishes, and installs the optional tfjs-node', () => {
    const copied = ops(runtime, 'COPY').map((args) => args.split(/\s+/).filter((word) => !word.startsWith('--')));
    const targets = copied.map((words) => words.at(-1)?.replace(/^\.\//, ''));
    for (const path of packageJson.files) expect(targets, path).toContain(path);
    expect(targets).toContain('node_modules');
    const tfjs = packageJson.peerDependencies['@tensorflow/tfjs-node'];
    expect(tfjs).toBeDefined();
    const runs = all.flatMap((stage) => ops(stage, 'RUN'));
    expect(runs.some((run) => run.includes('npm install --omit=dev') && run.includes('@tensorflow/tfjs-node@${TFJS_NODE_VERSION}'))).toBe(true);
  });

  it('uses the same user id as the chart runs the pod with', () => {
    const values = z
      .object({ securityContext: z.object({ runAsUser: z.number(), runAsGroup: z.number() }) })
      .loose()
      .parse(parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')));
    expect(ops(runtime, 'USER')).toEqual([`${values.securityContext.runAsUser}:${values.securityContext.runAsGroup}`]);
  });

  it('keeps out of the build context nothing the Dockerfile copies', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const sources = all
      .flatMap((stage) => ops(stage, 'COPY'))
      .filter((args) => !args.includes('--from='))
      .flatMap((args) => args.split(/\s+/).filter((word) => !word.startsWith('--')).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(ignored, source).not.toContain(source);
  });
});
