import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { helmBinary, pinnedVersions } from '../../env/backends.js';

const run = promisify(execFile);

const configMap = z.object({
  kind: z.literal('ConfigMap'),
  metadata: z.object({ name: z.string(), namespace: z.string() }),
  data: z.object({ model: z.string(), kubeVersion: z.string() }),
});

describe('helm test binary', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('reports the pinned version', async () => {
    const { stdout } = await run(helmBinary(), ['version', '--short']);
    expect(stdout.trim()).toBe(pinnedVersions().helm);
  });

  it('renders a chart with values and the pinned Kubernetes version as capabilities', async () => {
    const chart = await mkdtemp(join(tmpdir(), 'meshwarden-chart-'));
    dirs.push(chart);
    await mkdir(join(chart, 'templates'));
    await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: smoke\nversion: 0.1.0\n');
    await writeFile(join(chart, 'values.yaml'), 'model: default-model\n');
    await writeFile(
      join(chart, 'templates', 'configmap.yaml'),
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: {{ .Release.Name }}-config',
        '  namespace: {{ .Release.Namespace }}',
        'data:',
        '  model: {{ .Values.model | quote }}',
        '  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}',
        '',
      ].join('\n'),
    );

    await run(helmBinary(), ['lint', chart]);
    const { stdout } = await run(helmBinary(), ['template', 'smoke', chart, '--namespace', 'models', '--set', 'model=fraud-v7']);
    const docs = parseAllDocuments(stdout).map((doc) => configMap.parse(doc.toJS()));

    expect(docs).toHaveLength(1);
    expect(docs[0]?.metadata).toEqual({ name: 'smoke-config', namespace: 'models' });
    expect(docs[0]?.data.model).toBe('fraud-v7');
    // Without the build's ldflags helm would claim v1.20.0 here.
    const minor = /^v1\.(\d+)\./.exec(pinnedVersions().kubernetes)?.[1];
    expect(docs[0]?.data.kubeVersion).toBe(`v1.${minor ?? '?'}.0`);
  });
});
