/**
 * The benign requests of the mesh, one minute at a time, following the time of day (the injected
 * incidents' own activity is in incident-traffic.ts).
 *
 * Request paths: external client -> ingress gateway -> frontend, then
 * - POST /api/v1/score: frontend -> inference -> feature-store,
 * - POST /api/v1/login: frontend -> auth,
 * - static assets: answered by frontend.
 */
import type { IncidentPlan } from './incident-schedule.js';
import {
  type CallContext,
  type HopResult,
  type ServerBehaviour,
  type ServerReply,
  gatewayNoRoute,
  meshHop,
  pooledPort,
} from './mesh-calls.js';
import type { ModelStats } from './model-records.js';
import type { Prng } from './prng.js';
import {
  type AppName,
  type ClientInfo,
  type PodInfo,
  type Topology,
  activePods,
} from './topology.js';

/** Everything the traffic of one minute needs. */
export interface TrafficContext extends CallContext {
  readonly topology: Topology;
  readonly plan: IncidentPlan;
  readonly stats: ModelStats;
  readonly clients: ClientPicker;
  /** External requests per minute, as a multiple of {@link arrivalsPerMinute}. */
  readonly arrivalsScale: number;
}

/** External requests per minute at the daily peak (15:00 UTC). */
export const PEAK_ARRIVALS_PER_MINUTE = 26;
/** Share of the peak rate at the nightly trough (03:00 UTC). */
export const TROUGH_SHARE = 0.25;

/** Mean number of external requests per minute at `atMs`, following the time of day. */
export function arrivalsPerMinute(atMs: number): number {
  const hour = (((atMs / 3_600_000) % 24) + 24) % 24;
  const dayShape = (1 - Math.cos((2 * Math.PI * (hour - 3)) / 24)) / 2;
  return PEAK_ARRIVALS_PER_MINUTE * (TROUGH_SHARE + (1 - TROUGH_SHARE) * dayShape);
}

/** Picks external clients in proportion to their weight. */
export class ClientPicker {
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(private readonly clients: readonly ClientInfo[]) {
    let sum = 0;
    for (const c of clients) {
      sum += c.weight;
      this.cumulative.push(sum);
    }
    this.total = sum;
  }

  /** One client, chosen with `rng`. */
  pick(rng: Prng): ClientInfo {
    const r = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] ?? 0) > r) hi = mid;
      else lo = mid + 1;
    }
    return this.clients[lo] ?? rng.pick(this.clients);
  }
}

export function pickPod(ctx: TrafficContext, app: AppName, atMs: number): PodInfo {
  return ctx.rng.pick(activePods(ctx.topology, app, atMs));
}

/** The app's outgoing HTTP client, as it shows in User-Agent. */
const FRONTEND_AGENT = 'axios/1.7.7';
const INFERENCE_AGENT = 'python-httpx/0.27.2';

interface ExternalClient {
  readonly ip: string;
  readonly userAgent: string;
  readonly protocol: string;
}

function asExternal(c: ClientInfo): ExternalClient {
  return { ip: c.ip, userAgent: c.userAgent, protocol: c.kind === 'browser' ? 'HTTP/2' : 'HTTP/1.1' };
}

/** A request from an external client through the ingress gateway to a frontend pod. */
function gatewayRequest(
  ctx: TrafficContext,
  atMs: number,
  client: ExternalClient,
  method: string,
  path: string,
  bytesReceived: number,
  routeName: string,
  frontendBehaviour: (frontend: PodInfo) => ServerBehaviour,
): HopResult {
  const { rng, topology } = ctx;
  const gateway = pickPod(ctx, 'istio-ingressgateway', atMs);
  const frontend = pickPod(ctx, 'frontend', atMs);
  return meshHop(
    ctx,
    {
      caller: gateway,
      service: topology.services.frontend,
      server: frontend,
      startMs: atMs,
      method,
      path,
      protocol: 'HTTP/1.1',
      userAgent: client.userAgent,
      xForwardedFor: client.ip,
      authority: topology.publicHost,
      bytesReceived,
      gateway: {
        clientIp: client.ip,
        clientPort: pooledPort(atMs, 0, 'client', client.ip),
        routeName,
        requestId: rng.uuid(),
        clientProtocol: client.protocol,
      },
    },
    frontendBehaviour(frontend),
  );
}

