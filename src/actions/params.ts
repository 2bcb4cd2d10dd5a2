import { z } from 'zod';

/**
 * Kubernetes object names: a DNS subdomain, or a `{{ ... }}` template filled from the anomaly
 * (checked again after rendering).
 */
export const k8sName = z
  .string()
  .min(1)
  .regex(
    /^(\{\{\s*[a-zA-Z.]+\s*\}\}|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/,
    'must be a Kubernetes name (lowercase letters, digits, "-" and ".") or a template such as "{{ entity.namespace }}"',
  );

/** A Vault path segment list such as `ml-prod/fraud-detector/db`, or a template. */
export const vaultPath = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_{}. \-/]+$/, 'must be a Vault path such as "ml-prod/app/db"')
  .refine((p) => !p.startsWith('/') && !p.includes('..'), 'must be relative, without ".."');
