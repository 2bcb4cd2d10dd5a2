import { z } from 'zod';

/**
 * A playbook variable's name: letters only, so `{{ vars.<name> }}` is one template variable
 * (templates read `[a-zA-Z.]+`).
 */
export const varNameSchema = z.string().regex(/^[a-zA-Z]{1,63}$/, 'use letters only, e.g. "authNamespace"');

/**
 * A variable's value: written by the SOC (in the playbook or the install's overrides), so trusted
 * as a target, but never a template itself: filling is one pass, and a value that held `{{` would
 * read as a template to anyone who renders the result again. It may be empty (a name suffix a
 * site does not use); a target left empty or malformed is refused by the action's own schema.
 */
export const varValueSchema = z
  .string()
  .max(1024)
  .refine((v) => !/\{\{|\}\}/.test(v), 'a variable\'s value must not contain "{{" or "}}"');

/**
 * A declared variable's default: a value, or `null` (YAML `~`, or the key with nothing after it)
 * for a variable with no default that every install must set: a target no shipped default can
 * name (the Vault path of a site's signing key). A step using one that is still unset is refused.
 */
export const varDefaultSchema = varValueSchema.nullable();

/**
 * Checks a set of variables' names here rather than as the record's key schema, so a bad name is
 * reported with the fix, not as "Invalid key in record".
 */
const checkedNames = (vars: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx): void => {
  for (const name of Object.keys(vars)) {
    const checked = varNameSchema.safeParse(name);
    if (!checked.success) ctx.addIssue({ code: 'custom', path: [name], message: `variable name "${name}": ${checked.error.issues[0]?.message ?? 'invalid'}` });
  }
};

/** A playbook's `spec.vars`: name to default, `null` where the install must set the value. */
export const declaredVarsSchema = z.record(z.string(), varDefaultSchema).superRefine(checkedNames);

/** A playbook's declared variables and their defaults (`null`: no default). */
export type DeclaredVars = Readonly<Record<string, string | null>>;

/** A set of variables an install sets, name to value. */
export const varsSchema = z.record(z.string(), varValueSchema).superRefine(checkedNames);

/** Per playbook name, the variables an install sets in place of the playbook's defaults. */
export const playbookVarOverridesSchema = z.record(z.string().min(1), varsSchema);

/** Overrides from the service config, validated. */
export type PlaybookVarOverrides = z.infer<typeof playbookVarOverridesSchema>;

/** The playbook shape this module needs: its name and declared variables. */
interface WithVars {
  readonly metadata: { readonly name: string };
  readonly spec: { readonly vars?: DeclaredVars | undefined };
}

/**
 * The variables of a playbook that have no default and no value from the install: the steps
 * using them are refused until the install sets them under `playbookVars`.
 */
export function unsetVars(playbook: WithVars): string[] {
  return Object.entries(playbook.spec.vars ?? {}).flatMap(([name, value]) => (value === null ? [name] : []));
}

/** Why a step using unset variables is refused, naming where to set them. */
export function unsetVarsReason(playbook: string, names: readonly string[]): string {
  return `${names.map((n) => `vars.${n}`).join(', ')} ${names.length === 1 ? 'has' : 'have'} no default and this install sets none; ` +
    `set ${names.map((n) => `playbookVars.${playbook}.${n}`).join(', ')} in the service config (meshwarden run: --config)`;
}

/** Playbooks with the overrides applied, and every override that names nothing to override. */
export interface AppliedOverrides<P> {
  readonly playbooks: P[];
  readonly problems: string[];
}

/**
 * Replaces declared variables' defaults with the install's values. An override of a playbook or a
 * variable that does not exist is reported rather than ignored: a misspelt name would otherwise
 * leave the demo's default acting on this site's cluster.
 */
export function applyVarOverrides<P extends WithVars>(playbooks: readonly P[], overrides: PlaybookVarOverrides): AppliedOverrides<P> {
  const problems: string[] = [];
  const byName = new Map(playbooks.map((p) => [p.metadata.name, p]));
  for (const [name, vars] of Object.entries(overrides)) {
    const playbook = byName.get(name);
    if (playbook === undefined) {
      problems.push(`playbookVars.${name}: no playbook is named "${name}"; known playbooks: ${[...byName.keys()].join(', ')}`);
      continue;
    }
    const declared = Object.keys(playbook.spec.vars ?? {});
    for (const key of Object.keys(vars)) {
      if (!declared.includes(key)) {
        problems.push(`playbookVars.${name}.${key}: playbook ${name} declares no variable "${key}"; declared: ${declared.length > 0 ? declared.join(', ') : 'none'}`);
      }
    }
  }
  const applied = playbooks.map((p) => {
    const set = Object.hasOwn(overrides, p.metadata.name) ? overrides[p.metadata.name] : undefined;
    if (set === undefined || p.spec.vars === undefined) return p;
    return { ...p, spec: { ...p.spec, vars: { ...p.spec.vars, ...set } } };
  });
  return { playbooks: applied, problems };
}
