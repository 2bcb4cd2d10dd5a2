import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../src/features/entity.js';
import { OVERFLOW, RouteTable, authorityName, externalHost } from '../../../src/features/route-table.js';

const WORKLOAD: Entity = { key: 'workload:shop/checkout', kind: 'workload', namespace: 'shop', name: 'checkout', workload: 'checkout' };
const MIN = 60_000;

function table(): RouteTable {
  return new RouteTable({ maxRoutesPerWorkload: 3, maxAuthoritiesPerWorkload: 2, maxWorkloads: 2, idleMs: 30 * MIN });
}

describe('RouteTable', () => {
  it('names a route of a workload by its namespace, workload, method and template', () => {
    expect(table().route(WORKLOAD, 'POST /v1/orders/{n}', 0)).toEqual({
      key: 'route:shop/checkout:POST:/v1/orders/{n}', kind: 'route', name: 'POST /v1/orders/{n}', namespace: 'shop', workload: 'checkout',
    });
    expect(table().authority(WORKLOAD, 'API.Payments.example:443', 0)).toMatchObject({ key: 'authority:shop/checkout->api.payments.example:443', kind: 'authority', workload: 'checkout' });
  });

  it('sends routes beyond the bound to {other}, and keeps those in use however many newcomers come', () => {
    const routes = table();
    for (const r of ['GET /a', 'GET /b', 'GET /c']) expect(routes.route(WORKLOAD, r, 0).name).toBe(r);
    for (let i = 0; i < 1_000; i++) {
      expect(routes.route(WORKLOAD, `GET /spray${i}`, i).name).toBe(OVERFLOW);
      routes.route(WORKLOAD, 'GET /a', i);
    }
    expect(routes.route(WORKLOAD, 'GET /a', 2_000).name).toBe('GET /a');
    expect(routes.size).toBe(3);
  });

  it('gives the place of a route idle for idleMs to the next newcomer', () => {
    const routes = table();
    for (const r of ['GET /a', 'GET /b', 'GET /c']) routes.route(WORKLOAD, r, 0);
    routes.route(WORKLOAD, 'GET /b', 20 * MIN);
    routes.route(WORKLOAD, 'GET /c', 20 * MIN);
    expect(routes.route(WORKLOAD, 'GET /d', 29 * MIN).name).toBe(OVERFLOW);
    expect(routes.route(WORKLOAD, 'GET /d', 31 * MIN).name).toBe('GET /d');
    expect(routes.route(WORKLOAD, 'GET /a', 31 * MIN).name).toBe(OVERFLOW);
  });

  it('forgets the least recently seen workload beyond maxWorkloads', () => {
    const routes = table();
    for (let w = 0; w < 50; w++) routes.route({ ...WORKLOAD, key: `workload:shop/w${w}`, name: `w${w}` }, 'GET /a', w);
    expect(routes.size).toBe(2);
  });

  it('names a route and {other} after the workload asking, also when another entity shares its key', () => {
    const routes = table();
    const renamed: Entity = { key: WORKLOAD.key, kind: 'workload', name: 'checkout-v2', workload: 'checkout-v2' };
    for (const r of ['GET /a', 'GET /b', 'GET /c']) routes.route(WORKLOAD, r, 0);
    expect(routes.route(WORKLOAD, 'GET /a', 1)).toBe(routes.route(WORKLOAD, 'GET /a', 2));
    expect(routes.route(renamed, 'GET /a', 3)).toEqual({ key: 'route:/checkout-v2:GET:/a', kind: 'route', name: 'GET /a', workload: 'checkout-v2' });
    expect(routes.route(WORKLOAD, 'GET /a', 4)).toMatchObject({ key: 'route:shop/checkout:GET:/a', namespace: 'shop' });
    expect(routes.route(WORKLOAD, 'GET /d', 5)).toMatchObject({ key: 'route:shop/checkout:{other}', name: OVERFLOW });
    expect(routes.route(renamed, 'GET /e', 6)).toEqual({ key: 'route:/checkout-v2:{other}', kind: 'route', name: OVERFLOW, workload: 'checkout-v2' });
    expect(routes.authority(WORKLOAD, 'api.example.com', 7)).toBe(routes.authority(WORKLOAD, 'API.example.com', 8));
    expect(routes.authority(renamed, 'api.example.com', 9).key).toBe('authority:/checkout-v2->api.example.com');
  });

  it('names an external host only by a plain DNS name or address', () => {
    expect(authorityName('api.example.com')).toBe('api.example.com');
    expect(authorityName('10.0.0.1:8443')).toBe('10.0.0.1:8443');
    for (const hostile of ['evil.example|x', 'a b', 'x'.repeat(300), 'host\u0000', '-lead.example', '../etc']) expect(authorityName(hostile)).toBe('{x}');
  });

  it('takes an outbound request to a mesh service as no external host', () => {
    expect(externalHost({ destinationService: 'inference.ml-prod.svc.cluster.local' })).toBeUndefined();
    expect(externalHost({ destinationService: 'api.example.com' })).toBe('api.example.com');
    expect(externalHost({ requestedServerName: 'drop.example', upstreamHost: '203.0.113.9:443' })).toBe('drop.example');
    expect(externalHost({ upstreamHost: '203.0.113.9:443' })).toBe('203.0.113.9');
    expect(externalHost({})).toBeUndefined();
  });
});
