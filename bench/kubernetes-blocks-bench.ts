/**
 * What the Kubernetes block cache does to the cost of decoding a Fluent Bit envelope, against
 * `JSON.parse` of the same lines in the same run: with few containers taking turns in a stream
 * (their blocks held), and with more than the cache holds (20,000 in turn: nothing held, the worst
 * case). Only the ratio is meaningful on a shared machine.
 */
import { KubernetesBlocks } from '../src/parse/kubernetes-blocks.js';
import { decodeJsonObject } from '../src/parse/parse-payload.js';

const LINES = 200_000;
const ROUNDS = 3;
const LOG = '[2026-11-02T00:00:07.506Z] "POST /get-online-features HTTP/1.1" 200 - via_upstream - "-" 309 1984 9 9 "-" "python-httpx/0.27.2" "a35e2c84-9eff-4b9d-ac96-526402096353" "feature-store:6566" "10.42.2.164:6566" inbound|6566|| 127.0.0.6:42833 10.42.2.164:6566 10.42.2.224:40764 outbound_.6566_._.feature-store.ml-prod.svc.cluster.local default';

/** A Fluent Bit envelope as the kubernetes filter writes it, for container `n`. */
function envelope(n: number): string {
  return JSON.stringify({
    '@timestamp': 1793577607.546048, time: '2026-11-02T00:00:07.546048757Z', stream: 'stdout', _p: 'F', log: LOG,
    kubernetes: {
      pod_name: `feature-store-blfnn6wbd6-${n.toString(36).padStart(5, '0')}`, namespace_name: 'ml-prod', pod_id: 'bd05df05-f6cd-4b91-bb4a-27cd848f44cd',
      labels: { app: 'feature-store', version: 'v0.40.1', 'pod-template-hash': 'blfnn6wbd6', 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': 'feature-store', 'service.istio.io/canonical-revision': 'v0.40.1' },
      host: 'ip-10-0-3-13.eu-west-1.compute.internal', pod_ip: '10.42.2.164', container_name: 'istio-proxy',
      docker_id: 'e6027d9bc1468ed05ac373f7d30bbffbb34d28a6eebe51da698b4e2b49b9c453',
      container_hash: 'docker.io/istio/proxyv2@sha256:6acf4a57a52e9c65ffe85ff781ab763bcac2a0a06e2494a5b0fdcfa07ae9c0fd', container_image: 'docker.io/istio/proxyv2:1.22.6',
    },
  });
}

/** One row: containers taking turns, and the cost with the cache over the cost without it. */
export interface BlocksBenchRow {
  readonly containers: number;
  readonly plainNsPerLine: number;
  readonly cachedNsPerLine: number;
}

function nsPerLine(lines: readonly string[], decode: (line: string) => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (const line of lines) decode(line);
    best = Math.min(best, ((performance.now() - started) * 1e6) / lines.length);
  }
  return best;
}

export function benchKubernetesBlocks(): BlocksBenchRow[] {
  return [100, 1_500, 20_000].map((containers) => {
    const lines = Array.from({ length: LINES }, (_, i) => envelope(i % containers));
    const plainNsPerLine = nsPerLine(lines, (line) => decodeJsonObject(line, 'the message'));
    // A fresh cache per round would charge it for filling up; one per figure, as a stream has.
    const blocks = new KubernetesBlocks();
    const cachedNsPerLine = nsPerLine(lines, (line) => blocks.decode(line, 'the message'));
    return { containers, plainNsPerLine, cachedNsPerLine };
  });
}
