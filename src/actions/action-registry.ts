import type { ActionDefinition } from './action-definition.js';
import { abortRollout } from './kubernetes/abort-rollout.js';
import { deletePod } from './kubernetes/delete-pod.js';
import { quarantinePod } from './kubernetes/quarantine-pod.js';
import { releasePod } from './kubernetes/release-pod.js';
import { restartDeployment } from './kubernetes/restart-deployment.js';
import { rollbackDeployment } from './kubernetes/rollback-deployment.js';
import { scale } from './kubernetes/scale.js';
import { undoRollout } from './kubernetes/undo-rollout.js';
import { approval } from './slack/approval.js';
import { notify } from './slack/notify.js';
import { revokeLeases } from './vault/revoke-leases.js';
import { rotateDatabaseCredentials } from './vault/rotate-database-credentials.js';
import { rotateSecret } from './vault/rotate-secret.js';

/**
 * Every action the engine knows, in one immutable list: adding an action is one line here. The
 * playbook schema, the Helm RBAC and the docs are all derived from it.
 */
export const ACTIONS = [
  quarantinePod, releasePod, deletePod, scale, restartDeployment, rollbackDeployment, abortRollout, undoRollout,
  rotateSecret, revokeLeases, rotateDatabaseCredentials,
  notify, approval,
] as const;

/** Looks an action up by id. */
export function findAction(id: string): ActionDefinition | undefined {
  return (ACTIONS as readonly ActionDefinition[]).find((action) => action.id === id);
}
