// Records the commit dist/ was built from in dist/build-info.json, for `meshwarden version`. A build
// outside a git checkout (or without git) records none, and the version says "unknown"; an image
// build passes the commit in MESHWARDEN_GIT_COMMIT (docker build --build-arg GIT_COMMIT=...).
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { mkdirSync, writeFileSync } from 'node:fs';

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

const commit = process.env.MESHWARDEN_GIT_COMMIT || gitCommit();
mkdirSync('dist', { recursive: true });
writeFileSync('dist/build-info.json', `${JSON.stringify({ commit: commit ?? null, builtAt: new Date().toISOString() })}\n`);
