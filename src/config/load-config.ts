import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { detectorSchema, type DetectorSpec } from '../detect/detector-spec.js';
import { playbookSchema, type PlaybookSpec } from '../playbook/playbook-spec.js';
import { playbookTestSchema, type PlaybookTestSpec } from '../playbook-test/playbook-test-spec.js';
import type { ConfigProblem } from '../shared/errors.js';
import { closest } from './describe-issue.js';
import { serviceConfigSchema, type ServiceConfig } from './service-config.js';
import { loadYamlDocuments, tooLarge, type LoadedDocument } from './yaml-document.js';
import { DEFAULT_YAML_LIMITS, type YamlLimits } from './yaml-limits.js';

/**
 * Any document a user may put under detectors/ or playbooks/, told apart by `kind`. A
 * `PlaybookTest` (`meshwarden test`) is validated with the rest but never loaded into the engine.
 */
export const configDocumentSchema = z.discriminatedUnion('kind', [detectorSchema, playbookSchema, playbookTestSchema]);

/** What `meshwarden check` accepts: also the service's own configuration file. */
export const checkDocumentSchema = z.discriminatedUnion('kind', [detectorSchema, playbookSchema, playbookTestSchema, serviceConfigSchema]);

/** Detectors and playbooks loaded from files, each with where it came from. */
export interface LoadedConfig {
  readonly detectors: LoadedDocument<DetectorSpec>[];
  readonly playbooks: LoadedDocument<PlaybookSpec>[];
  /** Playbook tests found among the files: checked, never run by the engine. */
  readonly tests: LoadedDocument<PlaybookTestSpec>[];
  /** Service configurations (only with `serviceConfigs`: `check` validates them, nothing loads them). */
  readonly services: LoadedDocument<ServiceConfig>[];
  readonly problems: ConfigProblem[];
  readonly files: string[];
  /** The detectors each playbook's trigger names, valid playbooks and those failing their schema alike. */
  readonly triggers: TriggerRef[];
  /** Names of the detectors among the files, including those failing their schema. */
  readonly detectorNames: readonly string[];
  /** The sha256 of every file read (a file refused before it was read has none). */
  readonly digests: FileDigest[];
}

/** Where a playbook names its detectors. */
export interface TriggerRef {
  readonly file: string;
  readonly detectors: readonly string[];
  locate(path: readonly (string | number)[]): { line: number; col: number };
}

