import { request } from 'node:https';

/** Where and as whom {@link kubeRequest} talks to the API server. */
export interface KubeHttpTarget {
  readonly server: string;
  readonly token: string;
  /** PEM bundle to verify the server; `undefined` skips verification (only before the CA is known). */
  readonly ca: string | undefined;
}

/** Status and parsed JSON body (or `undefined` when the body is not JSON). */
export interface KubeHttpResponse {
  readonly status: number;
  readonly body: unknown;
}

/**
 * One JSON request to the API server over plain `node:https`. The global
 * setup uses this instead of @kubernetes/client-node so that bringing the
 * cluster up does not depend on the client library the tests exercise.
 */
export function kubeRequest(target: KubeHttpTarget, method: string, path: string, body?: unknown): Promise<KubeHttpResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${target.server}${path}`,
      {
        method,
        headers: {
          authorization: `Bearer ${target.token}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(target.ca === undefined ? { rejectUnauthorized: false } : { ca: target.ca }),
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text) as unknown;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
