/**
 * The activity of each injected incident while it is under way, one minute at a time: credential
 * stuffing at the login, exfiltration to an outside host, and a pod probing what it should not
 * reach (the incidents that change benign traffic instead live in traffic.ts).
 */
import type { IncidentKind } from './incident-schedule.js';
import { meshHop, tcpConnection, unrecordedHop } from './mesh-calls.js';
import { ATTACKER_IP, EXFIL_IP, EXFIL_SNI } from './topology.js';
import { loginRequest, pickPod, type TrafficContext } from './traffic.js';

/** Random times (about `mean` per minute) in the minute at which an incident of `kind` is under way. */
function incidentTimes(ctx: TrafficContext, minuteStartMs: number, kind: IncidentKind, mean: number): number[] {
  const times: number[] = [];
  if (!ctx.plan.overlaps(kind, minuteStartMs, minuteStartMs + 60_000)) return times;
  for (let i = ctx.rng.poisson(mean); i > 0; i--) {
    const atMs = minuteStartMs + ctx.rng.uniform(0, 60_000);
    if (ctx.plan.active(kind, atMs)) times.push(atMs);
  }
  return times;
}

// Credential-stuffing tools rotate user agents to look like browsers.
const STUFFING_AGENTS = [
  'python-requests/2.31.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/117.0.0.0 Safari/537.36',
];

function credentialStuffingMinute(ctx: TrafficContext, minuteStartMs: number): void {
  const { rng } = ctx;
  for (const atMs of incidentTimes(ctx, minuteStartMs, 'credential-stuffing', 55)) {
    const outcome = rng.weighted([[401, 0.92], [403, 0.06], [200, 0.02]] as const);
    loginRequest(ctx, atMs, { ip: ATTACKER_IP, userAgent: rng.pick(STUFFING_AGENTS), protocol: 'HTTP/1.1' }, outcome);
  }
}

function exfiltrationMinute(ctx: TrafficContext, minuteStartMs: number): void {
  const { rng, plan } = ctx;
  for (const atMs of incidentTimes(ctx, minuteStartMs, 'exfiltration', 2.4)) {
    // Archives of a few MB each: never less than 2 MB.
    const bytesUp = 2_000_000 + Math.round(rng.logNormal(4_000_000, 0.4));
    tcpConnection(ctx, {
      caller: plan.exfilPod,
      startMs: atMs,
      bytesUp,
      bytesDown: rng.int(4200, 9800),
      durationMs: (bytesUp / rng.uniform(3e6, 9e6)) * 1000 + rng.uniform(80, 300),
      upstreamHost: `${EXFIL_IP}:443`,
      cluster: 'PassthroughCluster',
      destination: `${EXFIL_IP}:443`,
      sni: EXFIL_SNI,
    });
  }
}

const VAULT_PROBES: readonly (readonly [string, string, number, number])[] = [
  // method, path, status, response bytes
  ['GET', '/v1/sys/health', 200, 294],
  ['GET', '/v1/sys/mounts', 403, 34],
  ['GET', '/v1/secret/data/ml-prod/feature-store', 403, 34],
  ['LIST', '/v1/auth/kubernetes/role', 403, 34],
  ['POST', '/v1/auth/kubernetes/login', 400, 42],
];
const FEATURE_STORE_PROBES: readonly (readonly [string, string])[] = [
  ['GET', '/list-feature-views'],
  ['GET', '/list-entities'],
  ['POST', '/get-online-features'],
];

function lateralMovementMinute(ctx: TrafficContext, minuteStartMs: number): void {
  const { rng, plan, topology } = ctx;
  const caller = plan.lateralPod;
  for (const atMs of incidentTimes(ctx, minuteStartMs, 'lateral-movement', 7)) {
    const target = rng.weighted([['feature-store', 0.4], ['vault', 0.35], ['kubernetes', 0.25]] as const);
    if (target === 'feature-store') {
      const [method, path] = rng.pick(FEATURE_STORE_PROBES);
      meshHop(
        ctx,
        {
          caller,
          service: topology.services.featureStore,
          server: pickPod(ctx, 'feature-store', atMs),
          startMs: atMs,
          method,
          path,
          protocol: 'HTTP/1.1',
          userAgent: 'python-requests/2.31.0',
          authority: topology.services.featureStore.fqdn + ':6566',
          bytesReceived: method === 'POST' ? rng.int(200, 400) : 0,
        },
        // feature-store's AuthorizationPolicy only allows the inference service account.
        { kind: 'rbac-deny' },
      );
    } else if (target === 'vault') {
      const [method, path, code, bytes] = rng.pick(VAULT_PROBES);
      unrecordedHop(
        ctx,
        {
          caller,
          service: topology.services.vault,
          startMs: atMs,
          method,
          path,
          protocol: 'HTTP/1.1',
          userAgent: 'curl/8.5.0',
          authority: topology.services.vault.authority,
          bytesReceived: method === 'POST' ? rng.int(900, 1200) : 0,
          upstreamHost: topology.unrecordedEndpoints.vault,
        },
        { code, appMs: rng.logNormal(2.5, 0.4), bytesSent: bytes },
      );
    } else {
      tcpConnection(ctx, {
        caller,
        startMs: atMs,
        bytesUp: rng.int(900, 2400),
        bytesDown: rng.int(3000, 12000),
        durationMs: rng.uniform(15, 120),
        upstreamHost: topology.unrecordedEndpoints.kubernetes,
        cluster: `outbound|443||${topology.services.kubernetes.fqdn}`,
        destination: `${topology.services.kubernetes.clusterIp}:443`,
        // Client libraries configured from KUBERNETES_SERVICE_HOST dial the IP and send no SNI.
        sni: rng.chance(0.5) ? topology.services.kubernetes.authority : undefined,
      });
    }
  }
}

/** The incident activity (the part that is not a change of behaviour of benign traffic). */
export function incidentMinute(ctx: TrafficContext, minuteStartMs: number): void {
  credentialStuffingMinute(ctx, minuteStartMs);
  exfiltrationMinute(ctx, minuteStartMs);
  lateralMovementMinute(ctx, minuteStartMs);
}
