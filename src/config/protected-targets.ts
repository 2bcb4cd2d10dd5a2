import { findAction } from '../actions/action-registry.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import { CLUSTER_PROTECTED_NAMESPACES } from '../playbook/safety-guard.js';
import { targetParams } from '../playbook/target-params.js';
import { templateVariables } from '../playbook/templates.js';
import type { ConfigProblem } from '../shared/errors.js';
import type { LoadedDocument } from './yaml-document.js';

/**
 * Steps whose target names a protected namespace literally (`namespace: kube-system`): the engine
 * refuses every such action when it runs (see `SafetyGuard`), so the step can never do anything
 * and the playbook stops there. Found before it is deployed rather than during an incident. A
 * namespace from a template is judged when the step runs, where the value is known.
 */
export function protectedTargets(
  playbooks: readonly LoadedDocument<PlaybookSpec>[],
  protectedNamespaces: readonly string[] = CLUSTER_PROTECTED_NAMESPACES,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const doc of playbooks) {
    doc.value.spec.steps.forEach((step, i) => {
      const action = findAction(step.action);
      if (action === undefined) return;
      const params = step.params as Record<string, unknown>;
      for (const key of targetParams(action)) {
        const value = params[key];
        if (key !== 'namespace' || typeof value !== 'string' || templateVariables(value).length > 0) continue;
        if (!protectedNamespaces.includes(value)) continue;
        problems.push({
          rule: 'protected-target', file: doc.file, ...doc.locate(['spec', 'steps', i, 'params', key]), path: `spec.steps[${i}].params.${key}`,
          message: `${key}: "${value}" is a protected namespace (${protectedNamespaces.join(', ')}): the engine refuses ${step.action} there every time; target the workload's own namespace`,
        });
      }
    });
  }
  return problems;
}
