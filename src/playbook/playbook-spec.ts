import { z } from 'zod';
import { ACTIONS, findAction } from '../actions/action-registry.js';
import { ENTITY_KINDS, type EntityKind } from '../features/entity.js';
import { FEATURE_NAMES } from '../features/feature-window.js';
import { durationSchema } from '../shared/duration.js';
import { declaredVarsSchema } from './playbook-vars.js';
import { targetParams } from './target-params.js';
import { CLIENT_NAMED_KINDS, ENTITY_FIELDS, TEMPLATE_VARIABLES, VARS_SCOPE, templateVariables, tokenizeTemplate } from './templates.js';

const stepOptions = ACTIONS.map((action) =>
  z
    .object({
      name: z.string().min(1).optional().describe('Shown in the audit trail and Slack; defaults to the action id.'),
      action: z.literal(action.id),
      params: action.params,
      onError: z.enum(['abort', 'continue']).default('abort').describe('`abort` stops the playbook when this step fails; `continue` goes on to the next step.'),
    })
    .strict(),
);

/** One step: an action from the registry with its typed parameters. */
export const stepSchema = z.discriminatedUnion(
  'action',
  stepOptions as unknown as [(typeof stepOptions)[number], ...(typeof stepOptions)[number][]],
);

const triggerSchema = z
  .object({
    detectors: z.array(z.string().min(1)).min(1).describe('Detector names (metadata.name of files under detectors/).'),
    entityKinds: z.array(z.enum(ENTITY_KINDS)).min(1).optional(),
    namespaces: z.array(z.string().min(1)).min(1).optional(),
    labels: z.record(z.string(), z.string()).optional().describe('Every label here must be on the entity with this value.'),
    minScore: z.number().min(0).lt(1).default(0),
    severities: z.array(z.enum(['info', 'low', 'medium', 'high', 'critical'])).min(1).optional(),
    for: durationSchema.default(0).describe('The incident must have lasted this long before the playbook runs (hysteresis).'),
  })
  .strict();

const conditionSchema = z
  .object({
    feature: z.enum(FEATURE_NAMES).describe('A feature that must be in the anomaly\'s evidence.'),
    above: z.number().optional(),
    below: z.number().optional(),
  })
  .strict();

