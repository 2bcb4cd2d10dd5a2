import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KubernetesBlocks, MAX_BLOCK_CHARS, MAX_BLOCKS, MAX_CACHED_CHARS } from '../../../src/parse/kubernetes-blocks.js';
import { decodeJsonObject } from '../../../src/parse/parse-payload.js';
import { parseMessage } from '../../../src/parse/parse-message.js';

const LOG = '[2026-11-02T00:00:07.506Z] "POST /get-online-features HTTP/1.1" 200 - via_upstream - "-" 309 1984 9 9 "-" "python-httpx/0.27.2" "a35e2c84-9eff-4b9d-ac96-526402096353" "feature-store:6566" "10.42.2.164:6566" inbound|6566|| 127.0.0.6:42833 10.42.2.164:6566 10.42.2.224:40764 outbound_.6566_._.feature-store.ml-prod.svc.cluster.local default';

function fluentBitBlock(pod: string, extra: Record<string, string> = {}): Record<string, unknown> {
  return {
    pod_name: pod, namespace_name: 'ml-prod', pod_id: 'bd05df05-f6cd-4b91-bb4a-27cd848f44cd',
    labels: { app: pod.split('-')[0] ?? pod, 'pod-template-hash': 'blfnn6wbd6', ...extra },
    host: 'ip-10-0-3-13.eu-west-1.compute.internal', pod_ip: '10.42.2.164', container_name: 'istio-proxy',
  };
}

/** A Fluent Bit line: the block last. */
function fluentBit(block: Record<string, unknown>, log = LOG): string {
  return JSON.stringify({ '@timestamp': 1793577607.546048, time: '2026-11-02T00:00:07.546048757Z', stream: 'stdout', _p: 'F', log, kubernetes: block });
}

/** A Vector line: the block in the middle. */
function vector(pod: string, message = LOG): string {
  return JSON.stringify({
    file: `/var/log/pods/ml-prod_${pod}/istio-proxy/0.log`,
    kubernetes: { container_name: 'istio-proxy', pod_labels: { app: 'frontend' }, pod_name: pod, pod_namespace: 'ml-prod' },
    message, source_type: 'kubernetes_logs', stream: 'stdout', timestamp: '2026-11-02T00:00:07.754276842Z',
  });
}

/** What decoding gives, as `JSON.parse` of the whole line would say it. */
function decoded(blocks: KubernetesBlocks, text: string): unknown {
  const result = blocks.decode(text, 'the message');
  return 'object' in result ? result.object : result;
}

function plain(text: string): unknown {
  const result = decodeJsonObject(text, 'the message');
  return 'object' in result ? result.object : result;
}

/** A cache holding the blocks of `lines` (a block is held from its second sighting on). */
function primed(...lines: string[]): KubernetesBlocks {
  const blocks = new KubernetesBlocks();
  for (let i = 0; i < 2; i++) for (const line of lines) decoded(blocks, line);
  return blocks;
}

const ALICE = fluentBitBlock('inference-qqmglhkdcx-mhphk');
const ALICE_TEXT = JSON.stringify(ALICE);

