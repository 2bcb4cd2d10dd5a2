import type { ActionDefinition } from '../actions/action-definition.js';
import { findAction } from '../actions/action-registry.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';

/** Which backends the service was started with. */
export interface EnabledBackends {
  readonly kubernetes: boolean;
  readonly vault: boolean;
  readonly slack: boolean;
}

/** A playbook step that cannot work with the backends as configured, for a startup warning. */
export interface BackendWarning {
  readonly file: string;
  readonly line: number;
  readonly playbook: string;
  readonly step: string;
  readonly action: string;
  readonly backend: ActionDefinition['provider'];
  readonly message: string;
}

/**
 * The steps of the loaded playbooks whose action needs a backend that is disabled. Such a step
 * fails on every live run, and with `onError: continue` nobody notices: a `slack.notify` with Slack
 * off means the SOC is never told of what the engine did, a `slack.approval` means the steps it
 * gates never run, a Vault step means the credential is never rotated. The service logs each one
 * when it starts, so the gap is seen before an incident finds it.
 */
export function backendWarnings(
  playbooks: readonly { readonly file: string; readonly value: PlaybookSpec; locate(path: readonly (string | number)[]): { line: number } }[],
  enabled: EnabledBackends,
  lookup: (id: string) => ActionDefinition | undefined = findAction,
): BackendWarning[] {
  const warnings: BackendWarning[] = [];
  for (const doc of playbooks) {
    doc.value.spec.steps.forEach((step, i) => {
      const backend = lookup(step.action)?.provider;
      if (backend === undefined || enabled[backend]) return;
      const name = step.name ?? step.action;
      const effect = step.action === 'slack.approval'
        ? 'no approval can be asked, so the steps it gates never run'
        : step.onError === 'continue' ? 'it fails on every run and the run goes on without it' : 'it fails on every run and stops the run';
      warnings.push({
        file: doc.file, line: doc.locate(['spec', 'steps', i]).line, playbook: doc.value.metadata.name, step: name, action: step.action, backend,
        message: `playbook ${doc.value.metadata.name}, step "${name}" (${step.action}) needs ${backend}, which is disabled (${backend}.enabled: false): ${effect}`,
      });
    });
  }
  return warnings;
}
