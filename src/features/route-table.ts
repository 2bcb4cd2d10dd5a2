import type { Entity } from './entity.js';
import { hostOf } from './ip-directory.js';
import { BoundedPlaces, type Place } from './bounded-places.js';

/** Bounds of the per-route and per-authority entities. */
export interface RouteTableOptions {
  /** Routes tracked one by one per workload; the others share its `{other}` route. */
  readonly maxRoutesPerWorkload: number;
  /** External hosts tracked one by one per calling workload; the others share `{other}`. */
  readonly maxAuthoritiesPerWorkload: number;
  /** Workloads with routes or authorities tracked; the least recently seen is forgotten first. */
  readonly maxWorkloads: number;
  /** A route or authority without a request for this long gives its place up (ms). */
  readonly idleMs: number;
}

export const DEFAULT_ROUTE_TABLE_OPTIONS: RouteTableOptions = {
  maxRoutesPerWorkload: 32,
  maxAuthoritiesPerWorkload: 32,
  maxWorkloads: 4096,
  idleMs: 30 * 60_000,
};

/** The name of the shared entity of everything beyond the bounds. */
export { OVERFLOW } from './bounded-places.js';

/**
 * Gives each workload's routes and the external hosts it calls an entity of their own, within
 * bounds an attacker cannot grow: the path and the Host a client or a compromised pod sends are
 * theirs to vary, so a workload tracks at most `maxRoutesPerWorkload` routes (after templating,
 * see route-template.ts) and `maxAuthoritiesPerWorkload` hosts; the rest share one `{other}`
 * entity, which is judged like any route. A place is held while it is used: one that has had no
 * request for `idleMs` gives it up to the next newcomer, so paths sprayed once free their places
 * while the routes in real use keep theirs (and their baselines) however many are sprayed.
 *
 * A place keeps the entity it names (built on its first request, not on every line), and hands
 * it out again while the workload it was built for is named the same.
 */
export class RouteTable {
  private readonly routes: BoundedPlaces<Entity>;
  private readonly authorities: BoundedPlaces<Entity>;

  constructor(options: RouteTableOptions = DEFAULT_ROUTE_TABLE_OPTIONS) {
    this.routes = new BoundedPlaces({ maxPerOwner: options.maxRoutesPerWorkload, maxOwners: options.maxWorkloads, idleMs: options.idleMs });
    this.authorities = new BoundedPlaces({ maxPerOwner: options.maxAuthoritiesPerWorkload, maxOwners: options.maxWorkloads, idleMs: options.idleMs });
  }

  /** The route entity of a request `template` (`METHOD /path/{n}`) served by `workload`. */
  route(workload: Entity, template: string, at: number): Entity {
    return entityOf(this.routes.take(workload.key, template, at), workload, routeEntity);
  }

  /** The authority entity of an external `host` called by `workload` (see {@link authorityName}). */
  authority(workload: Entity, host: string, at: number): Entity {
    return entityOf(this.authorities.take(workload.key, authorityName(host), at), workload, authorityEntity);
  }

  /** Places held, routes and authorities together (memory is proportional to it). */
  get size(): number {
    return this.routes.size + this.authorities.size;
  }
}

/**
 * The entity a place names for `workload`: the one it keeps, while it was built for a workload
 * named the same (the places are keyed by the workload's key; its names are what could differ),
 * else a new one, kept.
 */
function entityOf(place: Place<Entity>, workload: Entity, build: (workload: Entity, name: string) => Entity): Entity {
  const known = place.value;
  if (known !== undefined && known.workload === workload.name && known.namespace === workload.namespace) return known;
  return (place.value = build(workload, place.name));
}

function routeEntity(workload: Entity, name: string): Entity {
  return {
    key: `route:${workload.namespace ?? ''}/${workload.name}:${name.replace(' ', ':')}`, kind: 'route', name,
    ...(workload.namespace === undefined ? {} : { namespace: workload.namespace }), workload: workload.name,
  };
}

function authorityEntity(workload: Entity, name: string): Entity {
  return {
    key: `authority:${workload.namespace ?? ''}/${workload.name}->${name}`, kind: 'authority', name,
    ...(workload.namespace === undefined ? {} : { namespace: workload.namespace }), workload: workload.name,
  };
}

/** Longest host name DNS allows. */
const MAX_HOST_CHARS = 253;
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/;

/**
 * An external host as an entity names it: lowercased, and `{x}` unless it is a plain DNS name or
 * address (with an optional port) of at most 253 characters. The Host, SNI or authority of an
 * outbound request is the calling pod's to write: nothing else reaches a key, a log or evidence.
 */
export function authorityName(host: string): string {
  const lower = host.toLowerCase();
  return lower.length <= MAX_HOST_CHARS && HOST.test(lower) ? lower : '{x}';
}

const IN_MESH = /^[^.]+\.[^.]+\.svc(\.|$)/;

/**
 * The external host an outbound request went to, or undefined when it stayed in the mesh (its
 * callee has a workload of its own) or names no host.
 */
export function externalHost(r: { readonly destinationService?: string; readonly requestedServerName?: string; readonly authority?: string; readonly upstreamHost?: string }): string | undefined {
  const service = r.destinationService;
  if (service !== undefined) return IN_MESH.test(service) ? undefined : service;
  return r.requestedServerName ?? r.authority ?? hostOf(r.upstreamHost);
}
