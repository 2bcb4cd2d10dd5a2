import { createHash } from 'node:crypto';
import type { ActionTarget } from '../actions/action-definition.js';
import type { StepResult } from '../playbook/run-store.js';
import { annotationText } from './label-value.js';

/** `reportingController` of every Event the engine writes: filter on it (`kubectl events --for`, field selectors). */
export const REPORTING_CONTROLLER = 'meshwarden.io/engine';

/** The API server refuses a note over 1 kB. */
export const MAX_NOTE_CHARS = 1_000;

/** API versions of the kinds live actions touch; an Event's `regarding` must name one. */
const API_VERSIONS: Readonly<Record<string, string>> = {
  Pod: 'v1',
  Deployment: 'apps/v1',
  InferenceService: 'serving.kserve.io/v1beta1',
};

/** The reason of a succeeded step, by action: what `kubectl describe` shows in its Events table. */
const SUCCESS_REASONS: Readonly<Record<string, string>> = {
  'kubernetes.quarantine-pod': 'Quarantined',
  'kubernetes.release-pod': 'QuarantineReleased',
  'kubernetes.delete-pod': 'Deleted',
  'kubernetes.scale': 'Scaled',
  'kubernetes.restart-deployment': 'Restarted',
  'kubernetes.rollback-deployment': 'RolledBack',
};

/** Step outcomes worth an Event on the object: what was done to it, or refused or failed on it. */
const REPORTED = new Set<StepResult['outcome']>(['succeeded', 'failed', 'refused']);

/** An `events.k8s.io/v1` Event as the API takes it (eventTime as a MicroTime is set by the recorder). */
export interface KubeEventBody {
  readonly apiVersion: 'events.k8s.io/v1';
  readonly kind: 'Event';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly eventTime: number;
  readonly reportingController: string;
  readonly reportingInstance: string;
  readonly action: string;
  readonly reason: string;
  readonly type: 'Normal' | 'Warning';
  readonly note: string;
  readonly regarding: { readonly apiVersion: string; readonly kind: string; readonly namespace: string; readonly name: string };
}

/** Where a step ran: for the Event's name (so a step reported twice makes one Event) and its labels. */
export interface StepOrigin {
  readonly runId: string;
  readonly playbook: string;
  readonly incidentId: string;
}

/**
 * The Event for one live step's result, or undefined when it gets none: a step that is not a
 * Kubernetes action, has no namespaced target of a known kind, or neither did nor was refused
 * anything (skipped, already done). The note is the step's description, cut to what the API takes.
 */
export function kubeEventFor(result: StepResult, origin: StepOrigin, reportingInstance: string): KubeEventBody | undefined {
  const target: ActionTarget | undefined = result.targetRef;
  if (!result.action.startsWith('kubernetes.') || target?.namespace === undefined || !REPORTED.has(result.outcome)) return undefined;
  const apiVersion = API_VERSIONS[target.kind];
  if (apiVersion === undefined) return undefined;
  const verb = result.action.slice('kubernetes.'.length);
  const reason = result.outcome === 'succeeded' ? (SUCCESS_REASONS[result.action] ?? 'ActionSucceeded') : result.outcome === 'refused' ? 'ActionRefused' : 'ActionFailed';
  const digest = createHash('sha256').update(`${origin.runId}\n${result.index}\n${result.outcome}`).digest('hex').slice(0, 16);
  const note = `${result.step} (${result.action}) ${result.outcome}: ${result.description} [playbook ${origin.playbook}, incident ${origin.incidentId}]`;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    // Object names are DNS subdomains of at most 253 characters; a pod name leaves room for the digest.
    metadata: { name: `${target.name.slice(0, 200)}.${digest}`, namespace: target.namespace, labels: { 'app.kubernetes.io/managed-by': 'meshwarden' } },
    eventTime: result.at,
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: reportingInstance.slice(0, 128),
    action: pascalCase(verb),
    reason,
    type: result.outcome === 'succeeded' ? 'Normal' : 'Warning',
    note: annotationText(note, MAX_NOTE_CHARS),
    regarding: { apiVersion, kind: target.kind, namespace: target.namespace, name: target.name },
  };
}

/** `quarantine-pod` -> `QuarantinePod`. */
function pascalCase(text: string): string {
  return text.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}
