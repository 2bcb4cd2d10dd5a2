import type { LedgerSigning } from '../audit/ledger.js';
import { loadLedgerSigner } from '../audit/ledger-signer.js';
import { LedgerError } from '../shared/errors.js';

/** The environment variable `--ledger-key` defaults to (the chart sets it to the mounted Secret). */
export const LEDGER_KEY_ENV = 'MESHWARDEN_LEDGER_KEY';

/** Said once when the engine runs without a ledger key. */
export const UNSIGNED_LEDGER_WARNING = `the audit ledger is unsigned (no --ledger-key or ${LEDGER_KEY_ENV}): it detects accidents, not forgery`;

/**
 * The signing for `run`'s ledger from `--ledger-key`: the key file's signer, or (no key given)
 * nothing and one warning line. A public key cannot sign, so it is refused here rather than when
 * the first checkpoint is due.
 */
export async function ledgerSigningFromOption(keyFile: string | undefined, warn: (line: string) => void): Promise<LedgerSigning | undefined> {
  if (keyFile === undefined || keyFile === '') {
    warn(UNSIGNED_LEDGER_WARNING);
    return undefined;
  }
  return { signer: await loadLedgerSigner(keyFile, 'the ledger key file') };
}

/** Key problems are usage errors (exit 2); a ledger that fails its checks is evidence (exit 1). */
export function ledgerErrorExitCode(error: LedgerError): 1 | 2 {
  return error.code === 'ledger-key-unreadable' || error.code === 'ledger-key-invalid' ? 2 : 1;
}