/** One configuration file as it was read: its name as shown in problems, size and sha256. */
export interface FileDigest {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Loads every YAML file under the given files and directories, validates each document, then
 * checks across files (unique names, playbooks naming detectors that exist). Returns every problem.
 */
export async function loadConfig(paths: readonly string[], options: { cwd?: string; limits?: YamlLimits; serviceConfigs?: boolean } = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const limits = options.limits ?? DEFAULT_YAML_LIMITS;
  const problems: ConfigProblem[] = [];
  const files: { path: string; root?: string }[] = [];
  for (const path of paths) {
    try {
      files.push(...(await yamlFiles(path, await rootOf(path))));
    } catch (error) {
      problems.push({ file: path, line: 0, col: 0, path: '', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}; check the path` });
    }
  }
  const detectors: LoadedDocument<DetectorSpec>[] = [];
  const playbooks: LoadedDocument<PlaybookSpec>[] = [];
  const tests: LoadedDocument<PlaybookTestSpec>[] = [];
  const services: LoadedDocument<ServiceConfig>[] = [];
  const rejected: LoadedDocument<unknown>[] = [];
  const schema = options.serviceConfigs === true ? checkDocumentSchema : configDocumentSchema;
  const digests: FileDigest[] = [];
  for (const { path: file, root } of files) {
    const shown = relative(cwd, file) || file;
    const read = await readConfigFile(file, root, limits);
    if ('problem' in read) {
      problems.push(read.problem(shown));
      continue;
    }
    digests.push({ file: shown, bytes: read.bytes.length, sha256: createHash('sha256').update(read.bytes).digest('hex') });
    const result = loadYamlDocuments(shown, read.bytes.toString('utf8'), schema, limits);
    problems.push(...result.problems);
    rejected.push(...result.rejected);
    for (const doc of result.documents) {
      if (doc.value.kind === 'Detector') detectors.push({ ...doc, value: doc.value });
      else if (doc.value.kind === 'Playbook') playbooks.push({ ...doc, value: doc.value });
      else if (doc.value.kind === 'PlaybookTest') tests.push({ ...doc, value: doc.value });
      else services.push({ ...doc, value: doc.value });
    }
  }
  problems.push(...duplicateNames(detectors, 'detector'), ...duplicateNames(playbooks, 'playbook'));
  // A detector that fails its schema still exists by name: a playbook naming it is not told it does not.
  const detectorNames = new Set([...detectors.map((d) => d.value.metadata.name), ...rejected.flatMap((d) => rawName(d.value, 'Detector'))]);
  const triggers = [
    ...playbooks.map((p) => ({ file: p.file, locate: (path: readonly (string | number)[]) => p.locate(path), detectors: p.value.spec.trigger.detectors })),
    ...rejected.flatMap((d) => rawTrigger(d)),
  ];
  if (detectorNames.size > 0) problems.push(...unknownDetectors(triggers, detectorNames));
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  return { detectors, playbooks, tests, services, problems, files: files.map((f) => f.path), triggers, detectorNames: [...detectorNames], digests };
}

function rawName(data: unknown, kind: string): string[] {
  const doc = data as { kind?: unknown; metadata?: { name?: unknown } } | null;
  const name = doc?.metadata?.name;
  return doc?.kind === kind && typeof name === 'string' ? [name] : [];
}

/** The detectors a playbook that failed its schema names, as far as they are strings in a list. */
function rawTrigger(doc: LoadedDocument<unknown>): TriggerRef[] {
  const data = doc.value as { kind?: unknown; spec?: { trigger?: { detectors?: unknown } } } | null;
  const names = data?.spec?.trigger?.detectors;
  if (data?.kind !== 'Playbook' || !Array.isArray(names) || !names.every((n): n is string => typeof n === 'string')) return [];
  return [{ file: doc.file, locate: (path) => doc.locate(path), detectors: names }];
}

/** The real directory a path names, when it names one: files found under it must stay inside it. */
async function rootOf(path: string): Promise<string | undefined> {
  return (await stat(path)).isDirectory() ? realpath(path) : undefined;
}

async function yamlFiles(path: string, root: string | undefined): Promise<{ path: string; root?: string }[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [{ path, ...(root !== undefined ? { root } : {}) }];
  const out: { path: string; root?: string }[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // Hidden entries are never configuration: a ConfigMap volume keeps every file twice, once
    // under a hidden timestamped directory (`..2026_11_21...`) the visible names link into.
    if (entry.name.startsWith('.')) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(full, root)));
    else if (/\.ya?ml$/.test(entry.name)) out.push({ path: full, ...(root !== undefined ? { root } : {}) });
  }
  return out;
}

type ReadOutcome = { readonly bytes: Buffer } | { readonly problem: (shown: string) => ConfigProblem };

/**
 * Reads one configuration file, at most `limits.maxBytes` of it. A file found in a directory must
 * resolve inside that directory: a link out of it (to a Secret's mount, /proc, /dev/zero) is
 * refused unread, as are anything but a regular file and a file larger than the limit, including
 * one that grows between the size check and the read.
 */
async function readConfigFile(file: string, root: string | undefined, limits: YamlLimits): Promise<ReadOutcome> {
  const problem = (message: string) => ({ problem: (shown: string): ConfigProblem => ({ file: shown, line: 1, col: 1, path: '', message }) });
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    return problem(`cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}; check the path`);
  }
  if (root !== undefined && real !== root && !real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) {
    return problem(`the file links to ${JSON.stringify(real)}, outside ${JSON.stringify(root)}; configuration files must be inside their directory`);
  }
  // Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever.
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: unknown) => error as NodeJS.ErrnoException);
  if (!('fd' in handle)) return problem(`cannot read: ${handle.code ?? String(handle)}; check the path`);
  try {
    const info = await handle.stat();
    if (!info.isFile()) return problem('not a regular file; configuration files must be plain YAML files');
    // Sized before it is read, so an oversized file costs nothing but its stat.
    if (info.size > limits.maxBytes) return { problem: (shown) => tooLarge(shown, info.size, limits) };
    // Sized to the file (one byte more to see it grow), enlarged only if it grows while read.
    let buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > limits.maxBytes) return { problem: (shown) => tooLarge(shown, length, limits) };
        const larger = Buffer.allocUnsafe(Math.min(buffer.length * 2, limits.maxBytes + 1));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limits.maxBytes) return { problem: (shown) => tooLarge(shown, length, limits) };
    return { bytes: buffer.subarray(0, length) };
  } finally {
    await handle.close();
  }
}

function duplicateNames(docs: readonly LoadedDocument<{ metadata: { name: string } }>[], what: string): ConfigProblem[] {
  const seen = new Map<string, LoadedDocument<{ metadata: { name: string } }>>();
  const problems: ConfigProblem[] = [];
  for (const doc of docs) {
    const name = doc.value.metadata.name;
    const first = seen.get(name);
    if (first) {
      const pos = doc.locate(['metadata', 'name']);
      const firstPos = first.locate(['metadata', 'name']);
      problems.push({
        rule: 'duplicate-name', file: doc.file, ...pos, path: 'metadata.name',
        message: `${what} name "${name}" is already used at ${first.file}:${firstPos.line}; names must be unique, rename one`,
      });
    } else {
      seen.set(name, doc);
    }
  }
  return problems;
}

/** Playbooks naming a detector not among `names`, each with the closest name or the list. */
export function unknownDetectors(triggers: readonly TriggerRef[], names: ReadonlySet<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const doc of triggers) {
    doc.detectors.forEach((name, i) => {
      if (names.has(name)) return;
      const suggestion = closest(name, [...names]);
      problems.push({
        rule: 'unknown-reference', file: doc.file, ...doc.locate(['spec', 'trigger', 'detectors', i]), path: `spec.trigger.detectors[${i}]`,
        message: `no detector is named "${name}"; ${suggestion ? `did you mean "${suggestion}"?` : `known detectors: ${[...names].join(', ')}`}`,
      });
    });
  }
  return problems;
}
