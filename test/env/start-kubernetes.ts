import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeConfigFile } from './kube-config-file.js';
import { ADMIN_USER, RESTRICTED_USER } from './kube-users.js';
import { kubeRequest, type KubeHttpTarget } from './kube-http.js';
import { freePorts, type ProcessSupervisor } from './process-supervisor.js';

/** Cached binaries the control plane is started from. */
export interface KubernetesBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kwok: string;
}

/** A running control plane with one kwok-managed fake node. */
export interface KubernetesBackend {
  readonly server: string;
  readonly caData: string;
  readonly adminToken: string;
  readonly restrictedToken: string;
  readonly nodeName: string;
}

const FAKE_NODE = 'kwok-node-0';

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
 * kwok on free loopback ports (the envtest recipe plus the two controllers
 * and a fake kubelet), registers a fake node and waits until it is Ready.
 */
export async function startKubernetes(
  supervisor: ProcessSupervisor,
  runDir: string,
  bin: KubernetesBinaries,
): Promise<KubernetesBackend> {
  const dir = join(runDir, 'kubernetes');
  const certDir = join(dir, 'certs');
  mkdirSync(certDir, { recursive: true });
  const [etcdClientPort, etcdPeerPort, apiPort, kwokPort] = await freePorts(4);
  if (etcdClientPort === undefined || etcdPeerPort === undefined || apiPort === undefined || kwokPort === undefined) {
    throw new Error('no free ports for Kubernetes');
  }

  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const etcd = supervisor.start('etcd', bin.etcd, [
    '--name=default',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${etcdPeerUrl}`,
    `--initial-advertise-peer-urls=${etcdPeerUrl}`,
    `--initial-cluster=default=${etcdPeerUrl}`,
    // Test data is thrown away; fsync only costs time.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]);

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  writeFileSync(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
  const adminToken = randomBytes(24).toString('hex');
  const restrictedToken = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(
    tokenFile,
    `${adminToken},${ADMIN_USER},uid-admin,"system:masters"\n${restrictedToken},${RESTRICTED_USER},uid-restricted\n`,
  );

  await supervisor.waitUntilReady(
    etcd,
    'reporting healthy',
    async () => {
      const response = await fetch(`${etcdUrl}/health`);
      return response.ok && ((await response.json()) as { health?: unknown }).health === 'true';
    },
    60_000,
  );

  const server = `https://127.0.0.1:${apiPort}`;
  const apiserver = supervisor.start('kube-apiserver', bin.kubeApiserver, [
    `--etcd-servers=${etcdUrl}`,
    `--cert-dir=${certDir}`,
    `--secure-port=${apiPort}`,
    '--bind-address=127.0.0.1',
    // The self-signed serving certificate names the advertise address, so clients can verify 127.0.0.1.
    '--advertise-address=127.0.0.1',
    '--service-cluster-ip-range=10.96.0.0/24',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${saPub}`,
    `--service-account-signing-key-file=${saKey}`,
    `--token-auth-file=${tokenFile}`,
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // Pods need no token volume: there is no kubelet to mount one.
    '--disable-admission-plugins=ServiceAccount',
    // Flow control only adds CPU work on a 2-core test machine.
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--v=1',
  ]);
  await supervisor.waitUntilReady(
    apiserver,
    'answering /readyz with 200',
    // The CA is not known until the server has written its self-signed certificate.
    async () => (await kubeRequest({ server, token: adminToken, ca: undefined }, 'GET', '/readyz')).status === 200,
    180_000,
  );

  const caPem = readFileSync(join(certDir, 'apiserver.crt'), 'utf8');
  const caData = Buffer.from(caPem).toString('base64');
  const admin: KubeHttpTarget = { server, token: adminToken, ca: caPem };
  const adminKubeconfig = join(dir, 'admin.kubeconfig');
  writeFileSync(adminKubeconfig, kubeConfigFile({ server, caData, user: ADMIN_USER, token: adminToken }));

  const kcm = supervisor.start('kube-controller-manager', bin.kubeControllerManager, [
    `--kubeconfig=${adminKubeconfig}`,
    '--leader-elect=false',
    // 0 = no HTTPS endpoint: nothing to collide with other runs on this machine.
    '--secure-port=0',
    `--service-account-private-key-file=${saKey}`,
    `--root-ca-file=${join(certDir, 'apiserver.crt')}`,
    '--use-service-account-credentials=false',
    // The fake node's heartbeat is kwok's node Lease, renewed every 10 s (see kwok's flags below);
    // a generous grace keeps a kwok starved of CPU on a loaded two-core machine from having the
    // node declared NotReady, which would mark every pod on it NotReady for good.
    '--node-monitor-grace-period=10m',
    '--profiling=false',
    '--v=1',
  ]);
  supervisor.start('kube-scheduler', bin.kubeScheduler, [
    `--kubeconfig=${adminKubeconfig}`,
    '--leader-elect=false',
    '--secure-port=0',
    '--profiling=false',
    '--v=1',
  ]);
  const kwokHome = join(dir, 'kwok');
  mkdirSync(kwokHome, { recursive: true });
  const kwok = supervisor.start(
    'kwok',
    bin.kwok,
    [
      `--kubeconfig=${adminKubeconfig}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--manage-nodes-with-label-selector=',
      '--disregard-status-with-annotation-selector=kwok.x-k8s.io/status=custom',
      '--disregard-status-with-label-selector=',
      // Room for every pod a whole suite run leaves behind (a /24 would run out of addresses).
      '--cidr=10.244.0.1/16',
      '--node-ip=10.244.0.1',
      `--server-address=127.0.0.1:${kwokPort}`,
      // A node Lease, renewed every 10 s, is the node's heartbeat, as kwokctl sets it up. Without it
      // kwok v0.7.0 patches the node's status only every 600-1210 s: past the grace period above,
      // ten minutes into a run, the node lifecycle controller marked the node NotReady and set
      // Ready=False on every pod on it, which kwok never makes Ready again (its pod-ready stage only
      // takes pods without an IP), and every rollout under way then hung.
      '--node-lease-duration-seconds=40',
    ],
    // kwok reads ~/.kwok/kwok.yaml when present; a private HOME keeps a developer's config out.
    { env: { ...process.env, HOME: kwokHome } },
  );

  const created = await kubeRequest(admin, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: FAKE_NODE,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': FAKE_NODE,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    // The whole integration tier shares this one node, and namespaces of finished tests are
    // deleted asynchronously: the kubelet default of 110 pods can fill up mid-run and leave new
    // pods unschedulable (a rollout that never finishes). kwok pods cost nothing.
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '2000' },
      capacity: { cpu: '32', memory: '256Gi', pods: '2000' },
    },
  });
  if (created.status !== 201) throw new Error(`creating node ${FAKE_NODE} answered ${created.status}: ${JSON.stringify(created.body)}`);
  await supervisor.waitUntilReady(
    kwok,
    `marking node ${FAKE_NODE} Ready`,
    async () => {
      const node = await kubeRequest(admin, 'GET', `/api/v1/nodes/${FAKE_NODE}`);
      return hasReadyCondition(node.body);
    },
    120_000,
  );
  // The service-account controller creating `default` proves kube-controller-manager is running.
  await supervisor.waitUntilReady(
    kcm,
    'creating the default ServiceAccount',
    async () => (await kubeRequest(admin, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
    120_000,
  );
  return { server, caData, adminToken, restrictedToken, nodeName: FAKE_NODE };
}

function hasReadyCondition(node: unknown): boolean {
  if (typeof node !== 'object' || node === null || !('status' in node)) return false;
  const status: unknown = node.status;
  if (typeof status !== 'object' || status === null || !('conditions' in status) || !Array.isArray(status.conditions)) return false;
  return status.conditions.some(
    (c: unknown) => typeof c === 'object' && c !== null && 'type' in c && 'status' in c && c.type === 'Ready' && c.status === 'True',
  );
}