describe('Kubernetes blocks of shipper envelopes, parsed once', () => {
  it('gives what JSON.parse gives for Fluent Bit and Vector lines, the first time and every time after', () => {
    const blocks = new KubernetesBlocks();
    const lines = [fluentBit(ALICE), fluentBit(fluentBitBlock('frontend-tbccrjttxs-xgjqj')), vector('frontend-tbccrjttxs-xgjqj'), vector('gateway-7d9f8-abcde')];
    for (let round = 0; round < 3; round++) {
      for (const line of lines) expect(decoded(blocks, line)).toEqual(JSON.parse(line));
    }
    expect(blocks.blocks).toBe(4);
    // Another log line from the same pod reuses the block: the same (shared, frozen) object.
    const a = decoded(blocks, fluentBit(ALICE, 'GET /a')) as { kubernetes: unknown };
    const b = decoded(blocks, fluentBit(ALICE, 'GET /b')) as { kubernetes: unknown };
    expect(a.kubernetes).toBe(b.kubernetes);
    expect(Object.isFrozen(a.kubernetes)).toBe(true);
  });

  it('keeps one pod\'s metadata from being changed by a line that uses it', () => {
    const blocks = primed(fluentBit(ALICE));
    const first = decoded(blocks, fluentBit(ALICE)) as { kubernetes: { labels: Record<string, string> } };
    expect(() => { first.kubernetes.labels.app = 'someone-else'; }).toThrow(TypeError);
    expect((decoded(blocks, fluentBit(ALICE)) as { kubernetes: unknown }).kubernetes).toEqual(ALICE);
  });

  describe('a client cannot make its line carry another pod\'s metadata', () => {
    // Each line holds the exact text of a block the cache knows (ALICE's), somewhere other than as
    // the value of its own top-level `kubernetes` member; JSON.parse reads another pod (or none).
    const cases: Record<string, string> = {
      'a later duplicate member wins in JSON.parse': `{"log":"x","kubernetes":${ALICE_TEXT},"kubernetes":${JSON.stringify(fluentBitBlock('mallory-5f6d7-zzzzz'))}}`,
      'a later duplicate that is a string': `{"log":"x","kubernetes":${ALICE_TEXT},"kubernetes":"kubernetes-block-00000000000000000000000000000000"}`,
      'the block inside a nested object': `{"log":"x","meta":{"kubernetes":${ALICE_TEXT}},"kubernetes":${JSON.stringify(fluentBitBlock('mallory-5f6d7-zzzzz'))}}`,
      'a key that only ends in "kubernetes"': `{"log":"x","a\\"kubernetes":${ALICE_TEXT},"kubernetes":${JSON.stringify(fluentBitBlock('mallory-5f6d7-zzzzz'))}}`,
      'the block written inside the log string': fluentBit(fluentBitBlock('mallory-5f6d7-zzzzz'), `"kubernetes":${ALICE_TEXT}`),
      'no kubernetes member at all': `{"log":"x","labels":{"kubernetes":${ALICE_TEXT}}}`,
    };
    for (const [name, line] of Object.entries(cases)) {
      it(name, () => {
        const blocks = primed(fluentBit(ALICE));
        expect(blocks.blocks).toBe(1);
        expect(decoded(blocks, line)).toEqual(JSON.parse(line));
        expect(decoded(blocks, line)).toEqual(JSON.parse(line));
      });
    }
  });

  it('rejects a broken line holding a known block as a line without it would be rejected', () => {
    const blocks = primed(fluentBit(ALICE));
    expect(blocks.blocks).toBe(1);
    for (const line of [`{"log":"x","kubernetes":${ALICE_TEXT}`, `{"log":"x" "kubernetes":${ALICE_TEXT}}`, `{"log":"x","kubernetes":${ALICE_TEXT}}}`, `{"log":"x\\","kubernetes":${ALICE_TEXT}}`]) {
      expect(decoded(blocks, line)).toEqual(plain(line));
      expect(decoded(blocks, line)).toMatchObject({ kind: 'rejected', code: 'invalid-json' });
    }
  });

  it('gives what JSON.parse gives for any edit of a line whose block it knows', () => {
    const seeds = [fluentBit(ALICE), vector('frontend-tbccrjttxs-xgjqj')];
    const edit = fc.record({
      seed: fc.constantFrom(...seeds),
      at: fc.nat(),
      cut: fc.nat({ max: 40 }),
      insert: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('"', '\\', '}', '{', ',', '"kubernetes":', `"kubernetes":${ALICE_TEXT}`, ',"kubernetes":"x"', '\\"')),
    });
    fc.assert(fc.property(edit, ({ seed, at, cut, insert }) => {
      const blocks = primed(...seeds);
      const i = at % (seed.length + 1);
      const line = seed.slice(0, i) + insert + seed.slice(i + cut);
      expect(decoded(blocks, line)).toEqual(plain(line));
    }), { numRuns: 2_000, seed: 20261207 });
  });

  it('holds a block from its second sighting on, and none that only ever comes once', () => {
    const blocks = new KubernetesBlocks();
    for (let i = 0; i < 1_000; i++) decoded(blocks, fluentBit(fluentBitBlock(`once-${i}-abcde`)));
    expect(blocks.blocks).toBe(0);
    decoded(blocks, fluentBit(ALICE));
    expect(blocks.blocks).toBe(0);
    decoded(blocks, fluentBit(ALICE));
    expect(blocks.blocks).toBe(1);
  });

  it('parses lines whole for a while after a flood of blocks that never come again, then holds blocks again', () => {
    const blocks = new KubernetesBlocks();
    for (let i = 0; i < 3 * MAX_BLOCKS; i++) decoded(blocks, fluentBit(fluentBitBlock(`once-${i}-abcde`)));
    // Resting: a block that now comes again and again is not held at once...
    const line = fluentBit(ALICE);
    for (let i = 0; i < 100; i++) expect(decoded(blocks, line)).toEqual(JSON.parse(line));
    expect(blocks.blocks).toBe(0);
    // ...but once the rest is over (a bounded number of lines later).
    let lines = 100;
    while (blocks.blocks === 0 && lines < 100_000) {
      expect(decoded(blocks, line)).toEqual(JSON.parse(line));
      lines++;
    }
    expect(blocks.blocks).toBe(1);
    expect(lines).toBeLessThan(100_000);
  });

  it('holds a bounded number of blocks and characters however many distinct ones arrive, and none over the size limit', () => {
    const blocks = new KubernetesBlocks();
    for (let i = 0; i < 3 * MAX_BLOCKS; i++) {
      const line = fluentBit(fluentBitBlock(`flood-${i}-abcde`));
      for (let twice = 0; twice < 2; twice++) expect(decoded(blocks, line)).toEqual(JSON.parse(line));
      expect(blocks.blocks).toBeLessThanOrEqual(MAX_BLOCKS);
    }
    expect(blocks.blocks).toBeGreaterThan(0);
    const wide = new KubernetesBlocks();
    const note = 'x'.repeat(MAX_BLOCK_CHARS - 1_000);
    for (let i = 0; i < 2 * MAX_CACHED_CHARS / MAX_BLOCK_CHARS; i++) {
      const line = fluentBit(fluentBitBlock(`wide-${i}-abcde`, { note }));
      for (let twice = 0; twice < 2; twice++) expect(decoded(wide, line)).toEqual(JSON.parse(line));
      expect(wide.blocks * note.length).toBeLessThanOrEqual(MAX_CACHED_CHARS);
    }
    const huge = new KubernetesBlocks();
    const line = fluentBit(fluentBitBlock('big-5f6d7-zzzzz', { note: 'x'.repeat(MAX_BLOCK_CHARS) }));
    for (let twice = 0; twice < 2; twice++) expect(decoded(huge, line)).toEqual(JSON.parse(line));
    expect(huge.blocks).toBe(0);
  });

  it('parses a whole message the same with and without remembered blocks', () => {
    const blocks = primed(fluentBit(ALICE), vector('frontend-tbccrjttxs-xgjqj'));
    const origin = { source: 'test', position: 1 };
    for (const line of [fluentBit(ALICE), fluentBit(ALICE, 'not an access log'), vector('frontend-tbccrjttxs-xgjqj'), vector('frontend-tbccrjttxs-xgjqj')]) {
      expect(parseMessage(line, origin, { blocks })).toEqual(parseMessage(line, origin));
    }
  });
});
