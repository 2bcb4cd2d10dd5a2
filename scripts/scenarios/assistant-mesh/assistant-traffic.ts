/**
 * One minute of the assistant mesh's traffic: chats through the gateway, each fanning out to the
 * retriever (embedder, vector-db) and the llm-router (the external provider), logins, benign
 * retries and timeouts, and the injected incidents' traffic.
 */
import { type CallContext, type HopResult, type ServerReply, meshHop, tcpConnection } from '../../recording/mesh-calls.js';
import type { PodInfo } from '../../recording/topology.js';
import { CACHE_FQDN, DROP_HOST, DROP_IP, PROVIDER_HOST, PUBLIC_HOST, type AssistantTopology, podsOf } from './assistant-topology.js';
import { SCHEDULE, exfiltratingPod, stuffingSources, within } from './assistant-schedule.js';

/** Chats per minute at the weekday peak (14:00 UTC). */
const PEAK_CHATS = 14;
const WEEKEND_SHARE = 0.45;
const PROVIDER_IP = '192.0.2.80';
const CACHE_ADDRESS = '10.96.40.20:6379';

/** Embedding calls served in one minute, per pod, for the model telemetry. */
export type EmbedderMinute = Map<PodInfo, number[]>;

/** What the generators of one minute share. */
export interface AssistantContext extends CallContext {
  readonly mesh: AssistantTopology;
  /** Offset of the minute from the start of the scenario. */
  readonly offsetMs: number;
  readonly embeds: EmbedderMinute;
  /** Queries each retriever pod served in the minute (its reranker scores their passages). */
  readonly queries: Map<PodInfo, number>;
}

/** Expected chats in the minute starting at `atMs`: a daily rhythm, quieter at the weekend. */
export function chatsPerMinute(atMs: number): number {
  const hour = (atMs / 3_600_000) % 24;
  const day = new Date(atMs).getUTCDay();
  const daily = 0.15 + 0.85 * Math.max(0, Math.cos(((hour - 14) / 24) * 2 * Math.PI)) ** 2;
  return PEAK_CHATS * daily * (day === 0 || day === 6 ? WEEKEND_SHARE : 1);
}

function reply(code: number, appMs: number, bytesSent: number): ServerReply {
  return { code, appMs, bytesSent };
}

/** The benign traffic of one minute (and the outage, which is in the same calls). */
export function assistantMinute(ctx: AssistantContext, minuteStart: number): void {
  const { rng, mesh } = ctx;
  const expected = chatsPerMinute(minuteStart) * rng.logNormal(1, 0.15);
  const chats = rng.poisson(expected);
  for (let i = 0; i < chats; i++) {
    const at = minuteStart + rng.uniform(0, 59_000);
    const client = rng.pick(mesh.clients);
    if (rng.chance(1 / 8)) login(ctx, at, client.ip, client.userAgent, rng.chance(0.03) ? 401 : 200);
    chat(ctx, at + rng.uniform(200, 900), client.ip, client.userAgent);
  }
}

function gatewayRequest(ctx: AssistantContext, at: number, clientIp: string, path: string, bytesIn: number, serve: (serverStart: number, chatPod: PodInfo) => ServerReply, userAgent: string): HopResult {
  const { rng, mesh } = ctx;
  const gateway = rng.pick(podsOf(mesh, 'istio-ingressgateway', at));
  const server = rng.pick(podsOf(mesh, 'chat-api', at));
  return meshHop(ctx, {
    caller: gateway, service: mesh.services.chat, server, startMs: at,
    method: 'POST', path, protocol: 'HTTP/1.1', userAgent, xForwardedFor: clientIp, authority: PUBLIC_HOST, bytesReceived: bytesIn,
    gateway: { clientIp, clientPort: rng.int(20_000, 65_000), routeName: 'assistant-public', requestId: rng.uuid(), clientProtocol: 'HTTP/2' },
  }, { kind: 'app', reply: (serverStart) => serve(serverStart, server) });
}