function featureStoreReply(ctx: TrafficContext, atMs: number): ServerReply {
  const { rng, plan } = ctx;
  const failing = plan.active('error-storm', atMs) && rng.chance(0.85);
  // Outside the storm, a rare connection reset is part of normal life.
  if (failing ? rng.chance(0.7) : false) {
    return {
      code: 503,
      appMs: rng.uniform(0.4, 3),
      bytesSent: 91,
      flags: 'UF',
      details: 'upstream_reset_before_response_started{connection_failure}',
      noUpstreamTime: true,
    };
  }
  if (failing || rng.chance(1 / 2500)) {
    return {
      code: 503,
      appMs: rng.uniform(2, 40),
      bytesSent: 95,
      flags: 'UC',
      details: 'upstream_reset_before_response_started{connection_termination}',
      noUpstreamTime: true,
    };
  }
  return { code: 200, appMs: rng.logNormal(4.5, 0.45), bytesSent: rng.int(1400, 2600) };
}

function inferencePredict(ctx: TrafficContext, inference: PodInfo, atMs: number): ServerReply {
  const { rng, topology, plan } = ctx;
  const featureStore = pickPod(ctx, 'feature-store', atMs);
  const callStart = atMs + rng.uniform(0.3, 1.2);
  const features = meshHop(
    ctx,
    {
      caller: inference,
      service: topology.services.featureStore,
      server: featureStore,
      startMs: callStart,
      method: 'POST',
      path: '/get-online-features',
      protocol: 'HTTP/1.1',
      userAgent: INFERENCE_AGENT,
      authority: topology.services.featureStore.authority,
      bytesReceived: rng.int(300, 480),
    },
    { kind: 'app', reply: (s) => featureStoreReply(ctx, s) },
  );
  const ok = features.code === 200;
  let appMs = callStart - atMs + features.durationMs + (ok ? rng.logNormal(18, 0.3) : rng.uniform(0.5, 2));
  if (ok && plan.active('latency-storm', atMs)) appMs *= rng.uniform(8.5, 11.5);
  ctx.stats.addPrediction(inference, atMs, appMs, ok);
  return ok
    ? { code: 200, appMs, bytesSent: rng.int(110, 170) }
    : { code: 500, appMs, bytesSent: 64 };
}

function frontendScore(ctx: TrafficContext, frontend: PodInfo, atMs: number): ServerReply {
  const { rng, topology } = ctx;
  const inference = pickPod(ctx, 'inference', atMs);
  const callStart = atMs + rng.uniform(0.4, 2.0);
  const result = meshHop(
    ctx,
    {
      caller: frontend,
      service: topology.services.inference,
      server: inference,
      startMs: callStart,
      method: 'POST',
      path: '/v1/models/fraud-detector:predict',
      protocol: 'HTTP/1.1',
      userAgent: FRONTEND_AGENT,
      authority: topology.services.inference.authority,
      bytesReceived: rng.int(900, 1500),
    },
    { kind: 'app', reply: (s) => inferencePredict(ctx, inference, s) },
  );
  const ok = result.code === 200;
  return {
    code: ok ? 200 : 502,
    appMs: callStart - atMs + result.durationMs + rng.uniform(0.3, 1.5),
    bytesSent: ok ? rng.int(190, 270) : 87,
  };
}

function scoreRequest(ctx: TrafficContext, atMs: number, client: ExternalClient): void {
  gatewayRequest(ctx, atMs, client, 'POST', '/api/v1/score', ctx.rng.int(700, 1400), 'frontend-api', (frontend) => ({
    kind: 'app',
    reply: (s) => frontendScore(ctx, frontend, s),
  }));
}

type LoginOutcome = 200 | 401 | 403;

const AUTH_REPLY_BYTES: Record<LoginOutcome, number> = { 200: 0, 401: 58, 403: 64 };
const FRONTEND_LOGIN_BYTES: Record<LoginOutcome, number> = { 200: 0, 401: 52, 403: 61 };

