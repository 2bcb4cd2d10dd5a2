import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ACTIONS, findAction } from '../../../src/actions/action-registry.js';
import { rbacRulesFor } from '../../../src/actions/rbac-role.js';
import { CLAIM_RBAC_RULES } from '../../../src/coordination/kube-lease-claims.js';
import { EVENT_RBAC_RULES } from '../../../src/outputs/kube-event-recorder.js';
import { silenceRbacRules } from '../../../src/silences/kube-silence-store.js';
import {
  defaultExpectedGrants,
  expectedActionIds,
  expectedGrants,
  grantsOf,
  shippedPlaybooks,
} from './expected-rbac.js';
import { CHART_DIR, only, renderChart, templateChart, type Manifest, type Values } from './helm-chart.js';

const ruleSchema = z.object({ apiGroups: z.array(z.string()), resources: z.array(z.string()), resourceNames: z.array(z.string()).optional(), verbs: z.array(z.string()) }).strict();
const roleSchema = z.object({ rules: z.array(ruleSchema) }).loose();
const bindingSchema = z
  .object({
    roleRef: z.object({ apiGroup: z.literal('rbac.authorization.k8s.io'), kind: z.string(), name: z.string() }),
    subjects: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string() })),
  })
  .loose();

function rulesOf(manifest: Manifest): z.infer<typeof ruleSchema>[] {
  return roleSchema.parse(manifest).rules;
}

function clusterRoleGrants(manifests: readonly Manifest[]): string[] {
  return grantsOf(rulesOf(only(manifests, 'ClusterRole')));
}

const scalePlaybook = [
  'apiVersion: meshwarden.io/v1',
  'kind: Playbook',
  'metadata: { name: scale-down }',
  'spec:',
  '  trigger: { detectors: [error-storm], entityKinds: [workload] }',
  '  steps:',
  '    - action: kubernetes.scale',
  '      params: { namespace: ml-prod, deployment: "{{ entity.workload }}", replicas: 0 }',
  '',
].join('\n');

