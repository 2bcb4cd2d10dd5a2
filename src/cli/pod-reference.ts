import { MeshwardenError } from '../shared/errors.js';

/** A pod named on the command line. */
export interface PodReference {
  readonly namespace: string;
  readonly pod: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const EXAMPLE = 'e.g. ml-prod/inference-7d9c8b6f5-x2k4p';

/**
 * `<namespace>/<pod>` as Kubernetes names them: a namespace is a DNS label (at most 63 lowercase
 * letters, digits and "-"), a pod a DNS subdomain (at most 253, "." allowed too). Anything else is
 * refused with a sentence that says what was expected and what was wrong with what was given.
 */
export function parsePodReference(text: string): PodReference {
  const fail = (why: string): never => {
    throw new MeshwardenError('usage', `expected <namespace>/<pod>, got ${JSON.stringify(text)}: ${why} (${EXAMPLE})`);
  };
  const parts = text.split('/');
  if (parts.length !== 2) fail(parts.length === 1 ? 'no namespace (write it before the pod, with a "/")' : 'more than one "/"');
  const [namespace = '', pod = ''] = parts;
  if (namespace === '') fail('the namespace is empty');
  if (pod === '') fail('the pod name is empty');
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) fail(`the namespace ${JSON.stringify(namespace)} is not a Kubernetes namespace name (at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit)`);
  if (pod.length > 253 || !DNS_SUBDOMAIN.test(pod)) fail(`the pod ${JSON.stringify(pod)} is not a Kubernetes pod name (at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)`);
  return { namespace, pod };
}
