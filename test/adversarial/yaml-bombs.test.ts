import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { formatProblem } from '../../src/shared/errors.js';
import { runProcess } from '../env/run-process.js';

// Whoever can get a YAML file into the playbooks directory (a pull request, a writable ConfigMap)
// tries to take `check`, `run` and `serve` down with it instead of configuring anything.

const HEAD = 'apiVersion: meshwarden.io/v1\nkind: Playbook\nmetadata: { name: bomb }\n';

function billionLaughs(): string {
  let text = `${HEAD}l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n`;
  for (let i = 1; i <= 9; i++) text += `l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]\n`;
  return text;
}

/** Each level merges the previous one and lists it twice: 3^30 values from 30 lines. */
function mergeBomb(): string {
  let text = `${HEAD}m0: &m0 { k: v }\n`;
  for (let i = 1; i <= 30; i++) text += `m${i}: &m${i} { <<: *m${i - 1}, a: *m${i - 1}, b: *m${i - 1} }\n`;
  return text;
}

const BOMBS: Record<string, string> = {
  'billion-laughs.yaml': billionLaughs(),
  'merge-bomb.yaml': mergeBomb(),
  'cyclic-alias.yaml': `${HEAD.replace('metadata: { name: bomb }\n', '')}metadata: &m\n  name: cyclic\n  labels: *m\n`,
  'cyclic-flow.yaml': `${HEAD.replace('metadata: { name: bomb }\n', '')}metadata: &m { name: cyclic, self: [*m] }\n`,
  'deep-flow.yaml': `${HEAD}spec: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`,
  'deep-block.yaml': `${HEAD}spec:\n${Array.from({ length: 300 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} end\n`,
  'huge.yaml': `${HEAD}# ${'x'.repeat(3 * 1024 * 1024)}\n`,
};

function bombDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-yaml-bombs-'));
  for (const [name, text] of Object.entries(BOMBS)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('YAML bombs in a playbook directory', () => {
  it('are each reported as one config problem with file, line and the fix, never thrown', async () => {
    const dir = bombDir();
    const config = await loadConfig([dir], { cwd: dir });
    const byFile = new Map(config.problems.map((p) => [p.file, formatProblem(p)]));
    expect([...byFile.keys()].sort()).toEqual(Object.keys(BOMBS).sort());
    expect(config.problems).toHaveLength(Object.keys(BOMBS).length);
    expect(byFile.get('billion-laughs.yaml')).toMatch(/^billion-laughs\.yaml:\d+:\d+ the document expands to more than 20,000 values through aliases .*; write the values out/);
    expect(byFile.get('merge-bomb.yaml')).toMatch(/^merge-bomb\.yaml:\d+:\d+ the document expands to more than 20,000 values/);
    expect(byFile.get('cyclic-alias.yaml')).toBe('cyclic-alias.yaml:5:11 alias *m refers to a node that contains it (a cycle); replace the alias with the values it should repeat');
    expect(byFile.get('cyclic-flow.yaml')).toMatch(/^cyclic-flow\.yaml:3:\d+ alias \*m refers to a node that contains it/);
    expect(byFile.get('deep-flow.yaml')).toMatch(/^deep-flow\.yaml:4:\d+ YAML nesting is deeper than 64 levels; flatten the document$/);
    expect(byFile.get('deep-block.yaml')).toMatch(/^deep-block\.yaml:\d+:\d+ YAML nesting is deeper than 64 levels; flatten the document$/);
    expect(byFile.get('huge.yaml')).toMatch(/^huge\.yaml:1:1 the file is 3,145,8\d\d bytes; configuration files may hold at most 1,048,576, split it into several files$/);
    expect(config.playbooks).toEqual([]);
  });

  it('makes the real `meshwarden check` print one line per bomb and exit 1, without a stack trace', async () => {
    const dir = bombDir();
    const outcome = await runProcess(process.execPath, [join(process.cwd(), 'bin/meshwarden.js'), 'check', '.'], { cwd: dir, timeoutMs: 60_000 });
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(1);
    const lines = outcome.stdout.trim().split('\n');
    expect(lines).toHaveLength(Object.keys(BOMBS).length + 1);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^[a-z-]+\.yaml:\d+:\d+ \S/);
    expect(lines.at(-1)).toBe(`${Object.keys(BOMBS).length} problem(s) in ${Object.keys(BOMBS).length} file(s)`);
    expect(outcome.stdout).not.toMatch(/\n\s+at /);
  });
});
