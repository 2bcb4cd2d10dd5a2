import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/audit/ledger.js';
import { parseLedgerKey } from '../../../src/audit/ledger-signer.js';
import { verifyLedger } from '../../../src/audit/verify-ledger.js';
import { silenceCommand } from '../../../src/cli/silence-command.js';
import { silenceStory } from '../../../src/console/silence-story.js';
import { FileSilenceStore } from '../../../src/silences/file-silence-store.js';
import { ManualClock } from '../../../src/shared/clock.js';

const T0 = Date.UTC(2026, 10, 3, 9, 0);

interface LedgerLine { readonly seq: number; readonly type: string; readonly data: Record<string, unknown> }

function ledgerLines(state: string): LedgerLine[] {
  return readFileSync(join(state, 'audit', 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerLine);
}

/** `meshwarden silence ...` in-process, with a manual clock; what it printed. */
async function silence(clock: ManualClock, ...args: string[]): Promise<string> {
  let printed = '';
  await silenceCommand(clock, (text) => { printed += text; }).parseAsync(args, { from: 'user' });
  return printed;
}

describe('meshwarden silence add|expire on a state directory', () => {
  it('records who added the silence (author and OS user), its matchers, start, end, comment and id, and who expired it; the ledger still verifies', async () => {
    const state = mkdtempSync(join(tmpdir(), 'meshwarden-silence-ledger-'));
    const clock = new ManualClock(T0);
    const id = (await silence(clock, 'add', '--state-dir', state, '-m', 'detector=egress-spike', '-m', 'namespace=~ml-.*', '--duration', '4h', '--comment', 'nightly backup', '--author', 'alice')).trim();
    clock.advance(30 * 60_000);
    expect(await silence(clock, 'expire', id, '--state-dir', state, '--author', 'bob')).toBe(`expired ${id} at ${new Date(T0 + 30 * 60_000).toISOString()}\n`);

    const records = ledgerLines(state);
    expect(records.map((r) => [r.type, r.data.event])).toEqual([['decision', 'silence-created'], ['decision', 'silence-expired']]);
    expect(records[0]?.data).toEqual({
      event: 'silence-created', id, matchers: ['detector=egress-spike', 'namespace=~ml-.*'],
      startsAt: new Date(T0).toISOString(), endsAt: new Date(T0 + 4 * 3_600_000).toISOString(), createdAt: new Date(T0).toISOString(),
      createdBy: 'alice', comment: 'nightly backup', via: 'state-dir', osUser: userInfo().username,
    });
    expect(records[1]?.data).toMatchObject({
      event: 'silence-expired', id, expiredBy: 'bob', expiredAt: new Date(T0 + 30 * 60_000).toISOString(), endsAt: new Date(T0 + 30 * 60_000).toISOString(),
      createdBy: 'alice', comment: 'nightly backup', via: 'state-dir', osUser: userInfo().username,
    });
    // The store agrees with the record.
    expect((await new FileSilenceStore(state, clock).list()).map((s) => [s.id, s.endsAt, s.expiredBy])).toEqual([[id, T0 + 30 * 60_000, 'bob']]);
    await expect(verifyLedger(join(state, 'audit'))).resolves.toMatchObject({ ok: true, records: 2 });
    const story = await silenceStory(join(state, 'audit', 'ledger.jsonl'), id);
    expect(story?.entries.map((e) => e.summary)).toEqual([
      `silence ${id} added by alice (state-dir, OS user ${userInfo().username}): detector=egress-spike namespace=~ml-.*, ${new Date(T0).toISOString()} .. ${new Date(T0 + 4 * 3_600_000).toISOString()}: nightly backup`,
      `silence ${id} expired by bob (state-dir, OS user ${userInfo().username}) at ${new Date(T0 + 30 * 60_000).toISOString()}: detector=egress-spike namespace=~ml-.*`,
    ]);
  });

  it('extends a signed ledger only with its key, and changes nothing when the key is missing', async () => {
    const state = mkdtempSync(join(tmpdir(), 'meshwarden-silence-signed-'));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyFile = join(state, '..', `${state.split('/').pop() ?? 'k'}.pem`);
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
    const clock = new ManualClock(T0);
    // The run that made the state directory signed its ledger.
    const signer = parseLedgerKey(readFileSync(keyFile), 'the key').signer;
    if (signer === undefined) throw new Error('a private key signs');
    const run = await Ledger.open(join(state, 'audit'), clock, { signer });
    run.append('run', { event: 'started' });
    await run.flush();

    await expect(silence(clock, 'add', '--state-dir', state, '-m', 'pod=inference-0', '--comment', 'maintenance')).rejects.toMatchObject({ code: 'ledger-key-missing' });
    await expect(new FileSilenceStore(state, clock).list()).resolves.toEqual([]);

    const id = (await silence(clock, 'add', '--state-dir', state, '-m', 'pod=inference-0', '--comment', 'maintenance', '--ledger-key', keyFile)).trim();
    expect(ledgerLines(state).map((r) => r.data.event)).toEqual(['started', 'silence-created']);
    const verifier = parseLedgerKey(Buffer.from(publicKey.export({ format: 'pem', type: 'spki' }).toString()), 'public').verifier;
    await expect(verifyLedger(join(state, 'audit'), { verifier })).resolves.toMatchObject({ ok: true, records: 2, signing: 'verified', signedThrough: 2 });
    expect((await new FileSilenceStore(state, clock).list()).map((s) => s.id)).toEqual([id]);
  });

  it('sends changes to the cluster\'s silences through the service, never straight to the ConfigMap', async () => {
    const clock = new ManualClock(T0);
    await expect(silence(clock, 'add', '--kubeconfig', '/nonexistent/kubeconfig', '-m', 'pod=x', '--comment', 'c')).rejects.toThrow('added and expired through the service, which records each change in its audit ledger: use --server');
    await expect(silence(clock, 'expire', 'abc', '--in-cluster')).rejects.toThrow('use --server <url> --token-file <file>');
    await expect(silence(clock, 'add', '--server', 'http://127.0.0.1:1', '-m', 'pod=x', '--comment', 'c')).rejects.toThrow('--server needs --token-file');
  });
});