/** A playbook as written by the SOC under `playbooks/`. */
export const playbookSchema = z
  .object({
    apiVersion: z.literal('meshwarden.io/v1'),
    kind: z.literal('Playbook'),
    metadata: z
      .object({
        name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'use lowercase letters, digits and dashes, e.g. "quarantine-on-exfiltration"'),
        description: z.string().optional(),
        labels: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
    spec: z
      .object({
        dryRun: z.boolean().default(false).describe('Record what would be done without doing it, whatever the engine\'s global mode.'),
        trigger: triggerSchema,
        conditions: z.array(conditionSchema).optional(),
        cooldown: durationSchema.default(30 * 60_000).describe('After running against a target, the playbook leaves that target alone this long.'),
        /**
         * Site-specific values (a namespace, a Deployment, a secret path) with their defaults, used in
         * step parameters as `{{ vars.<name> }}`; an install overrides them in its service config.
         * A variable declared `null` has no default: until the install sets it, steps using it are refused.
         */
        vars: declaredVarsSchema.optional(),
        /**
         * How the policy gate (when the engine has one, see docs/policy.md) treats this playbook:
         * `failOpen` lets a step run when the policy cannot be reached or does not answer in time
         * (default: refused); `everyStep` asks before every step, Slack and approval steps too
         * (default: only before steps that change something).
         */
        policy: z.object({ failOpen: z.boolean().default(false), everyStep: z.boolean().default(false) }).strict().optional(),
        steps: z.array(stepSchema).min(1),
      })
      .strict()
      .superRefine((spec, ctx) => {
        checkTemplates(spec.steps, spec.trigger.entityKinds, new Set(Object.keys(spec.vars ?? {})), ctx);
        checkClientPickedTargets(spec.steps, spec.trigger.entityKinds, ctx);
      }),
  })
  .strict();

export type PlaybookSpec = z.infer<typeof playbookSchema>;
export type PlaybookStep = z.infer<typeof stepSchema>;

function checkTemplates(
  steps: readonly { params: unknown }[],
  kinds: readonly EntityKind[] | undefined,
  vars: ReadonlySet<string>,
  ctx: z.RefinementCtx,
): void {
  const known = new Set<string>(TEMPLATE_VARIABLES);
  const allowedKinds = kinds ?? ENTITY_KINDS;
  steps.forEach((step, i) => {
    forEachString(step.params, ['steps', i, 'params'], (text, path) => {
      for (const problem of tokenizeTemplate(text).problems) ctx.addIssue({ code: 'custom', path, message: problem.message });
      for (const variable of templateVariables(text)) {
        if (variable.startsWith(`${VARS_SCOPE}.`)) {
          const name = variable.slice(VARS_SCOPE.length + 1);
          if (!vars.has(name)) {
            const declared = [...vars].map((v) => `"${v}"`).join(', ');
            ctx.addIssue({ code: 'custom', path, message: `"{{ ${variable} }}" is not declared; add "${name}" with its default under spec.vars${declared ? ` (declared: ${declared})` : ''}` });
          }
          continue;
        }
        if (!known.has(variable)) {
          ctx.addIssue({ code: 'custom', path, message: `unknown template variable "{{ ${variable} }}"; use one of ${TEMPLATE_VARIABLES.join(', ')}` });
          continue;
        }
        const [scope, field] = variable.split('.');
        if (scope !== 'entity' || field === undefined) continue;
        const lacking = allowedKinds.filter((kind) => !ENTITY_FIELDS[kind].includes(field));
        if (lacking.length > 0) {
          const having = ENTITY_KINDS.filter((kind) => ENTITY_FIELDS[kind].includes(field));
          ctx.addIssue({
            code: 'custom', path,
            message: `"{{ ${variable} }}" is empty for ${lacking.join(', ')} entities; restrict trigger.entityKinds to [${having.join(', ')}]`,
          });
        }
      }
    });
  });
}

/**
 * A principal's name and key are what a client sent (an address, a forwarded-for value) unless the
 * engine established them, so a playbook that can run on a principal must not route them into a
 * parameter that picks the step's target: the client would choose the pod, Deployment or secret
 * path acted on. The engine refuses such a value at execution time unless the principal's
 * identity is an address or mesh identity; this reports the playbook before it is ever loaded.
 */
function checkClientPickedTargets(
  steps: readonly { action: string; params: unknown }[],
  kinds: readonly EntityKind[] | undefined,
  ctx: z.RefinementCtx,
): void {
  const named = (kinds ?? ENTITY_KINDS).filter((kind) => CLIENT_NAMED_KINDS.includes(kind));
  if (named.length === 0) return;
  steps.forEach((step, i) => {
    const action = findAction(step.action);
    if (action === undefined || step.params === null || typeof step.params !== 'object') return;
    for (const key of targetParams(action)) {
      const text = (step.params as Record<string, unknown>)[key];
      if (typeof text !== 'string') continue;
      for (const variable of templateVariables(text)) {
        if (variable !== 'entity.name' && variable !== 'entity.key') continue;
        ctx.addIssue({
          code: 'custom', path: ['steps', i, 'params', key],
          message: named.includes('principal')
            ? `"{{ ${variable} }}" of a principal picks the target of ${step.action} (parameter ${key}), and a client chooses principal names; name the target literally, or restrict trigger.entityKinds to kinds other than principal`
            : `"{{ ${variable} }}" of a ${named.join(', ')} entity picks the target of ${step.action} (parameter ${key}), and a client chooses those names; name the target literally, or restrict trigger.entityKinds to kinds other than ${named.join(', ')}`,
        });
      }
    }
  });
}

function forEachString(value: unknown, path: (string | number)[], visit: (text: string, path: (string | number)[]) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) {
    value.forEach((v: unknown, i) => {
      forEachString(v, [...path, i], visit);
    });
  }
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) forEachString(v, [...path, k], visit);
  }
}
