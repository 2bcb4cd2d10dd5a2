import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { IncidentSink } from '../../../src/outputs/incident-sink.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');

/** A pipeline with a fixed-threshold egress detector and a quarantine playbook (dry-run), reporting incidents to `sink`. */
export async function incidentPipeline(sink: IncidentSink): Promise<Pipeline> {
  const config = await loadConfig([join(FIXTURES, 'detectors'), join(FIXTURES, 'playbooks')]);
  if (config.problems.length > 0) throw new Error(config.problems.map((p) => p.message).join('\n'));
  return new Pipeline(config.detectors.map((d) => d.value), config.playbooks.map((p) => p.value), { ...DEFAULT_PIPELINE_OPTIONS, collect: false }, {
    deadLetters: { add: (letter) => { throw new Error(`unexpected dead letter: ${letter.reason}`); } },
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
    incidents: sink,
  });
}

/** A sidecar's outbound access-log line of `pod` sending `bytes` upstream, shipped by Fluent Bit with its metadata. */
export function egressLine(pod: { readonly namespace: string; readonly name: string; readonly app: string }, at: number, bytes: number): string {
  const text = `[${new Date(at).toISOString()}] "POST /v1/upload HTTP/1.1" 200 - via_upstream - "-" ${bytes} 20 5 4 "-" "t/1" "r-${at}" "exfil.example.com" "203.0.113.9:443" outbound|443||exfil.example.com 10.42.1.5:40000 203.0.113.9:443 10.42.1.5:39000 - -`;
  return JSON.stringify({ log: text, kubernetes: { namespace_name: pod.namespace, pod_name: pod.name, labels: { app: pod.app } } });
}

let position = 0;

/**
 * Feeds a 5 MB burst from `pod` in the minute starting at `minute`, then small lines two and a half
 * minutes later (three: event time advances once three records confirm it) so the watermark
 * closes that minute: the detector flags it and an incident opens.
 */
export function burst(pipeline: Pipeline, pod: { readonly namespace: string; readonly name: string; readonly app: string }, minute: number): void {
  for (let i = 0; i < 5; i++) pipeline.ingest(egressLine(pod, minute + i * 1_000, 1_000_000), { source: 'test/0', position: position++ });
  for (let i = 0; i < 3; i++) pipeline.ingest(egressLine(pod, minute + 2 * 60_000 + 30_000 + i * 1_000, 10), { source: 'test/0', position: position++ });
}

/** One request a {@link Receiver} got. */
export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A local HTTP receiver that records every request and answers with the next status of `statuses` (then 200). */
export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startReceiver(statuses: readonly number[] = []): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const queue = [...statuses];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = queue.shift() ?? 200;
      res.end(res.statusCode >= 400 ? 'receiver says no' : 'ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { resolve(); });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => { resolve(); });
    }),
  };
}
