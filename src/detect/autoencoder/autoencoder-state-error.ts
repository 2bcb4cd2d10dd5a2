import { MeshwardenError } from '../../shared/errors.js';

/**
 * Why a saved autoencoder was not used:
 * - `autoencoder-schema-mismatch`: it was trained on another feature list than the detector reads;
 * - `autoencoder-state-invalid`: the manifest or the model files are malformed or do not match.
 */
export type AutoencoderStateErrorCode = 'autoencoder-schema-mismatch' | 'autoencoder-state-invalid';

/**
 * A saved autoencoder model that cannot be used. Not retriable: the same files fail the same way;
 * the fix is in the message (restore the feature list, or remove the folder to train afresh).
 */
export class AutoencoderStateError extends MeshwardenError {
  declare readonly code: AutoencoderStateErrorCode;

  constructor(code: AutoencoderStateErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(code, message, { retriable: false, cause: options.cause });
  }
}
