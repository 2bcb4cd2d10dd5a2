/**
 * The primitives of mesh traffic: one HTTP request between two sidecars (logged by both), one
 * request to a service whose sidecar is not recorded (logged by the client only), and one TCP
 * connection through a sidecar. Addresses, ports, clusters and SNI follow what Istio writes.
 */
import type { AccessLogEntry } from './access-log-entry.js';
import type { MessageBuffer } from './message-buffer.js';
import { type Prng, hash32 } from './prng.js';
import type { PodInfo, ServiceInfo, Topology } from './topology.js';

/** What the generators of one minute share. */
export interface CallContext {
  readonly rng: Prng;
  readonly topology: Pick<Topology, 'publicHost'>;
  readonly buffer: MessageBuffer;
}

/** How the server side of a request answered. */
export interface ServerReply {
  readonly code: number;
  /** Time the application took, milliseconds (fractional). */
  readonly appMs: number;
  readonly bytesSent: number;
  /** Set when the server sidecar itself failed the request (e.g. `UF`). */
  readonly flags?: string | undefined;
  /** RESPONSE_CODE_DETAILS; `via_upstream` when absent. */
  readonly details?: string | undefined;
  /** The sidecar answered without an upstream response: no upstream service time. */
  readonly noUpstreamTime?: boolean | undefined;
}

/** The server's behaviour: an application reply, or an AuthorizationPolicy denial at its sidecar. */
export type ServerBehaviour =
  | { readonly kind: 'app'; readonly reply: (serverStartMs: number) => ServerReply }
  | { readonly kind: 'rbac-deny' };

/** The request a client sends through its sidecar. */
export interface HopRequest {
  readonly caller: PodInfo;
  readonly service: ServiceInfo;
  readonly server: PodInfo;
  readonly startMs: number;
  readonly method: string;
  readonly path: string;
  readonly protocol: string;
  readonly userAgent: string | undefined;
  readonly xForwardedFor?: string | undefined;
  readonly authority: string;
  readonly bytesReceived: number;
  /** Present when the caller is the ingress gateway serving an external client. */
  readonly gateway?: {
    readonly clientIp: string;
    readonly clientPort: number;
    readonly routeName: string;
    readonly requestId: string;
    /** The external client's protocol; `protocol` is then the gateway-to-sidecar one. */
    readonly clientProtocol: string;
  };
}

/** What the client observed. */
export interface HopResult {
  readonly code: number;
  readonly durationMs: number;
  readonly bytesSent: number;
}

const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_COUNT = 60999 - 32768 + 1;
/** Connections between two sidecars are pooled and recycled after a few minutes. */
const CONNECTION_LIFETIME_MS = 4 * 60_000;

/**
 * An ephemeral port for a pooled connection: the same pair of endpoints reuses the same few
 * ports for a while, as keep-alive connection pools do.
 */
export function pooledPort(atMs: number, slot: number, ...parts: string[]): number {
  const key = parts.join('|');
  const phase = hash32(key, 7) % CONNECTION_LIFETIME_MS;
  const epoch = Math.floor((atMs + phase) / CONNECTION_LIFETIME_MS);
  return EPHEMERAL_FIRST + (hash32(`${key}|${slot}|${epoch}`) % EPHEMERAL_COUNT);
}

/** An ephemeral port for a one-off connection. */
export function freshPort(rng: Prng): number {
  return rng.int(EPHEMERAL_FIRST, 60999);
}

function inboundSni(service: ServiceInfo): string {
  return `outbound_.${service.port}_._.${service.fqdn}`;
}

/**
 * One HTTP request from `caller` to `server` through both sidecars: logs the client's outbound
 * line (TEXT, or Istio JSON when the caller is the gateway) and the server's inbound line, with
 * the same request id and matching addresses (the server's downstream remote address is the
 * client's upstream local address).
 */
