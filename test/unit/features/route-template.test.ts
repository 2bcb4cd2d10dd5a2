import { describe, expect, it } from 'vitest';
import { MAX_SEGMENTS, pathTemplate, RouteTemplates, routeTemplate } from '../../../src/features/route-template.js';

describe('routeTemplate', () => {
  it.each([
    ['/v1/users/8812/orders/17', '/v1/users/{n}/orders/{n}'],
    ['/v1/orders/3f9c2a71-4b6e-4f0a-9d2c-1e8b7a6c5d4f', '/v1/orders/{id}'],
    ['/blobs/sha256/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', '/blobs/sha256/{long}'],
    ['/commits/4f9c2a71e3', '/commits/{id}'],
    ['/session/eyJhbGciOiJIUzI1NiJ9abc123', '/session/{token}'],
    ['/static/js/main.4f9c2a71.js', '/static/js/main.{id}.js'],
    ['/v1/models/fraud-detector:predict', '/v1/models/fraud-detector:predict'],
    ['/search?q=1234&page=2', '/search'],
    ['/a/b#frag', '/a/b'],
    ['/', '/'],
    ['', '/'],
    ['/users/%2e%2e/x', '/users/{x}/x'],
    ['/données/1', '/{x}/{n}'],
    ['/api/', '/api'],
    // At the edges of each pattern: a number's sign, an id's 8 characters, a token's 16.
    ['/+12/-3.5/-/+/1.', '/{n}/{n}/-/{x}/1.'],
    ['/deadbee/deadbee1/DEADBEE1/abcdefgh', '/deadbee/{id}/{id}/abcdefgh'],
    ['/a1b2c3d4e5f6g7h/a1b2c3d4e5f6g7h8/aaaaaaaaaaaaaaaa', '/a1b2c3d4e5f6g7h/{token}/aaaaaaaaaaaaaaaa'],
    ['/x.1234567.js/x.12345678.js/x-00ff00ff', '/x.1234567.js/x.{id}.js/x-{id}'],
    ['/a%/b c/ok~', '/{x}/{x}/ok~'],
  ])('%s -> %s', (path, template) => {
    expect(pathTemplate(path)).toBe(template);
  });

  it('keeps the method when it is one and calls any other token OTHER', () => {
    expect(routeTemplate('POST', '/v1/chat')).toBe('POST /v1/chat');
    expect(routeTemplate('X-SPRAY-1', '/v1/chat')).toBe('OTHER /v1/chat');
    expect(routeTemplate(undefined, undefined)).toBe('OTHER /');
  });

  it('bounds what a client can make of a path: depth, segment length and alphabet', () => {
    const deep = `/${Array.from({ length: 50 }, (_, i) => `seg${String.fromCharCode(97 + (i % 26))}`).join('/')}`;
    const template = pathTemplate(deep);
    expect(template.split('/').length - 1).toBe(MAX_SEGMENTS + 1);
    expect(template.endsWith('/{...}')).toBe(true);
    expect(pathTemplate(`/${'a'.repeat(100_000)}`)).toBe('/{long}');
    // The longest template: MAX_SEGMENTS segments of 40 characters and the tail.
    expect(pathTemplate(`/${Array.from({ length: 99 }, () => 'b'.repeat(40)).join('/')}`).length).toBeLessThanOrEqual(MAX_SEGMENTS * 41 + 6);
    expect(pathTemplate('/a|b/c\u0000d/e f')).toBe('/{x}/{x}/{x}');
  });
});

describe('RouteTemplates', () => {
  const paths = ['/v1/users/8812/orders/17', '/static/js/main.4f9c2a71.js', '/search', '/a/b#frag', '/', '', undefined, '/données/1', '/api/'];
  const methods = ['GET', 'POST', 'DELETE', 'X-SPRAY-1', '', undefined];

  it('names every method and path as routeTemplate does, asked once or again', () => {
    const templates = new RouteTemplates();
    for (let round = 0; round < 2; round++) {
      for (const path of paths) for (const method of methods) expect(templates.of(method, path)).toBe(routeTemplate(method, path));
    }
  });

  it('hands out one string per method and path', () => {
    const templates = new RouteTemplates();
    const first = templates.of('GET', '/v1/users/8812');
    expect(templates.of('GET', '/v1/users/8812')).toBe(first);
    expect(templates.of('GET', '/v1/users/17')).toBe('GET /v1/users/{n}');
  });

  it('stays right when a client sprays more distinct paths than it remembers', () => {
    const templates = new RouteTemplates();
    for (let i = 0; i < 10_000; i++) expect(templates.of('GET', `/spray/${i}/x${i}`)).toBe(`GET /spray/{n}/x${i}`);
    expect(templates.of('PUT', '/v1/users/8812')).toBe('PUT /v1/users/{n}');
  });
});
