import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { meshwarden } from './spawn-cli.js';

// Every test spawns the CLI a few times, as a user would; on a busy machine each start takes seconds.
vi.setConfig({ testTimeout: 90_000 });

const SDKS = /\/node_modules\/(kafkajs|@kubernetes\/client-node|node-vault|@slack\/[^/]+|@tensorflow\/[^/]+)\//;
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** The package names (of SDKS) whose modules a CLI run resolved. */
function sdksLoadedBy(args: readonly string[]): { code: number | null; loaded: string[]; total: number } {
  const log = join(mkdtempSync(join(tmpdir(), 'meshwarden-modules-')), 'modules.log');
  writeFileSync(log, '');
  const run = meshwarden(args, { nodeArgs: ['--import', './test/unit/cli/fixtures/module-log.mjs'], env: { MESHWARDEN_MODULE_LOG: log } });
  const urls = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
  return { code: run.code, loaded: [...new Set(urls.flatMap((u) => SDKS.exec(u)?.[1] ?? []))].sort(), total: urls.length };
}

describe('meshwarden version', () => {
  it('--version and version print the package version, the commit and the Node.js version', () => {
    const flag = meshwarden(['--version']);
    const command = meshwarden(['version']);
    expect(flag.code).toBe(0);
    expect(command).toEqual(flag);
    expect(flag.stdout).toMatch(new RegExp(`^meshwarden ${VERSION.replace(/\./g, '\\.')}\ncommit: ([0-9a-f]{7,40}|unknown)\nnode: ${process.version}\n$`));
  });

  it('--version loads none of the SDKs, which only the commands that use them import', () => {
    const version = sdksLoadedBy(['--version']);
    expect(version.code).toBe(0);
    // The hook sees the CLI's own modules: an empty log would prove nothing.
    expect(version.total).toBeGreaterThan(20);
    expect(version.loaded).toEqual([]);
    // And it does see an SDK when a command loads one: release reads its kubeconfig with the
    // Kubernetes client (this one does not exist, so it stops there).
    const release = sdksLoadedBy(['release', 'ml-prod/model-0', '--dry-run', '--kubeconfig', join(tmpdir(), 'meshwarden-no-such-kubeconfig')]);
    expect(release.code).not.toBe(0);
    expect(release.loaded).toEqual(['@kubernetes/client-node']);
  });
});

describe('exit codes', () => {
  it('an unknown option or command is a usage error: exit 2', () => {
    expect(meshwarden(['--no-such-option'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--no-such-option'") as unknown });
    expect(meshwarden(['check', '--no-such-option', 'detectors'])).toMatchObject({ code: 2 });
    expect(meshwarden(['no-such-command'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'no-such-command'") as unknown });
    expect(meshwarden(['run'])).toMatchObject({ code: 2, stderr: expect.stringContaining("required option '--input <file|->' not specified") as unknown });
  });

  it('--help is not an error', () => {
    expect(meshwarden(['audit', '--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: meshwarden audit') as unknown });
  });

  it('audit verify on a path that does not exist says so and exits 2, never TAMPERED', () => {
    const missing = join(tmpdir(), 'meshwarden-no-such-state-dir', 'audit');
    const run = meshwarden(['audit', 'verify', missing]);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `error: ${missing} does not exist\n` });
  });

  it('serve with a configuration file that does not exist: one line, exit 2, no stack trace', () => {
    const missing = join(tmpdir(), 'meshwarden-no-such-config.yaml');
    expect(meshwarden(['serve', '--config', missing])).toEqual({ code: 2, stdout: '', stderr: `error: --config ${missing} does not exist\n` });
  });

  it('check with findings exits 1', () => {
    expect(meshwarden(['check', 'detectors', 'test/fixtures/config/bad']).code).toBe(1);
  });
});

describe('meshwarden release argument', () => {
  it.each([
    ['foo', 'no namespace (write it before the pod, with a "/")'],
    ['a/b/c', 'more than one "/"'],
    ['/pod', 'the namespace is empty'],
    ['Prod/pod', 'the namespace "Prod" is not a Kubernetes namespace name'],
    ['prod/Pod_1', 'the pod "Pod_1" is not a Kubernetes pod name'],
  ])('refuses %s in its own words, exit 2', (arg, why) => {
    const run = meshwarden(['release', arg, '--dry-run']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: expected <namespace>/<pod>, got ${JSON.stringify(arg)}: ${why}`);
    // zod's own wording never reaches the operator.
    expect(run.stderr).not.toMatch(/Invalid|too_small|String must|expected string/);
    expect(run.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
  });
});

describe('-o text|json|yaml', () => {
  it('actions lists the same actions as text, JSON and YAML', () => {
    const jsonText = meshwarden(['actions', '-o', 'json']).stdout;
    const json = JSON.parse(jsonText) as { id: string }[];
    expect(json.map((a) => a.id)).toContain('kubernetes.quarantine-pod');
    expect(meshwarden(['actions', '--json']).stdout).toBe(jsonText);
    const yaml = meshwarden(['actions', '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain('- id: "kubernetes.quarantine-pod"');
    expect(meshwarden(['actions']).stdout).toContain('kubernetes.quarantine-pod (destructive), undone by kubernetes.release-pod');
    expect(meshwarden(['actions', '-o', 'xml'])).toMatchObject({ code: 2, stderr: expect.stringContaining("argument 'xml' is invalid") as unknown });
  });
});

describe('meshwarden completion', () => {
  it('bash completes commands, subcommands and options', () => {
    const script = meshwarden(['completion', 'bash']);
    expect(script.code).toBe(0);
    const complete = (words: string[]): string => spawnSync('bash', ['-c', `${script.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _meshwarden; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8', timeout: 10_000 }).stdout.trim();
    expect(complete(['meshwarden', 'au'])).toBe('audit');
    expect(complete(['meshwarden', 'audit', 'v'])).toBe('verify');
    expect(complete(['meshwarden', 'audit', 'verify', '--exp'])).toBe('--expect-ledger-id');
    expect(complete(['meshwarden', 'run', '--inp'])).toBe('--input');
  });

  it('zsh reuses the bash function; fish gets one complete line per command and option', () => {
    expect(meshwarden(['completion', 'zsh']).stdout).toMatch(/^#compdef meshwarden\n[\s\S]*bashcompinit[\s\S]*complete -o default -F _meshwarden meshwarden\n$/);
    const fish = meshwarden(['completion', 'fish']).stdout;
    expect(fish).toContain("complete -c meshwarden -n '__fish_use_subcommand' -a 'audit'");
    expect(fish).toContain("complete -c meshwarden -n '__fish_seen_subcommand_from audit; and not __fish_seen_subcommand_from verify");
    expect(fish).toContain("complete -c meshwarden -n '__fish_seen_subcommand_from run' -l input -d");
    expect(meshwarden(['completion', 'tcsh'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no completion for "tcsh"; use bash, zsh or fish') as unknown });
  });
});
