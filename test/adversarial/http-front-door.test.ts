/**
 * The listener `meshwarden serve` runs, attacked from outside: huge streamed bodies on unknown and
 * known routes, and slow-header connections. The engine must answer before reading the body, cut
 * the connection, keep its memory flat and keep answering its health probe.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startServe, type ServeProcess } from './serve-process.js';

const MiB = 1024 * 1024;
const ATTACK_BYTES = 200 * MiB;

let serve: ServeProcess;

beforeAll(async () => {
  // No backend: Kafka is a closed port, so the engine keeps retrying it while the listener serves.
  const kafka = await closedPort();
  const slack = await closedPort();
  serve = await startServe(
    {
      kafka: { brokers: [`127.0.0.1:${kafka}`] },
      slack: { enabled: true, mode: 'http', apiUrl: `http://127.0.0.1:${slack}/api/` },
      http: { headersTimeout: '2s', requestTimeout: '5s' },
    },
    {
      MESHWARDEN_SLACK_BOT_TOKEN: 'xoxb-front-door-test',
      MESHWARDEN_SLACK_SIGNING_SECRET: 'front-door-signing-secret',
      MESHWARDEN_APPROVAL_KEY: 'front-door-approval-key-0123456789abcdef',
    },
  );
  // Code paths load and compile on first use: warm them so the memory baseline is the steady state.
  await streamAttack('/warm-up', { declareLength: true, bytes: 4 * MiB });
  await streamAttack('/slack/interactions', { declareLength: false, bytes: 4 * MiB });
}, 90_000);

afterAll(async () => {
  await serve.stop();
});

interface StreamedAttack {
  readonly status: number;
  /** Bytes the client had produced when the answer arrived. */
  readonly sentBeforeAnswer: number;
  /** Server RSS growth measured right after the answer, in bytes. */
  readonly rssGrowth: number;
}

/**
 * The server's RSS once it has stopped moving (two readings 100 ms apart within 256 KiB, for at
 * most 3 s): the baseline must not catch the server mid-way through a garbage collection or a
 * start-up task that has nothing to do with the request under test.
 */
async function steadyRss(): Promise<number> {
  let previous = serve.rssBytes();
  for (let i = 0; i < 30; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const current = serve.rssBytes();
    if (Math.abs(current - previous) < 256 * 1024) return current;
    previous = current;
  }
  return previous;
}

/**
 * POSTs a 200 MiB body generated lazily (64 KiB at a time, only as fast as the socket takes it)
 * over a raw socket, and records how much had been sent when the first byte of the answer came.
 * A raw socket, because the server closing mid-upload makes an HTTP client report the broken pipe
 * and drop the answer it already received.
 */
async function streamAttack(path: string, options: { readonly declareLength: boolean; readonly bytes?: number }): Promise<StreamedAttack> {
  const total = options.bytes ?? ATTACK_BYTES;
  const baseline = await steadyRss();
  const chunk = Buffer.alloc(64 * 1024, 'A');
  return new Promise((resolve, reject) => {
    const socket = connect(serve.port, '127.0.0.1');
    let sent = 0;
    let answered = false;
    let answer = '';
    const finish = (sentBeforeAnswer: number, rssGrowth: number): void => {
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? 0);
      socket.destroy();
      resolve({ status, sentBeforeAnswer, rssGrowth });
    };
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      if (answered) return;
      answered = true;
      const sentBeforeAnswer = sent;
      const rssGrowth = serve.rssBytes() - baseline;
      // Let the status line complete if it came in pieces.
      setTimeout(() => { finish(sentBeforeAnswer, rssGrowth); }, 50);
    });
    // The server cutting the upload off is the point; it fails the test only with no answer.
    socket.on('error', () => undefined);
    socket.on('close', () => { if (!answered) reject(new Error(`closed without an answer after ${sent} bytes`)); });
    const pump = (): void => {
      while (!answered && !socket.destroyed && sent < total) {
        const piece = options.declareLength ? chunk : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
        sent += chunk.length;
        if (!socket.write(piece)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (sent >= total && !options.declareLength) socket.write('0\r\n\r\n');
    };
    socket.once('connect', () => {
      const framing = options.declareLength ? `content-length: ${total}` : 'transfer-encoding: chunked';
      socket.write(`POST ${path} HTTP/1.1\r\nhost: engine\r\ncontent-type: application/x-www-form-urlencoded\r\n${framing}\r\n\r\n`);
      pump();
    });
  });
}

