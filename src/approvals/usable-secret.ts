import type { ConfigProblem } from '../shared/errors.js';
import type { Secret } from '../shared/secret.js';

/**
 * Whether a secret can key an HMAC. An empty or whitespace-only value (an environment variable set
 * from an empty Kubernetes Secret key, a stray newline in a mounted file) is public knowledge: with
 * it as the signing secret anyone can sign a click, so it is refused, never used.
 */
export function isUsableSecret(secret: Secret): boolean {
  return secret.reveal().trim() !== '';
}

/**
 * A config problem for each given secret that is set but unusable; unset secrets (undefined) are
 * left to the caller, which knows whether they are required.
 */
export function unusableSecretProblems(secrets: Readonly<Record<string, Secret | undefined>>): ConfigProblem[] {
  return Object.entries(secrets)
    .filter((entry): entry is [string, Secret] => entry[1] !== undefined && !isUsableSecret(entry[1]))
    .map(([name]) => ({
      file: 'environment', line: 0, col: 0, path: 'slack',
      message: `the ${name} is empty or only whitespace, so anyone could sign with it; set it to the real secret (at least 32 random characters)`,
    }));
}
