import type { ActionDefinition, RbacRule } from './action-definition.js';

/** One rule of a Role or ClusterRole, as the RBAC API takes it. */
export interface KubeRoleRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** A Role (namespaced) or ClusterRole manifest, plain data ready to send or render as YAML. */
export interface KubeRole {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'Role' | 'ClusterRole';
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels: Readonly<Record<string, string>> };
  readonly rules: readonly KubeRoleRule[];
}

/** Where the role applies: one namespace (Role) or the whole cluster (ClusterRole). */
export type KubeRoleScope =
  | { readonly kind: 'Role'; readonly name: string; readonly namespace: string }
  | { readonly kind: 'ClusterRole'; readonly name: string };

/** Verbs in the order `kubectl describe role` users expect; unknown verbs sort after, alphabetically. */
const VERB_ORDER = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * The least rule list that grants every permission the given actions declare: permissions are
 * merged per (API group, resource), then resources with identical verbs in the same group share
 * one rule. Deterministic (sorted), so a rendered chart diffs cleanly.
 */
export function rbacRulesFor(actions: readonly Pick<ActionDefinition, 'rbac'>[]): KubeRoleRule[] {
  const verbsByResource = new Map<string, Set<string>>();
  for (const rule of actions.flatMap((action): readonly RbacRule[] => action.rbac)) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        const key = JSON.stringify([group, resource]);
        const verbs = verbsByResource.get(key) ?? new Set<string>();
        for (const verb of rule.verbs) verbs.add(verb);
        verbsByResource.set(key, verbs);
      }
    }
  }
  const resourcesByGroupAndVerbs = new Map<string, { group: string; verbs: string[]; resources: string[] }>();
  for (const [key, verbs] of verbsByResource) {
    const [group, resource] = JSON.parse(key) as [string, string];
    const sortedVerbs = [...verbs].sort(compareVerbs);
    const ruleKey = JSON.stringify([group, sortedVerbs]);
    const entry = resourcesByGroupAndVerbs.get(ruleKey) ?? { group, verbs: sortedVerbs, resources: [] };
    entry.resources.push(resource);
    resourcesByGroupAndVerbs.set(ruleKey, entry);
  }
  return [...resourcesByGroupAndVerbs.values()]
    .map((entry) => ({ apiGroups: [entry.group], resources: entry.resources.sort(), verbs: entry.verbs }))
    .sort((a, b) => compareText(ruleSortKey(a), ruleSortKey(b)));
}

/**
 * A Role or ClusterRole granting exactly what the given actions declare (for instance all of
 * `ACTIONS`, or just the ones a deployment enables). Empty rules when none needs Kubernetes.
 */
export function kubernetesRole(actions: readonly Pick<ActionDefinition, 'rbac'>[], scope: KubeRoleScope): KubeRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: scope.kind,
    metadata: {
      name: scope.name,
      ...(scope.kind === 'Role' ? { namespace: scope.namespace } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'meshwarden' },
    },
    rules: rbacRulesFor(actions),
  };
}

function compareVerbs(a: string, b: string): number {
  const ia = VERB_ORDER.indexOf(a);
  const ib = VERB_ORDER.indexOf(b);
  if (ia !== -1 && ib !== -1) return ia - ib;
  if (ia !== -1) return -1;
  if (ib !== -1) return 1;
  return compareText(a, b);
}

function ruleSortKey(rule: KubeRoleRule): string {
  return `${rule.apiGroups.join(',')}\u0000${rule.resources.join(',')}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