async function healthy(): Promise<boolean> {
  const res = await fetch(`${serve.url}/healthz`);
  return res.status === 200 && (await res.text()) === 'ok\n';
}

describe('the HTTP front door of meshwarden serve', () => {
  it('answers 404 to a 200 MiB upload on an unknown path before reading it, and its memory stays flat', async () => {
    const attack = await streamAttack('/upload', { declareLength: true });
    expect(attack.status).toBe(404);
    // Loopback socket buffers hold a few MiB; reading the body would have taken all 200.
    expect(attack.sentBeforeAnswer).toBeLessThan(32 * MiB);
    expect(attack.rssGrowth).toBeLessThan(8 * MiB);
    expect(await healthy()).toBe(true);
  });

  it('answers 413 to a 200 MiB upload announced on the Slack route, without reading it', async () => {
    const attack = await streamAttack('/slack/interactions', { declareLength: true });
    expect(attack.status).toBe(413);
    expect(attack.sentBeforeAnswer).toBeLessThan(32 * MiB);
    expect(attack.rssGrowth).toBeLessThan(8 * MiB);
  });

  it('answers 413 to a chunked upload on the Slack route once it passes 64 KiB, not when it ends', async () => {
    const attack = await streamAttack('/slack/interactions', { declareLength: false });
    expect(attack.status).toBe(413);
    expect(attack.sentBeforeAnswer).toBeLessThan(32 * MiB);
    expect(attack.rssGrowth).toBeLessThan(8 * MiB);
  });

  it('answers 405 to a 200 MiB POST on a probe that takes no body', async () => {
    const attack = await streamAttack('/healthz', { declareLength: false });
    expect(attack.status).toBe(405);
    expect(attack.sentBeforeAnswer).toBeLessThan(32 * MiB);
  });

  it('closes the connection after answering, so a refused client cannot keep streaming', async () => {
    const socket = connect(serve.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (data: Buffer) => { answer += data.toString('latin1'); });
    socket.on('error', () => undefined);
    const opened = Date.now();
    const closed = new Promise<number>((resolve) => socket.once('close', () => { resolve(Date.now() - opened); }));
    socket.write(`POST /nowhere HTTP/1.1\r\nhost: x\r\ncontent-length: ${ATTACK_BYTES}\r\n\r\n`);
    const filler = Buffer.alloc(64 * 1024, 'B');
    let sent = 0;
    const pump = setInterval(() => {
      if (!socket.destroyed && sent < ATTACK_BYTES) {
        socket.write(filler);
        sent += filler.length;
      }
    }, 5);
    const closedAfter = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => { resolve(Number.POSITIVE_INFINITY); }, 5_000))]);
    clearInterval(pump);
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    // Cut off a quarter of a second after the answer, not when the 200 MiB would have ended.
    expect(closedAfter).toBeLessThan(2_000);
    socket.destroy();
  });

  it('closes slow-header (slowloris) connections at the header timeout and keeps answering meanwhile', async () => {
    const started = Date.now();
    const sockets = Array.from({ length: 20 }, () => connect(serve.port, '127.0.0.1'));
    const closedAt = sockets.map((socket) => new Promise<number>((resolve) => {
      socket.on('error', () => undefined);
      socket.once('close', () => { resolve(Date.now() - started); });
    }));
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.once('connect', resolve))));
    for (const socket of sockets) socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n');
    // One more header line every 300 ms: each line resets no timer, the headers never finish.
    let n = 0;
    const trickle = setInterval(() => {
      for (const socket of sockets) if (!socket.destroyed) socket.write(`x-slow-${n}: ${n}\r\n`);
      n++;
    }, 300);
    expect(await healthy()).toBe(true);
    const times = await Promise.race([
      Promise.all(closedAt),
      new Promise<number[]>((resolve) => setTimeout(() => { resolve([]); }, 8_000)),
    ]);
    clearInterval(trickle);
    for (const socket of sockets) socket.destroy();
    // headersTimeout is 2 s, checked every second.
    expect(times).toHaveLength(20);
    for (const ms of times) expect(ms).toBeLessThan(4_500);
    expect(await healthy()).toBe(true);
  });
});
