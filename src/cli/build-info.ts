import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `meshwarden version` reports. */
export interface BuildInfo {
  readonly version: string;
  /** The git commit the build was made from; undefined when it is not known. */
  readonly commit: string | undefined;
  readonly node: string;
}

/** Written next to `dist/` by `npm run build` (scripts/write-build-info.mjs). */
export const BUILD_INFO_FILE = 'build-info.json';

/**
 * The version from package.json, the commit recorded when `dist/` was built (or, in a source
 * checkout, the checkout's own commit when git can say it), and the Node.js version. Read only when
 * asked for, so no other command pays for it.
 */
export function readBuildInfo(): BuildInfo {
  // src/cli/ and dist/cli/ are both two levels below the package root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return { version: packageVersion(root), commit: builtCommit(root) ?? checkoutCommit(root), node: process.version };
}

/** `meshwarden 0.1.0`, then the commit and Node.js version, one a line. */
export function formatBuildInfo(info: BuildInfo): string {
  return `meshwarden ${info.version}\ncommit: ${info.commit ?? 'unknown'}\nnode: ${info.node}\n`;
}

function packageVersion(root: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function builtCommit(root: string): string | undefined {
  try {
    const info = JSON.parse(readFileSync(join(root, 'dist', BUILD_INFO_FILE), 'utf8')) as { commit?: unknown };
    return typeof info.commit === 'string' && /^[0-9a-f]{7,40}$/.test(info.commit) ? info.commit : undefined;
  } catch {
    return undefined;
  }
}

/** A source checkout runs src/ directly (bin/meshwarden.js): its commit is the one checked out. */
function checkoutCommit(root: string): string | undefined {
  if (!existsSync(join(root, 'src')) || !existsSync(join(root, '.git'))) return undefined;
  try {
    const out = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 2_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return /^[0-9a-f]{7,40}$/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}