export function meshHop(ctx: CallContext, req: HopRequest, behaviour: ServerBehaviour): HopResult {
  const { rng, buffer } = ctx;
  const { caller, server, service } = req;
  const slot = rng.int(0, 3);
  const upstreamLocalPort = pooledPort(req.startMs, slot, caller.name, server.name);
  const requestId = req.gateway?.requestId ?? rng.uuid();
  const serverStart = req.startMs + rng.uniform(0.2, 1.2);
  const serverAddress = `${server.ip}:${service.targetPort}`;

  let serverEntry: AccessLogEntry;
  let reply: { code: number; bytesSent: number; serverDurationMs: number };
  if (behaviour.kind === 'rbac-deny') {
    // An AuthorizationPolicy denial is answered by the server sidecar before any cluster is
    // chosen: no flag, no upstream, the policy in the details (samples A8).
    reply = { code: 403, bytesSent: 19, serverDurationMs: 0 };
    serverEntry = {
      startMs: Math.floor(serverStart),
      method: req.method,
      path: req.path,
      protocol: req.protocol,
      responseCode: 403,
      responseCodeDetails: 'rbac_access_denied_matched_policy[none]',
      bytesReceived: 0,
      bytesSent: 19,
      durationMs: 0,
      xForwardedFor: req.xForwardedFor,
      userAgent: req.userAgent,
      requestId,
      authority: req.authority,
      downstreamLocalAddress: serverAddress,
      downstreamRemoteAddress: `${caller.ip}:${upstreamLocalPort}`,
      requestedServerName: inboundSni(service),
    };
  } else {
    const r = behaviour.reply(serverStart);
    const serverDurationMs = Math.round(r.appMs + rng.uniform(0.2, 0.9));
    reply = { code: r.code, bytesSent: r.bytesSent, serverDurationMs };
    serverEntry = {
      startMs: Math.floor(serverStart),
      method: req.method,
      path: req.path,
      protocol: req.protocol,
      responseCode: r.code,
      responseFlags: r.flags,
      responseCodeDetails: r.details ?? 'via_upstream',
      bytesReceived: req.bytesReceived,
      bytesSent: r.bytesSent,
      durationMs: serverDurationMs,
      upstreamServiceTimeMs: r.noUpstreamTime === true ? undefined : Math.min(serverDurationMs, Math.round(r.appMs)),
      xForwardedFor: req.xForwardedFor,
      userAgent: req.userAgent,
      requestId,
      authority: req.authority,
      upstreamHost: serverAddress,
      upstreamCluster: `inbound|${service.targetPort}||`,
      upstreamLocalAddress: `127.0.0.6:${pooledPort(req.startMs, slot, 'inbound', server.name, caller.name)}`,
      downstreamLocalAddress: serverAddress,
      downstreamRemoteAddress: `${caller.ip}:${upstreamLocalPort}`,
      requestedServerName: inboundSni(service),
      routeName: 'default',
    };
  }
  buffer.accessLog(rng, server, serverEntry, 'text');

  const clientDurationMs = reply.serverDurationMs + Math.round(rng.uniform(0.6, 2.4));
  const clientUst = Math.min(clientDurationMs, reply.serverDurationMs + rng.int(0, 1));
  const common = {
    startMs: Math.floor(req.startMs),
    method: req.method,
    path: req.path,
    protocol: req.protocol,
    responseCode: reply.code,
    responseCodeDetails: 'via_upstream',
    bytesReceived: req.bytesReceived,
    bytesSent: reply.bytesSent,
    durationMs: clientDurationMs,
    upstreamServiceTimeMs: clientUst,
    xForwardedFor: req.xForwardedFor,
    userAgent: req.userAgent,
    requestId,
    authority: req.authority,
    upstreamHost: serverAddress,
    upstreamCluster: `outbound|${service.port}||${service.fqdn}`,
    upstreamLocalAddress: `${caller.ip}:${upstreamLocalPort}`,
  } satisfies AccessLogEntry;
  if (req.gateway === undefined) {
    buffer.accessLog(
      rng,
      caller,
      {
        ...common,
        downstreamLocalAddress: `${service.clusterIp}:${service.port}`,
        downstreamRemoteAddress: `${caller.ip}:${pooledPort(req.startMs, slot, 'app', caller.name, service.name)}`,
        routeName: 'default',
      },
      'text',
    );
  } else {
    buffer.accessLog(
      rng,
      caller,
      {
        ...common,
        protocol: req.gateway.clientProtocol,
        downstreamLocalAddress: `${caller.ip}:8443`,
        downstreamRemoteAddress: `${req.gateway.clientIp}:${req.gateway.clientPort}`,
        requestedServerName: ctx.topology.publicHost,
        routeName: req.gateway.routeName,
      },
      'json',
    );
  }
  return { code: reply.code, durationMs: clientDurationMs, bytesSent: reply.bytesSent };
}

