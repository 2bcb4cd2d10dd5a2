import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { detectorSchema, type DetectorSpec } from '../detect/detector-spec.js';
import { playbookSchema, type PlaybookSpec } from '../playbook/playbook-spec.js';
import { playbookTestSchema, type PlaybookTestSpec } from '../playbook-test/playbook-test-spec.js';
import type { ConfigProblem } from '../shared/errors.js';
import { closest } from './describe-issue.js';
import { loadYamlDocuments, tooLarge, type LoadedDocument } from './yaml-document.js';
import { DEFAULT_YAML_LIMITS, type YamlLimits } from './yaml-limits.js';

/**
 * Any document a user may put under detectors/ or playbooks/, told apart by `kind`. A
 * `PlaybookTest` (`meshwarden test`) is validated with the rest but never loaded into the engine.
 */
export const configDocumentSchema = z.discriminatedUnion('kind', [detectorSchema, playbookSchema, playbookTestSchema]);

/** Detectors and playbooks loaded from files, each with where it came from. */
export interface LoadedConfig {
  readonly detectors: LoadedDocument<DetectorSpec>[];
  readonly playbooks: LoadedDocument<PlaybookSpec>[];
  /** Playbook tests found among the files: checked, never run by the engine. */
  readonly tests: LoadedDocument<PlaybookTestSpec>[];
  readonly problems: ConfigProblem[];
  readonly files: string[];
}

/**
 * Loads every YAML file under the given files and directories, validates each document, then
 * checks across files (unique names, playbooks naming detectors that exist). Returns every problem.
 */
export async function loadConfig(paths: readonly string[], options: { cwd?: string; limits?: YamlLimits } = {}): Promise<LoadedConfig> {
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
  for (const file of files) {
    const shown = relative(cwd, file) || file;
    // Sized before it is read, so an oversized file costs nothing but its stat.
    const { size } = await stat(file);
    if (size > limits.maxBytes) {
      problems.push(tooLarge(shown, size, limits));
      continue;
    }
    const result = loadYamlDocuments(shown, await readFile(file, 'utf8'), configDocumentSchema, limits);
    problems.push(...result.problems);
    for (const doc of result.documents) {
      if (doc.value.kind === 'Detector') detectors.push({ ...doc, value: doc.value });
      else if (doc.value.kind === 'Playbook') playbooks.push({ ...doc, value: doc.value });
      else tests.push({ ...doc, value: doc.value });
    }
  }
  problems.push(...duplicateNames(detectors, 'detector'), ...duplicateNames(playbooks, 'playbook'));
  if (detectors.length > 0) problems.push(...unknownDetectors(playbooks, new Set(detectors.map((d) => d.value.metadata.name))));
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  return { detectors, playbooks, tests, problems, files };
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
        file: doc.file, ...pos, path: 'metadata.name',
        message: `${what} name "${name}" is already used at ${first.file}:${firstPos.line}; names must be unique, rename one`,
      });
    } else {
      seen.set(name, doc);
    }
  }
  return problems;
}

function unknownDetectors(playbooks: readonly LoadedDocument<PlaybookSpec>[], names: ReadonlySet<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const doc of playbooks) {
    doc.value.spec.trigger.detectors.forEach((name, i) => {
      if (names.has(name)) return;
      const suggestion = closest(name, [...names]);
      problems.push({
        file: doc.file, ...doc.locate(['spec', 'trigger', 'detectors', i]), path: `spec.trigger.detectors[${i}]`,
        message: `no detector is named "${name}"; ${suggestion ? `did you mean "${suggestion}"?` : `known detectors: ${[...names].join(', ')}`}`,
      });
    });
  }
  return problems;
}
