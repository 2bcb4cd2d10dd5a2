import type { HttpRoute } from './http-server.js';
import type { EngineMetrics } from './metrics.js';

/** What /readyz reports: ready or not, and each dependency's state in words. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

/** What the service routes answer from. */
export interface ServiceRouteDeps {
  readonly readiness: () => Promise<Readiness>;
  readonly metrics: EngineMetrics;
}

/**
 * /healthz (the process is alive: answered even while backends are down), /readyz (dependencies
 * reachable, with the reason when not) and /metrics (Prometheus). None of them takes a body.
 */
export function serviceRoutes(deps: ServiceRouteDeps): HttpRoute[] {
  const probe = ['GET', 'HEAD'];
  return [
    { path: '/healthz', methods: probe, maxBodyBytes: 0, handle: () => Promise.resolve({ status: 200, body: 'ok\n' }) },
    {
      path: '/readyz', methods: probe, maxBodyBytes: 0,
      handle: async () => {
        const readiness = await deps.readiness();
        return { status: readiness.ready ? 200 : 503, type: 'application/json', body: `${JSON.stringify(readiness)}\n` };
      },
    },
    {
      path: '/metrics', methods: probe, maxBodyBytes: 0,
      handle: async () => ({ status: 200, type: deps.metrics.registry.contentType, body: await deps.metrics.registry.metrics() }),
    },
  ];
}
