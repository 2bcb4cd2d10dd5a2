import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts, ProcessSupervisor, removeDir } from './process-supervisor.js';

/**
 * Istio's default TEXT access-log format (istio/istio
 * `pilot/pkg/model/telemetry_logging.go`, `EnvoyTextLogFormat`, 1.23+ with
 * `%UPSTREAM_CLUSTER_RAW%`), including the trailing newline Istio appends.
 */
export const ISTIO_TEXT_ACCESS_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% ' +
  '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% ' +
  '%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" ' +
  '%UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% ' +
  '%DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

/** Upstream cluster name in Istio's outbound form, so lines look like a sidecar's. */
export const ENVOY_UPSTREAM_CLUSTER = 'outbound|8080||model-server.default.svc.cluster.local';

/** One request sent through the proxy. */
export interface EnvoyRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What the client saw for one request. */
export interface EnvoyResponse {
  readonly status: number;
  readonly body: string;
}

/** Handles requests at the upstream; the default answers 200, or the status in `x-upstream-status`. */
export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Options for {@link runThroughEnvoy}. */
export interface EnvoyOptions {
  readonly upstream?: UpstreamHandler;
  /** Route timeout; a slower upstream yields 504 with flag `UT`. Default 5000 ms. */
  readonly routeTimeoutMs?: number;
}

/** Result of {@link runThroughEnvoy}. */
export interface EnvoyRun {
  /** The access-log lines Envoy wrote, one per request, without trailing newlines. */
  readonly accessLogLines: readonly string[];
  readonly responses: readonly EnvoyResponse[];
}

const defaultUpstream: UpstreamHandler = (req, res) => {
  const requested = Number(req.headers['x-upstream-status']);
  const status = Number.isInteger(requested) && requested >= 200 && requested < 600 ? requested : 200;
  req.resume();
  req.on('end', () => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: status < 400 }));
  });
};

/**
 * Starts a real Envoy in front of a local HTTP upstream, sends `requests`
 * through it one after another, and returns the access-log lines it wrote.
 * Envoy and the upstream are stopped and the temp dir removed afterwards.
 */
export async function runThroughEnvoy(
  envoyBinary: string,
  requests: readonly EnvoyRequest[],
  options: EnvoyOptions = {},
): Promise<EnvoyRun> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-envoy-'));
  const supervisor = new ProcessSupervisor(dir, { keepRunDir: false });
  const upstream = createServer(options.upstream ?? defaultUpstream);
  try {
    const [listenPort, adminPort, upstreamPort] = await freePorts(3);
    if (listenPort === undefined || adminPort === undefined || upstreamPort === undefined) throw new Error('no free ports for Envoy');
    await new Promise<void>((resolve, reject) => {
      upstream.once('error', reject);
      upstream.listen(upstreamPort, '127.0.0.1', () => { resolve(); });
    });
    const accessLog = join(dir, 'access.log');
    writeFileSync(accessLog, '');
    const config = join(dir, 'envoy.json');
    writeFileSync(config, JSON.stringify(bootstrap({ listenPort, adminPort, upstreamPort, accessLog, routeTimeoutMs: options.routeTimeoutMs ?? 5_000 })));
    const envoy = supervisor.start('envoy', envoyBinary, [
      '-c',
      config,
      '--disable-hot-restart',
      '--concurrency',
      '1',
      '--log-level',
      'warning',
      // The default 10 s flush interval would make every call wait that long for its lines.
      '--file-flush-interval-msec',
      '50',
    ]);
    await supervisor.waitUntilReady(
      envoy,
      'reporting LIVE on /ready',
      async () => (await fetch(`http://127.0.0.1:${adminPort}/ready`)).status === 200,
      30_000,
    );

    const responses: EnvoyResponse[] = [];
    for (const req of requests) responses.push(await send(listenPort, req));

    const deadline = Date.now() + 10_000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = readFileSync(accessLog, 'utf8').split('\n').filter((line) => line !== '');
      if (lines.length >= requests.length) break;
      await sleep(50);
    }
    if (lines.length < requests.length) {
      throw new Error(`Envoy wrote ${lines.length} access-log lines for ${requests.length} requests`);
    }
    return { accessLogLines: lines, responses };
  } finally {
    await supervisor.stopAll(2_000);
    await closeServer(upstream);
    removeDir(dir);
  }
}

function send(port: number, req: EnvoyRequest): Promise<EnvoyResponse> {
  return new Promise((resolve, reject) => {
    const client = request(
      { host: '127.0.0.1', port, path: req.path, method: req.method ?? 'GET', headers: { ...req.headers }, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }); });
        res.on('error', reject);
      },
    );
    client.on('timeout', () => client.destroy(new Error(`request ${req.path} timed out`)));
    client.on('error', reject);
    client.end(req.body);
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => { resolve(); }));
}

function bootstrap(p: {
  listenPort: number;
  adminPort: number;
  upstreamPort: number;
  accessLog: string;
  routeTimeoutMs: number;
}): unknown {
  const socket = (port: number): unknown => ({ socket_address: { address: '127.0.0.1', port_value: port } });
  return {
    node: { id: 'sidecar~10.244.0.7~client.default~default.svc.cluster.local', cluster: 'client.default' },
    admin: { address: socket(p.adminPort) },
    static_resources: {
      listeners: [
        {
          name: 'outbound_8080',
          address: socket(p.listenPort),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'outbound_0.0.0.0_8080',
                    route_config: {
                      name: '8080',
                      virtual_hosts: [
                        {
                          name: 'model-server.default.svc.cluster.local:8080',
                          domains: ['*'],
                          routes: [
                            {
                              name: 'default',
                              match: { prefix: '/' },
                              route: { cluster: ENVOY_UPSTREAM_CLUSTER, timeout: `${p.routeTimeoutMs / 1000}s` },
                            },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: 'envoy.filters.http.router',
                        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
                      },
                    ],
                    access_log: [
                      {
                        name: 'envoy.access_loggers.file',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
                          path: p.accessLog,
                          log_format: { text_format_source: { inline_string: ISTIO_TEXT_ACCESS_LOG_FORMAT } },
                        },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: ENVOY_UPSTREAM_CLUSTER,
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: ENVOY_UPSTREAM_CLUSTER,
            endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(p.upstreamPort) } }] }],
          },
        },
      ],
    },
  };
}