function login(ctx: AssistantContext, at: number, clientIp: string, userAgent: string, code: number): void {
  gatewayRequest(ctx, at, clientIp, '/v1/session', ctx.rng.int(180, 260), () => reply(code, ctx.rng.logNormal(35, 0.3), code === 200 ? 420 : 64), userAgent);
}

function chat(ctx: AssistantContext, at: number, clientIp: string, userAgent: string): void {
  const { rng } = ctx;
  gatewayRequest(ctx, at, clientIp, '/v1/chat', rng.int(400, 2_400), (serverStart, chatPod) => {
    const retrieved = retrieve(ctx, chatPod, serverStart + rng.uniform(1, 3));
    if (retrieved.code >= 500) return reply(502, retrieved.durationMs + rng.uniform(1, 4), 96);
    const completed = complete(ctx, chatPod, serverStart + retrieved.durationMs + rng.uniform(1, 3));
    if (completed.code >= 500) return { code: 504, appMs: retrieved.durationMs + completed.durationMs + 2, bytesSent: 24 };
    return reply(200, retrieved.durationMs + completed.durationMs + rng.uniform(3, 9), completed.bytesSent + rng.int(200, 600));
  }, userAgent);
}

function retrieve(ctx: AssistantContext, caller: PodInfo, at: number): HopResult {
  const { rng, mesh } = ctx;
  const server = rng.pick(podsOf(mesh, 'retriever', at));
  // A rare connection reset before the response: the client sees a 503 (benign background noise).
  const reset = rng.chance(0.003);
  return meshHop(ctx, {
    caller, service: mesh.services.retriever, server, startMs: at, method: 'POST', path: '/search', protocol: 'HTTP/1.1',
    userAgent: 'python-httpx/0.27.2', authority: mesh.services.retriever.authority, bytesReceived: rng.int(300, 1_200),
  }, {
    kind: 'app',
    reply: (serverStart) => {
      if (reset) return { code: 503, appMs: rng.uniform(1, 5), bytesSent: 95, flags: 'UC', details: 'upstream_reset_before_response_started{connection_termination}', noUpstreamTime: true };
      ctx.queries.set(server, (ctx.queries.get(server) ?? 0) + 1);
      const embedded = embed(ctx, server, serverStart + rng.uniform(0.5, 2));
      const searched = search(ctx, server, serverStart + embedded.durationMs + rng.uniform(0.5, 2));
      if (searched.code >= 500) return reply(502, embedded.durationMs + searched.durationMs + 2, 80);
      return reply(200, embedded.durationMs + searched.durationMs + rng.uniform(2, 6), rng.int(6_000, 18_000));
    },
  });
}

function embed(ctx: AssistantContext, caller: PodInfo, at: number): HopResult {
  const { rng, mesh } = ctx;
  const server = rng.pick(podsOf(mesh, 'embedder', at));
  const regressed = within(ctx.offsetMs, SCHEDULE.latencyRegression) && mesh.rollouts.embedder.newPods.includes(server);
  const appMs = rng.logNormal(28, 0.25) * (regressed ? 2.3 : 1);
  const list = ctx.embeds.get(server) ?? [];
  list.push(appMs);
  ctx.embeds.set(server, list);
  return meshHop(ctx, {
    caller, service: mesh.services.embedder, server, startMs: at, method: 'POST', path: '/v1/embed', protocol: 'HTTP/1.1',
    userAgent: 'python-httpx/0.27.2', authority: mesh.services.embedder.authority, bytesReceived: rng.int(200, 900),
  }, { kind: 'app', reply: () => reply(200, appMs, rng.int(3_000, 3_200)) });
}

function search(ctx: AssistantContext, caller: PodInfo, at: number): HopResult {
  const { rng, mesh } = ctx;
  const server = rng.pick(podsOf(mesh, 'vector-db', at));
  const outage = within(ctx.offsetMs, SCHEDULE.dependencyOutage) && rng.chance(0.6);
  return meshHop(ctx, {
    caller, service: mesh.services.vectorDb, server, startMs: at, method: 'POST', path: '/collections/docs/points/search', protocol: 'HTTP/1.1',
    userAgent: 'qdrant-client/1.12.1', authority: mesh.services.vectorDb.authority, bytesReceived: rng.int(3_100, 3_400),
  }, { kind: 'app', reply: () => (outage ? reply(503, rng.uniform(1, 3), 41) : reply(200, rng.logNormal(9, 0.3), rng.int(2_000, 9_000))) });
}

