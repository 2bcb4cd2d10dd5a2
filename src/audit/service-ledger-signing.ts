import type NodeVault from 'node-vault';
import { LedgerError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Checkpoint } from './checkpoint.js';
import type { LedgerSigning } from './ledger.js';
import { loadLedgerSigner, type LedgerSigner } from './ledger-signer.js';
import { parseTransitKey, transitSigner } from './transit-signer.js';

/** The `ledger` section of the service configuration. */
export interface LedgerKeyConfig {
  readonly key?: { readonly file: string } | { readonly transit: string } | undefined;
  readonly checkpointEvery: number;
}

/**
 * The service's ledger signing from its configuration: a key file (the chart mounts it from a
 * Secret) or a Vault transit key, and `onCheckpoint` to publish each checkpoint to the audit topic.
 * Without either, the ledger is unsigned and the log says so once.
 */
export async function serviceLedgerSigning(
  config: LedgerKeyConfig,
  deps: { readonly vault?: NodeVault.client | undefined; readonly logger: Logger; readonly onCheckpoint: (checkpoint: Checkpoint) => void },
): Promise<LedgerSigning | undefined> {
  let signer: LedgerSigner | undefined;
  const key = config.key;
  if (key !== undefined && 'file' in key) {
    signer = await loadLedgerSigner(key.file, 'ledger.key.file');
  } else if (key !== undefined) {
    const transit = parseTransitKey(key.transit);
    if (!transit) throw new LedgerError('ledger-key-invalid', `ledger.key.transit ${JSON.stringify(key.transit)} is not <mount>/<key>`);
    if (!deps.vault) throw new LedgerError('ledger-key-invalid', 'ledger.key.transit needs Vault (vault.enabled: true)');
    signer = transitSigner(deps.vault, transit);
  }
  if (!signer) {
    deps.logger.warn('the audit ledger is unsigned (no ledger.key): it detects accidents, not forgery');
    return undefined;
  }
  deps.logger.info({ keyId: signer.keyId, checkpointEveryMs: config.checkpointEvery }, 'the audit ledger signs checkpoints');
  return { signer, checkpointEveryMs: config.checkpointEvery, onCheckpoint: deps.onCheckpoint };
}
