import { describe, expect, it } from 'vitest';
import { kubeActionError, reasonForKubeStatus, statusMessage } from '../../../../src/actions/kubernetes/kube-errors.js';
import { ActionError } from '../../../../src/shared/errors.js';

/** The shape @kubernetes/client-node's ApiException has: a numeric code, a body, headers. */
function apiException(code: number, body: unknown): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body, headers: {} });
}

const status = (code: number, message: string): string =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });

describe('reasonForKubeStatus', () => {
  it.each([
    [401, 'auth'], [403, 'auth'], [400, 'client'], [404, 'client'], [422, 'client'], [409, 'conflict'],
    [429, 'rate-limited'], [408, 'timeout'], [504, 'timeout'], [500, 'server'], [503, 'server'],
  ] as const)('maps HTTP %i to %s', (code, reason) => {
    expect(reasonForKubeStatus(code)).toBe(reason);
  });
});

describe('kubeActionError', () => {
  it('names the call and quotes the API server message from a JSON text body', () => {
    const error = kubeActionError('read pod ml/x', apiException(404, status(404, 'pods "x" not found')));
    expect(error.reason).toBe('client');
    expect(error.retriable).toBe(false);
    expect(error.message).toBe('read pod ml/x: HTTP 404 pods "x" not found');
  });

  it('reads the message from an already parsed body, and marks 429 retriable', () => {
    const error = kubeActionError('patch deployment ml/x', apiException(429, { message: 'too many requests' }));
    expect(error.reason).toBe('rate-limited');
    expect(error.retriable).toBe(true);
    expect(error.message).toBe('patch deployment ml/x: HTTP 429 too many requests');
  });

  it('reports a conflict as non-retriable conflict (the action re-reads and decides)', () => {
    const error = kubeActionError('patch pod ml/x', apiException(409, status(409, 'the object has been modified')));
    expect([error.reason, error.retriable]).toEqual(['conflict', false]);
  });

  it('maps refused connections to server and connect timeouts to timeout, both retriable', () => {
    const refused = kubeActionError('list pods', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }));
    const timedOut = kubeActionError('list pods', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) }));
    expect([refused.reason, refused.retriable]).toEqual(['server', true]);
    expect(refused.message).toBe('list pods: the API server could not be reached (ECONNREFUSED)');
    expect([timedOut.reason, timedOut.retriable]).toEqual(['timeout', true]);
  });

  it('maps an aborted request, or any failure once the signal aborted, to timeout', () => {
    const aborted = new DOMException('This operation was aborted', 'AbortError');
    expect(kubeActionError('read pod', aborted).reason).toBe('timeout');
    expect(kubeActionError('read pod', new Error('socket hang up'), AbortSignal.abort()).reason).toBe('timeout');
  });

  it('passes an ActionError through unchanged', () => {
    const original = new ActionError('refused', 'paused');
    expect(kubeActionError('x', original)).toBe(original);
  });
});

describe('statusMessage', () => {
  it('is undefined for bodies that are not a Status', () => {
    expect(statusMessage('<html>bad gateway</html>')).toBeUndefined();
    expect(statusMessage({ message: '' })).toBeUndefined();
    expect(statusMessage(undefined)).toBeUndefined();
  });
});
