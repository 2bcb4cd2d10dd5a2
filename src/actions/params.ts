import { z } from 'zod';

/**
 * Kubernetes object names: a DNS subdomain, or a `{{ ... }}` template filled from the anomaly
 * (checked again after rendering).
 */
export const k8sName = z
  .string()
  .min(1)
  .regex(
    /^(?:[a-z0-9]|\{\{\s*[a-zA-Z.]+\s*\}\})(?:[-a-z0-9.]|\{\{\s*[a-zA-Z.]+\s*\}\})*$/,
    'must be a Kubernetes name (lowercase letters, digits, "-" and ".") or use a template such as "{{ entity.namespace }}"',
  )
  .refine((name) => name.includes('{{') || /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) && name.length <= 253,
    'must start and end with a letter or digit and be at most 253 characters',
  );

/** A Vault path segment list such as `ml-prod/fraud-detector/db`, or a template. */
export const vaultPath = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_{}. \-/]+$/, 'must be a Vault path such as "ml-prod/app/db"')
  .refine((p) => !p.startsWith('/') && !p.includes('..'), 'must be relative, without ".."');
