import { describe, expect, it } from 'vitest';
import { ActionError, MeshwardenError } from '../../../src/shared/errors.js';
import { RetryAbortedError, retryWithBackoff } from '../../../src/shared/retry.js';
import { silentLogger } from '../../../src/shared/logger.js';

const fast = { initialDelayMs: 1, maxDelayMs: 4, maxAttempts: 10 };

describe('retryWithBackoff', () => {
  it('retries an error flagged retriable until the attempt succeeds, reporting each failure', async () => {
    const failures: number[] = [];
    let calls = 0;
    const result = await retryWithBackoff(() => {
      calls++;
      if (calls < 3) return Promise.reject(new ActionError('server', 'Vault is sealed'));
      return Promise.resolve('logged in');
    }, { what: 'logging in', logger: silentLogger(), policy: fast, onFailure: (f) => failures.push(f.attempt) });
    expect(result).toBe('logged in');
    expect(failures).toEqual([1, 2]);
  });

  it('does not retry an error whose retriable flag is false', async () => {
    let calls = 0;
    const denied = new ActionError('auth', 'permission denied');
    await expect(retryWithBackoff(() => { calls++; return Promise.reject(denied); }, { what: 'logging in', logger: silentLogger(), policy: fast })).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('reads the flag a client error carries without one of ours (a refused connection is retriable)', async () => {
    let calls = 0;
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', config: { headers: { 'X-Vault-Token': 'MARKER' } } });
    const error: unknown = await retryWithBackoff(() => { calls++; return Promise.reject(refused); }, { what: 'x', logger: silentLogger(), policy: { ...fast, maxAttempts: 3 } }).catch((e: unknown) => e);
    expect(calls).toBe(3);
    // What is thrown at the end is rebuilt: the request it carried is gone.
    expect(JSON.stringify(error)).not.toContain('MARKER');
  });

  it('backs off exponentially up to the longest delay', async () => {
    const delays: (number | undefined)[] = [];
    await retryWithBackoff(() => Promise.reject(new MeshwardenError('down', 'down', { retriable: true })), {
      what: 'x', logger: silentLogger(), policy: { initialDelayMs: 2, maxDelayMs: 8, maxAttempts: 5 }, random: () => 1,
      onFailure: (f) => delays.push(f.retryInMs),
    }).catch(() => undefined);
    expect(delays).toEqual([2, 4, 8, 8, undefined]);
  });

  it('stops waiting and gives up when its signal aborts', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const pending = retryWithBackoff(() => Promise.reject(new MeshwardenError('down', 'down', { retriable: true })), {
      what: 'connecting to Kafka', logger: silentLogger(), policy: { initialDelayMs: 60_000, maxDelayMs: 60_000, maxAttempts: Infinity }, signal: stop.signal,
    });
    setTimeout(() => { stop.abort(); }, 20);
    await expect(pending).rejects.toBeInstanceOf(RetryAbortedError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