function complete(ctx: AssistantContext, caller: PodInfo, at: number): HopResult {
  const { rng, mesh } = ctx;
  const server = rng.pick(podsOf(mesh, 'llm-router', at));
  // The provider sometimes runs past the route's 30 s timeout: a 504 UT (benign background noise).
  const timeout = rng.chance(0.002);
  return meshHop(ctx, {
    caller, service: mesh.services.router, server, startMs: at, method: 'POST', path: '/v1/complete', protocol: 'HTTP/1.1',
    userAgent: 'python-httpx/0.27.2', authority: mesh.services.router.authority, bytesReceived: rng.int(6_000, 20_000),
  }, {
    kind: 'app',
    reply: (serverStart) => {
      if (timeout) return { code: 504, appMs: 30_000, bytesSent: 24, flags: 'UT', details: 'response_timeout', noUpstreamTime: true };
      const llmMs = rng.logNormal(900, 0.4);
      const upgraded = mesh.rollouts.router.newPods.includes(server);
      if (upgraded) {
        tcpConnection(ctx, {
          caller: server, startMs: serverStart + 0.5, bytesUp: rng.int(300, 900), bytesDown: rng.int(200, 4_000), durationMs: rng.uniform(1, 3),
          upstreamHost: '10.60.3.90:6379', cluster: `outbound|6379||${CACHE_FQDN}`, destination: CACHE_ADDRESS, sni: undefined,
        });
      }
      tcpConnection(ctx, {
        caller: server, startMs: serverStart + 2, bytesUp: rng.int(7_000, 22_000), bytesDown: rng.int(1_500, 6_000), durationMs: llmMs,
        upstreamHost: `${PROVIDER_IP}:443`, cluster: `outbound|443||${PROVIDER_HOST}`, destination: `${PROVIDER_IP}:443`, sni: PROVIDER_HOST,
      });
      return reply(200, llmMs + rng.uniform(3, 8), rng.int(1_500, 6_000));
    },
  });
}

/** The injected incidents' own traffic in this minute (the outage and the regression live in the calls above). */
export function incidentMinute(ctx: AssistantContext, minuteStart: number): void {
  const { rng, mesh, offsetMs } = ctx;
  if (within(offsetMs, SCHEDULE.distributedStuffing)) {
    const agents = ['python-requests/2.32.3', 'curl/8.5.0', 'Go-http-client/2.0', 'okhttp/4.12.0'];
    for (const ip of stuffingSources()) {
      const attempts = rng.int(2, 3);
      for (let i = 0; i < attempts; i++) login(ctx, minuteStart + rng.uniform(0, 59_000), ip, rng.pick(agents), rng.chance(0.01) ? 200 : 401);
    }
  }
  if (within(offsetMs, SCHEDULE.slowExfiltration)) {
    const pod = exfiltratingPod(mesh);
    const progress = (offsetMs - SCHEDULE.slowExfiltration.from) / (SCHEDULE.slowExfiltration.to - SCHEDULE.slowExfiltration.from);
    const perMinute = 400_000 + progress * 3_600_000;
    const connections = 1 + Math.floor(progress * 3);
    for (let i = 0; i < connections; i++) {
      tcpConnection(ctx, {
        caller: pod, startMs: minuteStart + rng.uniform(0, 55_000), bytesUp: Math.round((perMinute / connections) * rng.uniform(0.85, 1.15)),
        bytesDown: rng.int(3_000, 6_000), durationMs: rng.uniform(800, 4_000),
        upstreamHost: `${DROP_IP}:443`, cluster: 'PassthroughCluster', destination: `${DROP_IP}:443`, sni: DROP_HOST,
      });
    }
  }
}
