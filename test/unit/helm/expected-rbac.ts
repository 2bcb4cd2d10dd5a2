import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { RbacRule } from '../../../src/actions/action-definition.js';
import { ACTIONS, findAction } from '../../../src/actions/action-registry.js';
import { REPO_ROOT } from './helm-chart.js';

/** One permission: API group, resource and verb (`apps|deployments|patch`; the core group is ""). */
export interface Grant {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
}

/** The key of a grant, for set comparisons. */
export function grantKey(grant: Grant): string {
  return `${grant.group}|${grant.resource}|${grant.verb}`;
}

/** Every single permission a list of rules gives, as sorted keys. */
export function grantsOf(rules: readonly RbacRule[]): string[] {
  const keys = new Set<string>();
  for (const rule of rules)
    for (const group of rule.apiGroups)
      for (const resource of rule.resources) for (const verb of rule.verbs) keys.add(grantKey({ group, resource, verb }));
  return [...keys].sort();
}

/** Parses a grant key back. */
export function parseGrant(key: string): Grant {
  const [group = '', resource = '', verb = ''] = key.split('|');
  return { group, resource, verb };
}

const playbookSteps = z.object({ kind: z.literal('Playbook'), spec: z.object({ steps: z.array(z.object({ action: z.string() }).loose()) }).loose() }).loose();

/** The action ids the steps of the playbooks in these YAML texts use (every document, kind Playbook). */
export function playbookActionIds(texts: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const text of texts) {
    for (const doc of parseAllDocuments(text)) {
      const parsed = playbookSteps.safeParse(doc.toJS());
      if (parsed.success) for (const step of parsed.data.spec.steps) ids.add(step.action);
    }
  }
  return [...ids].sort();
}

/** The text of every playbook shipped in the repository's playbooks/. */
export function shippedPlaybooks(): string[] {
  const dir = join(REPO_ROOT, 'playbooks');
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

/** How the chart chooses the actions it grants (the rbac values). */
export interface RbacChoice {
  readonly actions: 'playbooks' | 'all';
  readonly includeInverses: boolean;
  readonly extraActions: readonly string[];
}

/** The chart's documented rule, computed from the action registry itself. */
export function expectedActionIds(choice: RbacChoice, playbookTexts: readonly string[]): string[] {
  const chosen = choice.actions === 'all' ? ACTIONS.map((action) => action.id) : playbookActionIds(playbookTexts);
  const ids = new Set([...chosen, ...choice.extraActions]);
  if (choice.includeInverses) {
    for (const id of [...ids]) {
      const inverse = findAction(id)?.inverse;
      if (inverse !== undefined) ids.add(inverse);
    }
  }
  return [...ids].sort();
}

/** The union of the declared RBAC of these actions, as grant keys. */
export function expectedGrants(actionIds: readonly string[]): string[] {
  return grantsOf(
    actionIds.flatMap((id) => {
      const action = findAction(id);
      if (action === undefined) throw new Error(`${id} is not a registered action`);
      return action.rbac;
    }),
  );
}

/** The grants the default chart must give: the shipped playbooks' actions and their inverses. */
export function defaultExpectedGrants(): string[] {
  return expectedGrants(expectedActionIds({ actions: 'playbooks', includeInverses: true, extraActions: [] }, shippedPlaybooks()));
}
