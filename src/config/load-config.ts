import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
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
}

/** Where a playbook names its detectors. */
export interface TriggerRef {
  readonly file: string;
  readonly detectors: readonly string[];
  locate(path: readonly (string | number)[]): { line: number; col: number };
}

/**
 * Loads every YAML file under the given files and directories, validates each document, then
 * checks across files (unique names, playbooks naming detectors that exist). Returns every problem.
 */
export async function loadConfig(paths: readonly string[], options: { cwd?: string; limits?: YamlLimits; serviceConfigs?: boolean } = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const limits = options.limits ?? DEFAULT_YAML_LIMITS;
  const problems: ConfigProblem[] = [];
  const files: string[] = [];
  for (const path of paths) {
    try {
      files.push(...(await yamlFiles(path)));
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
  for (const file of files) {
    const shown = relative(cwd, file) || file;
    // Sized before it is read, so an oversized file costs nothing but its stat.
    const { size } = await stat(file);
    if (size > limits.maxBytes) {
      problems.push(tooLarge(shown, size, limits));
      continue;
    }
    const result = loadYamlDocuments(shown, await readFile(file, 'utf8'), schema, limits);
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
  return { detectors, playbooks, tests, services, problems, files, triggers, detectorNames: [...detectorNames] };
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

async function yamlFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // Hidden entries are never configuration: a ConfigMap volume keeps every file twice, once
    // under a hidden timestamped directory (`..2026_11_21...`) the visible names link into.
    if (entry.name.startsWith('.')) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(full)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out;
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
