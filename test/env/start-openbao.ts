import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, type ProcessSupervisor } from './process-supervisor.js';

/** A running OpenBao dev server (Vault-compatible HTTP API). */
export interface VaultBackend {
  readonly endpoint: string;
  readonly rootToken: string;
}

/**
 * Starts `bao server -dev` on a free loopback port with a random root token
 * and waits until `/v1/sys/health` reports it initialised and unsealed.
 */
export async function startOpenBao(supervisor: ProcessSupervisor, runDir: string, baoBinary: string): Promise<VaultBackend> {
  const home = join(runDir, 'openbao');
  mkdirSync(home, { recursive: true });
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port for OpenBao');
  const rootToken = `root-${randomBytes(12).toString('hex')}`;
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = supervisor.start(
    'openbao',
    baoBinary,
    ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`],
    // Dev mode writes the root token to ~/.vault-token; keep it out of the real home.
    { env: { ...process.env, HOME: home, BAO_ADDR: endpoint, VAULT_ADDR: endpoint }, cwd: home },
  );
  await supervisor.waitUntilReady(
    proc,
    'reporting healthy',
    async () => {
      const response = await fetch(`${endpoint}/v1/sys/health`);
      return response.status === 200;
    },
    60_000,
  );
  return { endpoint, rootToken };
}
