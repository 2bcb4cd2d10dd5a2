import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { kubeObject } from '../actions/kubernetes/kube-object.js';
import { kubeActionError, kubeStatusOf } from '../actions/kubernetes/kube-errors.js';
import type { Clock } from '../shared/clock.js';
import { describeZodIssues } from '../shared/describe-issues.js';
import { MAX_SILENCES, silenceFileSchema, type StoredSilence } from './silence.js';
import { SilenceStoreError, withAdded, withExpired, type SilenceStore } from './silence-store.js';

/** The ConfigMap's default name, in the engine's namespace. */
export const SILENCE_CONFIGMAP = 'meshwarden-silences';
/** The ConfigMap's one data key. */
export const SILENCE_DATA_KEY = 'silences.json';
/** Labels the ConfigMap carries. */
export const SILENCE_LABELS_K8S = { 'app.kubernetes.io/managed-by': 'meshwarden', 'meshwarden.io/store': 'silences' } as const;
/**
 * The permissions the store needs, in the engine's namespace only (ConfigMaps of that namespace:
 * the chart's `-silences` Role). `create` cannot be limited by name in RBAC; `get` and `update` are.
 */
export const SILENCE_RBAC_RULES = [
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
  { apiGroups: [''], resources: ['configmaps'], resourceNames: [SILENCE_CONFIGMAP], verbs: ['get', 'update'] },
] as const;

/** {@link SILENCE_RBAC_RULES} as plain mutable rules (for a Role body). */
export function silenceRbacRules(): { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }[] {
  return SILENCE_RBAC_RULES.map((r) => ({
    apiGroups: [...r.apiGroups], resources: [...r.resources], ...('resourceNames' in r ? { resourceNames: [...r.resourceNames] } : {}), verbs: [...r.verbs],
  }));
}

/**
 * Compare-and-swap attempts before giving up on a ConfigMap that keeps changing under us. Each
 * round of racing writers lets one through, so this bounds how many may write at once.
 */
const ATTEMPTS = 16;

/**
 * Silences in one ConfigMap in the engine's namespace, shared by every replica and by the CLI
 * (`meshwarden silence ... --kubeconfig`). Every change is read-modify-replace carrying the
 * resourceVersion read, so two writers racing never lose each other's silence: the API server
 * refuses the second replace with 409 and it reads again. The first silence creates the ConfigMap.
 * A ConfigMap holds at most 1 MiB; {@link MAX_SILENCES} silences of bounded size fit well within it.
 */
export class KubeSilenceStore implements SilenceStore {
  private readonly api: CoreV1Api;

  constructor(kube: KubeConfig, private readonly namespace: string, private readonly clock: Clock, private readonly name: string = SILENCE_CONFIGMAP) {
    this.api = kube.makeApiClient(CoreV1Api);
  }

  private get where(): string {
    return `ConfigMap ${this.namespace}/${this.name}`;
  }

  async list(): Promise<StoredSilence[]> {
    return (await this.read()).silences;
  }

  async add(silence: StoredSilence): Promise<void> {
    await this.change((current) => ({ silences: withAdded(current, silence, this.clock.now(), MAX_SILENCES), result: undefined }));
  }

  async expire(id: string, at: number, by: string): Promise<StoredSilence | undefined> {
    return this.change((current) => {
      const { silences, expired } = withExpired(current, id, at, by);
      return { silences: expired === undefined ? undefined : silences, result: expired };
    });
  }

  /** Applies `edit` to the current silences and writes the result back, retrying on a conflict. */
  private async change<T>(edit: (current: StoredSilence[]) => { readonly silences: StoredSilence[] | undefined; readonly result: T }): Promise<T> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const { silences: current, resourceVersion } = await this.read();
      const { silences, result } = edit(current);
      if (silences === undefined) return result;
      const body = kubeObject<V1ConfigMap>({
        metadata: { name: this.name, labels: { ...SILENCE_LABELS_K8S }, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
        data: { [SILENCE_DATA_KEY]: JSON.stringify({ version: 1, silences }) },
      });
      try {
        if (resourceVersion === undefined) await this.api.createNamespacedConfigMap({ namespace: this.namespace, body });
        else await this.api.replaceNamespacedConfigMap({ name: this.name, namespace: this.namespace, body });
        return result;
      } catch (error) {
        const status = kubeStatusOf(error);
        // 409: someone wrote (or created it) in between; read again, after a short random pause
        // so the writers that lost this round do not collide again in lockstep.
        if (status !== 409) throw storeError(`${this.where}: could not write the silences`, error);
        await sleep(Math.floor(Math.random() * 20 * attempt));
      }
    }
    throw new SilenceStoreError('silences-contended', `${this.where}: the silences changed under every one of ${ATTEMPTS} attempts; try again`, { retriable: true });
  }

  private async read(): Promise<{ readonly silences: StoredSilence[]; readonly resourceVersion: string | undefined }> {
    let map: V1ConfigMap;
    try {
      map = await this.api.readNamespacedConfigMap({ name: this.name, namespace: this.namespace });
    } catch (error) {
      if (kubeStatusOf(error) === 404) return { silences: [], resourceVersion: undefined };
      throw storeError(`${this.where}: could not read the silences`, error);
    }
    const text = map.data?.[SILENCE_DATA_KEY];
    const resourceVersion = map.metadata?.resourceVersion;
    if (resourceVersion === undefined) throw new SilenceStoreError('silences-unreadable', `${this.where}: the API server returned it without a resourceVersion`);
    if (text === undefined) return { silences: [], resourceVersion };
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new SilenceStoreError('silences-invalid', `${this.where}: ${SILENCE_DATA_KEY} is not JSON`, { cause: error });
    }
    const parsed = silenceFileSchema.safeParse(raw);
    if (!parsed.success) throw new SilenceStoreError('silences-invalid', `${this.where}: ${SILENCE_DATA_KEY} is not a silence list: ${describeZodIssues(parsed.error)}`);
    return { silences: parsed.data.silences, resourceVersion };
  }
}

/** The API server's own reason (its Status message), never the raw response. */
function storeError(what: string, error: unknown): SilenceStoreError {
  const described = kubeActionError(what, error);
  return new SilenceStoreError('silences-unavailable', described.message, { retriable: described.retriable });
}
