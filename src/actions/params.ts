import { z } from 'zod';

/**
 * Kubernetes object names: a DNS subdomain, or a `{{ ... }}` template filled from the anomaly
 * (checked again after rendering).
 */
export const k8sName = z
  .string()
  .min(1)
  .refine(
    (name) => (TEMPLATED_NAME.test(name) && name.includes('{{')) || (DNS_SUBDOMAIN.test(name) && name.length <= 253),
    'must be a Kubernetes name (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit) or use a template such as "{{ entity.namespace }}"',
  );

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const TEMPLATED_NAME = /^(?:[-a-z0-9.]|\{\{\s*[a-zA-Z.]+\s*\}\})+$/;

/** A Vault path segment list such as `ml-prod/fraud-detector/db`, or a template. */
export const vaultPath = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_{}. \-/]+$/, 'must be a Vault path such as "ml-prod/app/db"')
  .refine((p) => !p.startsWith('/') && !p.includes('..'), 'must be relative, without ".."');

const CHANNEL = /^[#@]?[A-Za-z0-9_.-]+$/;
/** Only the playbook's own variables: a channel is the SOC's choice, never an anomaly's value. */
const TEMPLATED_CHANNEL = /^(?:[#@A-Za-z0-9_.-]|\{\{\s*vars\.[a-zA-Z]+\s*\}\})+$/;

/**
 * A Slack channel (`#soc-alerts`) or id (`C0123456`), or a `{{ vars.<name> }}` variable of the
 * playbook (checked again once filled). `example` is shown in the message.
 */
export function slackChannel(example: string): z.ZodType<string> {
  return z.string().refine(
    (channel) => CHANNEL.test(channel) || (channel.includes('{{') && TEMPLATED_CHANNEL.test(channel)),
    `must be a channel name like "${example}", an id like "C0123456", or a playbook variable such as "{{ vars.alertsChannel }}"`,
  );
}