export function loginRequest(ctx: TrafficContext, atMs: number, client: ExternalClient, outcome: LoginOutcome): void {
  const { rng, topology } = ctx;
  gatewayRequest(ctx, atMs, client, 'POST', '/api/v1/login', rng.int(90, 160), 'frontend-api', (frontend) => ({
    kind: 'app',
    reply: (s) => {
      const auth = pickPod(ctx, 'auth', s);
      const callStart = s + rng.uniform(0.3, 1.5);
      const result = meshHop(
        ctx,
        {
          caller: frontend,
          service: topology.services.auth,
          server: auth,
          startMs: callStart,
          method: 'POST',
          path: '/v1/authenticate',
          protocol: 'HTTP/1.1',
          userAgent: FRONTEND_AGENT,
          // frontend forwards the client address so auth can rate-limit and audit per client.
          xForwardedFor: client.ip,
          authority: topology.services.auth.authority,
          bytesReceived: rng.int(110, 190),
        },
        {
          kind: 'app',
          reply: () => ({
            code: outcome,
            // Password hashing dominates, whatever the outcome.
            appMs: rng.logNormal(38, 0.2),
            bytesSent: outcome === 200 ? rng.int(430, 520) : AUTH_REPLY_BYTES[outcome],
          }),
        },
      );
      return {
        code: outcome,
        appMs: callStart - s + result.durationMs + rng.uniform(0.3, 1.2),
        bytesSent: outcome === 200 ? rng.int(380, 470) : FRONTEND_LOGIN_BYTES[outcome],
      };
    },
  }));
}

const STATIC_ASSETS: readonly (readonly [string, number])[] = [
  ['/', 2341],
  ['/static/js/main.4f9c2a71.js', 184552],
  ['/static/css/main.8d2e6b03.css', 23408],
  ['/static/media/logo.3b1f9e2c.svg', 4127],
  ['/favicon.ico', 15086],
];
/** A bundle name from the previous build, still cached by a few browsers. */
const STALE_ASSET = '/static/js/main.1c7d3e55.js';

function staticRequest(ctx: TrafficContext, atMs: number, client: ExternalClient): void {
  const { rng } = ctx;
  const stale = rng.chance(0.004);
  const [path, size] = stale ? [STALE_ASSET, 9] : rng.pick(STATIC_ASSETS);
  const notModified = !stale && path !== '/' && rng.chance(0.3);
  gatewayRequest(ctx, atMs, client, 'GET', path, 0, 'frontend-static', () => ({
    kind: 'app',
    reply: () => ({
      code: stale ? 404 : notModified ? 304 : 200,
      appMs: rng.logNormal(1.8, 0.5),
      bytesSent: notModified ? 0 : size,
    }),
  }));
}

const SCANNER_PATHS = ['/.env', '/wp-login.php', '/.git/config', '/actuator/env', '/phpmyadmin/index.php', '/cgi-bin/luci'];
const SCANNER_AGENTS = ['Mozilla/5.0 zgrab/0.x', 'python-requests/2.28.1', 'curl/7.88.1', 'Mozilla/5.0 (compatible; Odin; https://docs.getodin.com/)'];

/** The benign traffic of the minute starting at `minuteStartMs`. */
export function benignMinute(ctx: TrafficContext, minuteStartMs: number): void {
  const { rng } = ctx;
  const mean = arrivalsPerMinute(minuteStartMs + 30_000) * ctx.arrivalsScale * rng.logNormal(1, 0.08);
  const arrivals = rng.poisson(mean);
  for (let i = 0; i < arrivals; i++) {
    const atMs = minuteStartMs + rng.uniform(0, 60_000);
    const info = ctx.clients.pick(rng);
    const client = asExternal(info);
    const action =
      info.kind === 'api'
        ? rng.weighted([['score', 0.96], ['login', 0.04]] as const)
        : rng.weighted([['static', 0.45], ['login', 0.15], ['score', 0.4]] as const);
    if (action === 'score') {
      scoreRequest(ctx, atMs, client);
    } else if (action === 'static') {
      staticRequest(ctx, atMs, client);
    } else if (info.kind === 'api') {
      loginRequest(ctx, atMs, client, rng.chance(0.004) ? 401 : 200);
    } else if (rng.chance(0.035)) {
      // A mistyped password, usually followed by a successful retry a few seconds later.
      loginRequest(ctx, atMs, client, 401);
      if (rng.chance(0.85)) loginRequest(ctx, atMs + rng.uniform(4_000, 25_000), client, 200);
    } else {
      loginRequest(ctx, atMs, client, 200);
    }
  }
  // Internet background noise: scanners probing paths the gateway has no route for.
  for (let i = rng.poisson(2 / 60); i > 0; i--) {
    const gateway = pickPod(ctx, 'istio-ingressgateway', minuteStartMs);
    const ip = `198.18.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    gatewayNoRoute(ctx, gateway, minuteStartMs + rng.uniform(0, 60_000), ip, 'GET', rng.pick(SCANNER_PATHS), rng.pick(SCANNER_AGENTS));
  }
}