/** A request the ingress gateway rejects itself because no route matches (404 NR). */
export function gatewayNoRoute(
  ctx: CallContext,
  gateway: PodInfo,
  startMs: number,
  clientIp: string,
  method: string,
  path: string,
  userAgent: string,
): void {
  const { rng } = ctx;
  ctx.buffer.accessLog(
    rng,
    gateway,
    {
      startMs: Math.floor(startMs),
      method,
      path,
      protocol: 'HTTP/1.1',
      responseCode: 404,
      responseFlags: 'NR',
      responseCodeDetails: 'route_not_found',
      bytesReceived: 0,
      bytesSent: 0,
      durationMs: 0,
      xForwardedFor: clientIp,
      userAgent,
      requestId: rng.uuid(),
      authority: ctx.topology.publicHost,
      downstreamLocalAddress: `${gateway.ip}:8443`,
      downstreamRemoteAddress: `${clientIp}:${freshPort(rng)}`,
      requestedServerName: ctx.topology.publicHost,
    },
    'json',
  );
}

/** A request to a service outside the recorded namespaces: only the client line exists. */
export function unrecordedHop(
  ctx: CallContext,
  req: Omit<HopRequest, 'server' | 'gateway'> & { readonly upstreamHost: string },
  reply: ServerReply,
): HopResult {
  const { rng } = ctx;
  const durationMs = Math.round(reply.appMs + rng.uniform(1.0, 3.0));
  ctx.buffer.accessLog(
    rng,
    req.caller,
    {
      startMs: Math.floor(req.startMs),
      method: req.method,
      path: req.path,
      protocol: req.protocol,
      responseCode: reply.code,
      responseCodeDetails: 'via_upstream',
      bytesReceived: req.bytesReceived,
      bytesSent: reply.bytesSent,
      durationMs,
      upstreamServiceTimeMs: Math.max(0, durationMs - 1),
      xForwardedFor: req.xForwardedFor,
      userAgent: req.userAgent,
      requestId: rng.uuid(),
      authority: req.authority,
      upstreamHost: req.upstreamHost,
      upstreamCluster: `outbound|${req.service.port}||${req.service.fqdn}`,
      upstreamLocalAddress: `${req.caller.ip}:${freshPort(rng)}`,
      downstreamLocalAddress: `${req.service.clusterIp}:${req.service.port}`,
      downstreamRemoteAddress: `${req.caller.ip}:${freshPort(rng)}`,
      routeName: 'default',
    },
    'text',
  );
  return { code: reply.code, durationMs, bytesSent: reply.bytesSent };
}

/** One TCP (TLS pass-through) connection from a pod through its sidecar's outbound listener. */
export interface TcpConnection {
  readonly caller: PodInfo;
  readonly startMs: number;
  /** Bytes the app sent (an upload), counted by the sidecar as received from downstream. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly durationMs: number;
  readonly upstreamHost: string;
  readonly cluster: string;
  readonly destination: string;
  readonly sni: string | undefined;
}

/** Logs a TCP connection: `"- - -"`, response code 0, byte counts and duration only. */
export function tcpConnection(ctx: CallContext, conn: TcpConnection): void {
  const { rng } = ctx;
  ctx.buffer.accessLog(
    rng,
    conn.caller,
    {
      startMs: Math.floor(conn.startMs),
      responseCode: 0,
      bytesReceived: conn.bytesUp,
      bytesSent: conn.bytesDown,
      durationMs: Math.round(conn.durationMs),
      upstreamHost: conn.upstreamHost,
      upstreamCluster: conn.cluster,
      upstreamLocalAddress: `${conn.caller.ip}:${freshPort(rng)}`,
      downstreamLocalAddress: conn.destination,
      downstreamRemoteAddress: `${conn.caller.ip}:${freshPort(rng)}`,
      requestedServerName: conn.sni,
    },
    'text',
  );
}
