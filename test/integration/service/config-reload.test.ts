import { copyFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceConfigSchema, type ServiceConfig } from '../../../src/config/service-config.js';
import { MeshwardenService } from '../../../src/service.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { kafkaBrokers, randomName } from '../../env/backends.js';
import { waitFor } from '../../env/wait-for.js';
import { readToEnd, serviceTopics } from './service-topics.js';
import { traffic } from './inference-traffic.js';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const MIN = 60_000;


/** A storm of 5 minutes from `from`, then 15 quiet minutes: the incident resolves, the next storm is a new one. */
function storm(from: number, seed: number): string[] {
  return [...traffic(from, 5, 0.9, seed), ...traffic(from + 5 * MIN, 15, 0.01, seed + 1_000)];
}

const PLAYBOOK = (channel: string): string => `apiVersion: meshwarden.io/v1
kind: Playbook
metadata: { name: tell-sre }
spec:
  trigger: { detectors: [error-storm] }
  cooldown: 0s
  steps:
    - action: slack.notify
      params: { channel: "${channel}", text: "{{ entity.key }}" }
`;

/** Parses, then fails the trigger check: a detector that does not exist. */
const BROKEN = PLAYBOOK('#v3').replace('[error-storm]', '[error-strom]');

const services: MeshwardenService[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop().catch(() => undefined);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A playbooks directory as the kubelet writes a ConfigMap volume, replaced the way it replaces it. */
async function configMapVolume(dir: string, files: Record<string, string>): Promise<(files: Record<string, string>) => Promise<void>> {
  let generation = 0;
  const swap = async (next: Record<string, string>): Promise<void> => {
    const ts = `..2026_11_02_08_00_0${++generation}.${generation}`;
    await mkdir(join(dir, ts));
    for (const [name, text] of Object.entries(next)) await writeFile(join(dir, ts, name), text);
    await symlink(ts, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    for (const name of Object.keys(next)) await symlink(join('..data', name), join(dir, name)).catch(() => undefined);
    if (generation > 1) await rm(join(dir, `..2026_11_02_08_00_0${generation - 1}.${generation - 1}`), { recursive: true });
  };
  await swap(files);
  return swap;
}

interface AuditRecord {
  readonly type: string;
  readonly data: { readonly event?: string; readonly result?: string; readonly playbook?: string; readonly description?: string; readonly incidentId?: string; readonly problems?: string[]; readonly files?: { file: string; sha256: string }[] };
}

describe('hot reload of playbooks in the cluster service, on a real Kafka broker', () => {
  it('acts with a playbook replaced by a ConfigMap-style swap on the next record, and refuses a broken one while the old one keeps acting', async () => {
    const prefix = randomName('reload');
    const root = await mkdtemp(join(tmpdir(), 'meshwarden-reload-svc-'));
    dirs.push(root);
    await mkdir(join(root, 'detectors'));
    await copyFile('detectors/error-storm.yaml', join(root, 'detectors', 'error-storm.yaml'));
    await mkdir(join(root, 'playbooks'));
    const swap = await configMapVolume(join(root, 'playbooks'), { 'tell-sre.yaml': PLAYBOOK('#v1') });
    const cfg: ServiceConfig = serviceConfigSchema.parse({
      apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig', detectors: join(root, 'detectors'), playbooks: join(root, 'playbooks'),
      stateDir: join(root, 'state'), dryRun: true, kubernetes: { enabled: false },
      reload: { debounce: '200ms', pollInterval: '1s' },
      kafka: { brokers: kafkaBrokers(), groupId: `${prefix}-group`, topics: serviceTopics(prefix) },
    });
    const kafka = new Kafka({ clientId: 'test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [cfg.kafka.topics.accessLogs, cfg.kafka.topics.modelTelemetry, cfg.kafka.topics.driftMetrics].map((topic) => ({ topic })) });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // In chunks: one produce request must stay under the broker's message size limit.
    const send = async (values: string[]): Promise<void> => {
      for (let i = 0; i < values.length; i += 500) await producer.send({ topic: cfg.kafka.topics.accessLogs, messages: values.slice(i, i + 500).map((value) => ({ value })) });
    };
    const metrics = createMetrics();
    const service = new MeshwardenService({
      config: cfg, kafka: { clientId: 'meshwarden-test', brokers: cfg.kafka.brokers }, actionDeps: {}, clock: systemClock, logger: silentLogger(), metrics,
    });
    services.push(service);

    const audit = async (): Promise<AuditRecord[]> => (await readToEnd(kafka, cfg.kafka.topics.audit)).map((v) => JSON.parse(v) as AuditRecord);
    const steps = (records: AuditRecord[]): string[] => records.filter((r) => r.type === 'action' && r.data.playbook === 'tell-sre').map((r) => r.data.description ?? '');
    const reloads = (records: AuditRecord[]): AuditRecord[] => records.filter((r) => r.data.event === 'config-reload');

    try {
      // 90 minutes of baseline, then the first storm: the playbook as first loaded acts.
      await send([...traffic(T0, 90, 0.01, 0), ...storm(T0 + 90 * MIN, 10_000)]);
      await service.start();
      await waitFor('the first storm\'s playbook step', 60_000, async () => steps(await audit()).length >= 1, 1_000);
      expect(steps(await audit())).toEqual([expect.stringContaining('post the incident summary to #v1')]);

      // The kubelet's swap: the new playbook is loaded, recorded, and acts on the next storm.
      await swap({ 'tell-sre.yaml': PLAYBOOK('#v2') });
      await waitFor('the accepted reload record', 30_000, async () => reloads(await audit()).length >= 1, 1_000);
      const [accepted] = reloads(await audit());
      expect(accepted?.data).toMatchObject({ result: 'accepted', playbooks: { changed: ['tell-sre'] }, detectors: { changed: [], unchanged: 1 } });
      expect(accepted?.data.files?.map((f) => f.file.split('/').at(-1))).toEqual(['error-storm.yaml', 'tell-sre.yaml']);
      await send(storm(T0 + 110 * MIN, 20_000));
      await waitFor('the second storm\'s playbook step', 60_000, async () => steps(await audit()).length >= 2, 1_000);
      expect(steps(await audit())[1]).toContain('post the incident summary to #v2');

      // A broken playbook: refused whole, with its problem, and the running one keeps acting.
      await swap({ 'tell-sre.yaml': BROKEN });
      await waitFor('the refused reload record', 30_000, async () => reloads(await audit()).length >= 2, 1_000);
      const refused = reloads(await audit())[1];
      expect(refused?.data.result).toBe('refused');
      expect(refused?.data.problems?.join('\n')).toMatch(/tell-sre\.yaml:5:\d+ no detector is named "error-strom"; did you mean "error-storm"\?/);
      await send(storm(T0 + 130 * MIN, 30_000));
      await waitFor('the third storm\'s playbook step', 60_000, async () => steps(await audit()).length >= 3, 1_000);
      expect(steps(await audit())[2]).toContain('post the incident summary to #v2');
      const reloadCounts = (await metrics.registry.getSingleMetric('meshwarden_config_reloads_total')?.get())?.values.map((v) => [v.labels.result, v.value]);
      expect(reloadCounts).toEqual(expect.arrayContaining([['accepted', 1], ['refused', 1]]));
    } finally {
      await producer.disconnect();
    }
  });
});
