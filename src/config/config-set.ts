import { createHash } from 'node:crypto';
import type { DetectorSpec } from '../detect/detector-spec.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import { applyVarOverrides, type PlaybookVarOverrides } from '../playbook/playbook-vars.js';
import type { ConfigProblem } from '../shared/errors.js';
import { backendWarnings, type BackendWarning, type EnabledBackends } from './backend-warnings.js';
import { loadConfig, type FileDigest } from './load-config.js';
import type { YamlLimits } from './yaml-limits.js';

/** Where the service's detectors and playbooks live, and what it applies to them. */
export interface ConfigSetSource {
  readonly detectors: string;
  readonly playbooks: string;
  readonly playbookVars: PlaybookVarOverrides;
  readonly backends: EnabledBackends;
  readonly limits?: YamlLimits;
}

/** The detectors and playbooks the service runs with, and the files they came from. */
export interface ConfigSet {
  readonly detectors: readonly DetectorSpec[];
  readonly playbooks: readonly PlaybookSpec[];
  /** Every file read, with its sha256. */
  readonly files: readonly FileDigest[];
  /** sha256 over the sorted file names and their hashes: one value names the whole set. */
  readonly sha256: string;
  readonly warnings: readonly BackendWarning[];
}

/** A set that loaded (`problems` empty) or every reason it did not. */
export type ConfigSetResult =
  | { readonly ok: true; readonly set: ConfigSet }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly files: readonly FileDigest[]; readonly sha256: string };

/**
 * Loads and checks the detector and playbook directories exactly as `meshwarden check` does
 * (loadConfig: every file, every document, names unique, triggers naming real detectors), then
 * applies the install's playbook variables. Used at start and at every reload, so a set the service
 * would refuse to start with is refused as a reload too.
 */
export async function loadConfigSet(source: ConfigSetSource): Promise<ConfigSetResult> {
  const loaded = await loadConfig([source.detectors, source.playbooks], source.limits ? { limits: source.limits } : {});
  const sha256 = setHash(loaded.digests);
  const problems: ConfigProblem[] = [...loaded.problems];
  const withVars = applyVarOverrides(loaded.playbooks.map((p) => p.value), source.playbookVars);
  problems.push(...withVars.problems.map((message) => ({ file: 'service config', line: 0, col: 0, path: '', message })));
  if (problems.length > 0) return { ok: false, problems, files: loaded.digests, sha256 };
  return {
    ok: true,
    set: {
      detectors: loaded.detectors.map((d) => d.value), playbooks: withVars.playbooks, files: loaded.digests, sha256,
      warnings: backendWarnings(loaded.playbooks, source.backends),
    },
  };
}

/** sha256 over `name<TAB>sha256` lines sorted by name. */
export function setHash(files: readonly FileDigest[]): string {
  const lines = [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)).map((f) => `${f.file}\t${f.sha256}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}
