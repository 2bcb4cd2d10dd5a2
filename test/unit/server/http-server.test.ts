import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpRoute } from '../../../src/server/http-server.js';
import { silentLogger } from '../../../src/shared/logger.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function listen(routes: HttpRoute[]): Promise<string> {
  server = createHttpServer(routes, silentLogger());
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const echo: HttpRoute = { path: '/echo', methods: ['POST'], maxBodyBytes: 16, handle: (_req, body) => Promise.resolve({ status: 200, body }) };
const probe: HttpRoute = { path: '/probe', methods: ['GET'], maxBodyBytes: 0, handle: () => Promise.resolve({ status: 200, body: 'ok\n' }) };

describe('the HTTP router', () => {
  it('hands a route its body when within the limit, and ignores the query string when routing', async () => {
    const url = await listen([echo, probe]);
    const res = await fetch(`${url}/echo?x=1`, { method: 'POST', body: 'hello' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
    expect((await fetch(`${url}/probe?verbose`)).status).toBe(200);
  });

  it('answers 404, 405 with Allow, and 413 for declared and streamed oversize bodies', async () => {
    const url = await listen([echo, probe]);
    expect((await fetch(`${url}/missing`)).status).toBe(404);
    const wrong = await fetch(`${url}/echo`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await fetch(`${url}/echo`, { method: 'POST', body: 'x'.repeat(17) })).status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode('y'.repeat(40))); c.close(); } });
    expect((await fetch(`${url}/echo`, { method: 'POST', body: stream, duplex: 'half' })).status).toBe(413);
  });

  it('answers 500 without the error text when a route throws', async () => {
    const failing: HttpRoute = { path: '/fail', methods: ['GET'], maxBodyBytes: 0, handle: () => Promise.reject(new Error('token=MARKER in a message')) };
    const url = await listen([failing]);
    const res = await fetch(`${url}/fail`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('MARKER');
  });
});