describe('chart RBAC derived from the action registry', () => {
  it("keeps in files/actions.json exactly each registered action's declared rules and inverse (run helm/sync-config.sh when this fails)", () => {
    const catalog = z
      .record(z.string(), z.object({ inverse: z.string().optional(), rbac: z.array(ruleSchema) }).strict())
      .parse(JSON.parse(readFileSync(join(CHART_DIR, 'files', 'actions.json'), 'utf8')));
    const registry = Object.fromEntries(
      ACTIONS.map((action) => [action.id, { ...(action.inverse === undefined ? {} : { inverse: action.inverse }), rbac: action.rbac }]),
    );
    expect(catalog).toEqual(registry);
  });

  it("grants by default exactly the union of the rules of the shipped playbooks' actions and their inverses", async () => {
    const expected = defaultExpectedGrants();
    expect(expected.length).toBeGreaterThan(0);
    expect(clusterRoleGrants(await renderChart())).toEqual(expected);
  });

  it("grants what the engine's own rbacRulesFor derives for the same actions", async () => {
    const ids = expectedActionIds({ actions: 'playbooks', includeInverses: true, extraActions: [] }, shippedPlaybooks());
    const actions = ids.flatMap((id) => {
      const action = findAction(id);
      return action === undefined ? [] : [action];
    });
    expect(actions).toHaveLength(ids.length);
    expect(clusterRoleGrants(await renderChart())).toEqual(grantsOf(rbacRulesFor(actions)));
  });

  it('grants with rbac.actions=all exactly the union over every registered action', async () => {
    const expected = expectedGrants(ACTIONS.map((action) => action.id));
    expect(clusterRoleGrants(await renderChart({ rbac: { actions: 'all' } }))).toEqual(expected);
  });

  it("leaves out, with includeInverses=false, what only the inverses need (release-pod's networkpolicies delete)", async () => {
    const ids = expectedActionIds({ actions: 'playbooks', includeInverses: false, extraActions: [] }, shippedPlaybooks());
    const grants = clusterRoleGrants(await renderChart({ rbac: { includeInverses: false } }));
    expect(grants).toEqual(expectedGrants(ids));
    expect(grants).not.toContain('networking.k8s.io|networkpolicies|delete');
  });

  it('widens the rules by exactly the new action when a playbook from values uses it, and likewise for rbac.extraActions', async () => {
    const withPlaybook = clusterRoleGrants(await renderChart({ playbooks: { files: { 'scale-down.yaml': scalePlaybook } } }));
    const fromPlaybook = expectedActionIds({ actions: 'playbooks', includeInverses: true, extraActions: [] }, [...shippedPlaybooks(), scalePlaybook]);
    expect(fromPlaybook).toContain('kubernetes.scale');
    expect(withPlaybook).toEqual(expectedGrants(fromPlaybook));

    const withExtra = clusterRoleGrants(await renderChart({ rbac: { extraActions: ['kubernetes.delete-pod'] } }));
    const fromExtra = expectedActionIds({ actions: 'playbooks', includeInverses: true, extraActions: ['kubernetes.delete-pod'] }, shippedPlaybooks());
    expect(withExtra).toEqual(expectedGrants(fromExtra));
    expect(withExtra).toContain('|pods|delete');
  });

  it('reads every document of a multi-document playbook file', async () => {
    const twoDocs = `${scalePlaybook}---\n${scalePlaybook.replace('scale-down', 'scale-down-2').replace('kubernetes.scale', 'kubernetes.delete-pod').replace(', replicas: 0', '').replace('deployment:', 'pod:')}`;
    const grants = clusterRoleGrants(await renderChart({ playbooks: { shipped: false, files: { 'two.yaml': twoDocs } } }));
    expect(grants).toEqual(expectedGrants(['kubernetes.delete-pod', 'kubernetes.scale']));
  });

  it('renders one rule per API group and resource, without wildcards', async () => {
    const rules = rulesOf(only(await renderChart({ rbac: { actions: 'all' } }), 'ClusterRole'));
    const keys = rules.map((rule) => `${rule.apiGroups.join(',')}|${rule.resources.join(',')}`);
    expect(new Set(keys).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.apiGroups).toHaveLength(1);
      expect(rule.resources).toHaveLength(1);
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
    }
  });

  it('binds the ClusterRole to the chart ServiceAccount only', async () => {
    const manifests = await renderChart({}, 'security');
    const role = only(manifests, 'ClusterRole');
    const binding = bindingSchema.parse(only(manifests, 'ClusterRoleBinding'));
    const account = only(manifests, 'ServiceAccount');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: 'security' }]);
  });

  it('renders with rbac.scope=namespaces a Role and RoleBinding in each listed namespace and no cluster-wide grant', async () => {
    const manifests = await renderChart({ rbac: { scope: 'namespaces', namespaces: ['ml-prod', 'ml-staging'] } }, 'security');
    expect(manifests.filter((m) => m.kind === 'ClusterRole' || m.kind === 'ClusterRoleBinding')).toEqual([]);
    // The run-claims and silences Roles are the engine's own namespace's (tested below).
    const roles = manifests.filter((m) => m.kind === 'Role' && !m.metadata.name.endsWith('-claims') && !m.metadata.name.endsWith('-silences'));
    const bindings = manifests.filter((m) => m.kind === 'RoleBinding' && !m.metadata.name.endsWith('-claims') && !m.metadata.name.endsWith('-silences'));
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['ml-prod', 'ml-staging']);
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(['ml-prod', 'ml-staging']);
    for (const role of roles) expect(grantsOf(rulesOf(role))).toEqual(defaultExpectedGrants());
    for (const binding of bindings) {
      const parsed = bindingSchema.parse(binding);
      expect(parsed.roleRef.kind).toBe('Role');
      expect(parsed.subjects).toEqual([{ kind: 'ServiceAccount', name: 'mw-meshwarden', namespace: 'security' }]);
    }
  });

  it('refuses rbac.scope=namespaces without namespaces', async () => {
    const outcome = await templateChart({ rbac: { scope: 'namespaces' } });
    expect(outcome.ok).toBe(false);
    expect(outcome.stderr).toContain('rbac.namespaces: list the namespaces the engine may act in');
  });

  it('fails the render naming the file and the action when a playbook uses an action that does not exist', async () => {
    const outcome = await templateChart({ playbooks: { files: { 'typo.yaml': scalePlaybook.replace('kubernetes.scale', 'kubernetes.scael') } } });
    expect(outcome.ok).toBe(false);
    expect(outcome.stderr).toContain('playbooks: typo.yaml uses action "kubernetes.scael", which is not a registered action');
  });

  it('renders no Role at all when the playbooks use only Slack actions, or when RBAC or Kubernetes actions are off', async () => {
    const slackOnly = shippedPlaybooks().filter((text) => !/action: (kubernetes|vault)\./.test(text));
    expect(slackOnly.length).toBeGreaterThan(0);
    const values: Values[] = [
      { config: { dryRun: false }, playbooks: { shipped: false, files: Object.fromEntries(slackOnly.map((text, i) => [`slack-${i}.yaml`, text])) } },
      { rbac: { create: false } },
      { config: { kubernetes: { enabled: false } } },
    ];
    for (const value of values) {
      const manifests = await renderChart(value);
      const kinds = manifests.map((m) => m.kind);
      expect(kinds).not.toContain('ClusterRole');
      expect(kinds).not.toContain('ClusterRoleBinding');
      // Slack-only playbooks still run live, so they still claim their runs.
      // Slack-only playbooks still run live, so they still claim their runs; every replica reads the silences.
      expect(manifests.filter((m) => m.kind === 'Role').map((m) => m.metadata.name)).toEqual(value === values[0] ? ['mw-meshwarden-claims', 'mw-meshwarden-silences'] : []);
    }
  });

  it('grants the run-claims Role exactly the rules the claims code declares, in the release namespace, to the ServiceAccount only', async () => {
    const manifests = await renderChart({ config: { dryRun: false } }, 'security');
    const role = manifests.find((m) => m.kind === 'Role' && m.metadata.name === 'mw-meshwarden-claims');
    if (role === undefined) throw new Error('no claims Role rendered');
    expect(role.metadata.namespace).toBe('security');
    expect(rulesOf(role)).toEqual(CLAIM_RBAC_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })));
    const binding = bindingSchema.parse(manifests.find((m) => m.kind === 'RoleBinding' && m.metadata.name === 'mw-meshwarden-claims'));
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mw-meshwarden-claims' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'mw-meshwarden', namespace: 'security' }]);
  });

  it('renders no run-claims Role when claims are none or the engine only dry-runs (the default)', async () => {
    for (const config of [{ coordination: { claims: 'none' }, dryRun: false }, { dryRun: true }, {}]) {
      const names = (await renderChart({ config })).map((m) => m.metadata.name);
      expect(names).not.toContain('mw-meshwarden-claims');
    }
  });

  it('grants Kubernetes Events exactly the rules the recorder declares, cluster-wide or per acted-on namespace, only when they are on and live', async () => {
    const events = EVENT_RBAC_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] }));
    const on = { dryRun: false, outputs: { kubernetesEvents: { enabled: true } } };
    const cluster = await renderChart({ config: on }, 'security');
    expect(rulesOf(only(cluster, 'ClusterRole', '-events'))).toEqual(events);
    const binding = bindingSchema.parse(only(cluster, 'ClusterRoleBinding', '-events'));
    expect(binding.roleRef.name).toBe('security-mw-meshwarden-events');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'mw-meshwarden', namespace: 'security' }]);
    // The actions' ClusterRole is unchanged by it.
    expect(clusterRoleGrants(cluster.filter((m) => !m.metadata.name.endsWith('-events')))).toEqual(defaultExpectedGrants());

    const scoped = await renderChart({ config: on, rbac: { scope: 'namespaces', namespaces: ['ml-prod', 'identity'] } }, 'security');
    const roles = scoped.filter((m) => m.kind === 'Role' && m.metadata.name === 'mw-meshwarden-events');
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['ml-prod', 'identity']);
    for (const role of roles) expect(rulesOf(role)).toEqual(events);

    for (const config of [{}, { dryRun: false }, { outputs: { kubernetesEvents: { enabled: true } } }]) {
      const names = (await renderChart({ config })).map((m) => m.metadata.name);
      expect(names.filter((n) => n.endsWith('-events'))).toEqual([]);
    }
  });

  it('grants the silences Role exactly the rules the silence store declares, on its ConfigMap only, and none with a file store', async () => {
    const manifests = await renderChart({}, 'security');
    const role = manifests.find((m) => m.kind === 'Role' && m.metadata.name === 'mw-meshwarden-silences');
    if (role === undefined) throw new Error('no silences Role rendered');
    expect(role.metadata.namespace).toBe('security');
    expect(rulesOf(role)).toEqual(silenceRbacRules());
    const binding = bindingSchema.parse(manifests.find((m) => m.kind === 'RoleBinding' && m.metadata.name === 'mw-meshwarden-silences'));
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'mw-meshwarden', namespace: 'security' }]);
    const names = (await renderChart({ config: { silences: { store: 'file' } } })).map((m) => m.metadata.name);
    expect(names).not.toContain('mw-meshwarden-silences');
  });
});
