import type {
  AppsV1Api,
  ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  ObservableMiddleware,
} from '@kubernetes/client-node';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext } from '../action-context.js';
import { kubeActionError, kubeStatusOf } from './kube-errors.js';

/** Patch bodies the actions send; the API server picks the semantics from the content type. */
export const PATCH = {
  /** RFC 7396: maps merge, `null` deletes a key, lists are replaced whole. */
  merge: 'application/merge-patch+json',
  /** RFC 6902: an ordered list of operations, what `kubectl rollout undo` sends. */
  json: 'application/json-patch+json',
} as const;

/** One of {@link PATCH}. */
export type PatchContentType = (typeof PATCH)[keyof typeof PATCH];

/** The typed API groups live Kubernetes actions use, bound to one action run. */
export interface KubeClients {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly networking: NetworkingV1Api;
  readonly custom: CustomObjectsApi;
  /** Per-request options: the run's abort signal, and the patch content type for PATCH calls. */
  options(patch?: PatchContentType): ConfigurationOptions;
  /** Runs one API call, mapping whatever it throws to an `ActionError` named after `what`. */
  call<T>(what: string, request: () => Promise<T>): Promise<T>;
  /** Like {@link call}, but a 404 answers `undefined` instead of failing. */
  callOrAbsent<T>(what: string, request: () => Promise<T>): Promise<T | undefined>;
}

/**
 * Builds the API clients from the injected `KubeConfig`. The client library is imported here, on
 * first live use, so that dry-run, the registry and the CLI never load it.
 */
export async function kubeClients(ctx: ActionContext, action: string): Promise<KubeClients> {
  const kc = ctx.deps.kube;
  if (kc === undefined) {
    throw new ActionError('client', `${action} needs a Kubernetes client; the engine runs without cluster access`);
  }
  if (ctx.signal.aborted) throw new ActionError('timeout', `${action} was cancelled before it ran`);
  const k8s = await loadClientLibrary(action);
  const signal = ctx.signal;
  const signalMiddleware: ObservableMiddleware = {
    pre: (request) => {
      request.setSignal(signal);
      return new k8s.Observable(Promise.resolve(request));
    },
    post: (response) => new k8s.Observable(Promise.resolve(response)),
  };
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw kubeActionError(what, error, signal);
    }
  };
  return {
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    networking: kc.makeApiClient(k8s.NetworkingV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    options: (patch) => {
      const middleware = patch === undefined ? [signalMiddleware] : [signalMiddleware, contentType(k8s.Observable, patch)];
      // Append: the client's own middleware (user agent) must stay.
      return { middleware, middlewareMergeStrategy: 'append' };
    },
    call,
    callOrAbsent: async <T>(what: string, request: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await request();
      } catch (error) {
        if (kubeStatusOf(error) === 404) return undefined;
        throw kubeActionError(what, error, signal);
      }
    },
  };
}

type ClientLibrary = typeof import('@kubernetes/client-node');

async function loadClientLibrary(action: string): Promise<ClientLibrary> {
  try {
    return await import('@kubernetes/client-node');
  } catch (error) {
    // A client library whose dependencies need a newer Node.js fails here, not at engine start.
    throw new ActionError(
      'client',
      `${action}: the Kubernetes client library failed to load on Node.js ${process.versions.node}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

type ObservableClass = ClientLibrary['Observable'];

function contentType(Observable: ObservableClass, value: PatchContentType): ObservableMiddleware {
  return {
    pre: (request) => {
      request.setHeaderParam('Content-Type', value);
      return new Observable(Promise.resolve(request));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
}
