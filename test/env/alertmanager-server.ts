import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertmanagerBinary } from './backends.js';
import { freePorts, ProcessSupervisor, removeDir } from './process-supervisor.js';

/** One route below the root: alerts matching `matchers` go to the webhook at `<receiverBase>/<name>`. */
export interface AlertmanagerRoute {
  readonly name: string;
  /** Alertmanager matchers, e.g. `severity="critical"`. */
  readonly matchers: readonly string[];
}

/** A running Alertmanager. */
export interface RunningAlertmanager {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `GET /api/v2/alerts` (active, silenced and inhibited alerts; resolved ones are not listed). */
  alerts(): Promise<AlertmanagerListedAlert[]>;
  /** Creates a silence; returns its id. */
  silence(matchers: readonly { name: string; value: string; isRegex?: boolean; isEqual?: boolean }[], comment: string): Promise<string>;
  stop(): Promise<void>;
}

/** An alert as `GET /api/v2/alerts` lists it (`gettableAlert`), the fields the tests read. */
export interface AlertmanagerListedAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
  readonly fingerprint: string;
  readonly receivers: readonly { readonly name: string }[];
  readonly status: { readonly state: string; readonly silencedBy: readonly string[]; readonly inhibitedBy: readonly string[] };
}

/**
 * Starts the cached Alertmanager on a free loopback port with a temp config and storage path, no
 * cluster listener, and waits for `/-/ready`. The root route sends to `<receiverBase>/default`;
 * each of `routes` to `<receiverBase>/<name>`; every receiver is a webhook with `send_resolved`.
 */
export async function startAlertmanager(options: { readonly receiverBase: string; readonly routes?: readonly AlertmanagerRoute[] }): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-alertmanager-'));
  const supervisor = new ProcessSupervisor(dir, { keepRunDir: false });
  try {
    const [port] = await freePorts(1);
    if (port === undefined) throw new Error('no free port for Alertmanager');
    const routes = options.routes ?? [];
    const receiver = (name: string): object => ({ name, webhook_configs: [{ url: `${options.receiverBase}/${name}`, send_resolved: true }] });
    const config = {
      route: {
        receiver: 'default', group_by: ['incident'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h',
        routes: routes.map((r) => ({ receiver: r.name, matchers: [...r.matchers] })),
      },
      receivers: [receiver('default'), ...routes.map((r) => receiver(r.name))],
    };
    // JSON is YAML: no YAML library needed to write the config.
    writeFileSync(join(dir, 'alertmanager.yml'), JSON.stringify(config));
    const url = `http://127.0.0.1:${port}`;
    const proc = supervisor.start('alertmanager', alertmanagerBinary(), [
      `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn',
    ]);
    await supervisor.waitUntilReady(proc, 'answering /-/ready', async () => (await fetch(`${url}/-/ready`)).status === 200, 30_000);
    return {
      url,
      alerts: async () => {
        const response = await fetch(`${url}/api/v2/alerts`);
        if (!response.ok) throw new Error(`GET /api/v2/alerts: HTTP ${response.status}`);
        return (await response.json()) as AlertmanagerListedAlert[];
      },
      silence: async (matchers, comment) => {
        const now = Date.now();
        const response = await fetch(`${url}/api/v2/silences`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            matchers: matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex ?? false, isEqual: m.isEqual ?? true })),
            startsAt: new Date(now - 1_000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), createdBy: 'meshwarden-tests', comment,
          }),
        });
        if (!response.ok) throw new Error(`POST /api/v2/silences: HTTP ${response.status}: ${await response.text()}`);
        return ((await response.json()) as { silenceID: string }).silenceID;
      },
      stop: async () => {
        await supervisor.stopAll(2_000);
        removeDir(dir);
      },
    };
  } catch (error) {
    await supervisor.stopAll(2_000);
    removeDir(dir);
    throw error;
  }
}
