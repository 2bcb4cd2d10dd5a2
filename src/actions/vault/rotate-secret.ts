import type NodeVault from 'node-vault';
import { z } from 'zod';
import { ActionError, describeError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { vaultPath as vaultPathParam } from '../params.js';
import {
  generateSecretValue,
  metadataMarker,
  rotationMetadata,
  rotationState,
  withoutRotationRecord,
} from './kv-rotation.js';
import { vaultCall, vaultCallOrAbsent, vaultClient, vaultPath } from './vault-call.js';

const ID = 'vault.rotate-secret';

const params = z
  .object({
    mount: z.string().regex(/^[A-Za-z0-9_-]+$/).default('secret'),
    path: vaultPathParam,
    /** Keys whose values are regenerated; the others are carried over from the current version. */
    keys: z.array(z.string().min(1)).min(1),
    /** Length of each generated value, in characters. */
    length: z.number().int().min(16).max(256).default(40),
  })
  .strict();
type Params = z.output<typeof params>;

const metadataResponse = z.object({
  data: z.object({
    current_version: z.number().int(),
    custom_metadata: z.record(z.string(), z.string()).nullable().optional(),
  }),
});
// KV v2 values may be any JSON; carried-over values are passed through as they are.
const dataResponse = z.object({ data: z.object({ data: z.record(z.string(), z.unknown()).nullable() }) });
const writeResponse = z.object({ data: z.object({ version: z.number().int() }) });
const anything = z.unknown();

/**
 * Writes a new KV v2 version of a secret with freshly generated values for the named keys and the
 * other keys carried over, with check-and-set on the version it read. The step's idempotency key is
 * recorded in the secret's custom metadata first, so a retry finds the rotation and does not rotate
 * twice. Values never leave this function except towards Vault.
 */
export const rotateSecret = defineAction({
  id: ID,
  provider: 'vault',
  summary: 'Write a new KV v2 version of a secret with freshly generated values',
  params,
  rbac: [],
  vault: [
    { path: '{mount}/data/{path}', capabilities: ['read', 'update'] },
    { path: '{mount}/metadata/{path}', capabilities: ['read', 'update'] },
  ],
  destructive: true,
  example: { path: 'ml-prod/frontend/api', keys: ['api-key'] },
  target: (p) => ({ kind: 'VaultSecret', name: `${p.mount}/${p.path}` }),
  describe: (p) => `write a new version of ${p.mount}/${p.path} with fresh ${p.length}-character values for ${p.keys.join(', ')} (check-and-set on the current version)`,
  execute: rotate,
});

async function rotate(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const vault = vaultClient(ctx, ID);
  const name = `${p.mount}/${p.path}`;
  const metadataPath = vaultPath(p.mount, 'metadata', p.path);
  const dataPath = vaultPath(p.mount, 'data', p.path);
  const marker = metadataMarker(ctx.idempotencyKey);

  const metadata = await vaultCallOrAbsent(ctx, `read metadata of ${name}`, metadataResponse, () => vault.read(metadataPath));
  if (metadata === undefined) {
    throw new ActionError('client', `secret ${name} does not exist (or is not in a KV v2 mount); rotate-secret only rotates an existing secret`);
  }
  const custom = metadata.data.custom_metadata;
  const state = rotationState(custom, metadata.data.current_version, marker);
  if (state.kind === 'done') {
    return {
      outcome: 'already-done',
      summary: `secret ${name} was already rotated by this step (version ${state.version})`,
      details: { version: state.version, previousVersion: state.fromVersion, rotatedKeys: p.keys.join(',') },
    };
  }
  const fromVersion = state.kind === 'resume' ? state.fromVersion : metadata.data.current_version;
  if (state.kind === 'fresh') {
    // Intent first: if the process dies after the data write, the retry sees this record and a
    // newer version, and stops there.
    await vaultCall(ctx, `record the rotation on ${name}`, anything, () =>
      vault.write(metadataPath, { custom_metadata: rotationMetadata(custom, { marker, fromVersion }) }),
    );
  }

  const current = await vaultCall(ctx, `read version ${fromVersion} of ${name}`, dataResponse, () =>
    vault.read(`${dataPath}?version=${fromVersion}`),
  );
  if (current.data.data === null) {
    await forgetIntent(ctx, vault, metadataPath, custom);
    throw new ActionError('client', `version ${fromVersion} of ${name} is deleted or destroyed: there is nothing to carry over; undelete it or write a new version first`);
  }
  const carried = Object.keys(current.data.data).filter((key) => !p.keys.includes(key)).sort();
  const data: Record<string, unknown> = { ...current.data.data };
  for (const key of p.keys) data[key] = generateSecretValue(p.length);

  let version: number;
  try {
    const written = await vaultCall(ctx, `write a new version of ${name}`, writeResponse, () =>
      vault.write(dataPath, { data, options: { cas: fromVersion } }),
    );
    version = written.data.version;
  } catch (error) {
    if (error instanceof ActionError && error.reason === 'conflict') {
      // Someone wrote in between: take the intent back, or a retry would take their version for ours.
      await forgetIntent(ctx, vault, metadataPath, custom);
      throw new ActionError('conflict', `secret ${name} changed after version ${fromVersion} was read (check-and-set failed); nothing was rotated`);
    }
    throw error;
  }

  const rotatedAt = new Date(ctx.deps.clock.now()).toISOString();
  try {
    await vaultCall(ctx, `record the rotated version on ${name}`, anything, () =>
      vault.write(metadataPath, { custom_metadata: rotationMetadata(custom, { marker, fromVersion, version, rotatedAt }) }),
    );
  } catch (error) {
    // The rotation itself landed; a retry recognises it from the intent record and the version.
    ctx.deps.logger.warn({ action: ID, secret: name, version, error: describeError(error) }, 'rotated, but recording the new version in custom metadata failed');
  }
  return {
    outcome: 'succeeded',
    summary: `rotated ${p.keys.join(', ')} of ${name}: version ${fromVersion} -> ${version}${carried.length > 0 ? `, ${carried.length} other key(s) carried over` : ''}`,
    details: { version, previousVersion: fromVersion, rotatedKeys: p.keys.join(','), carriedOverKeys: carried.join(','), length: p.length },
  };
}

/** Removes this action's record from the secret's custom metadata, as far as Vault lets us. */
async function forgetIntent(
  ctx: ActionContext,
  vault: NodeVault.client,
  metadataPath: string,
  custom: Readonly<Record<string, string>> | null | undefined,
): Promise<void> {
  try {
    await vaultCall(ctx, `take back the rotation record on ${metadataPath}`, anything, () =>
      vault.write(metadataPath, { custom_metadata: withoutRotationRecord(custom) }),
    );
  } catch (error) {
    ctx.deps.logger.warn({ action: ID, path: metadataPath, error: describeError(error) }, 'could not take back the rotation record');
  }
}
