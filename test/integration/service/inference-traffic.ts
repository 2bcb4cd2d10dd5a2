/** Inference traffic the service tests feed: Fluent Bit messages of Istio TEXT lines. */

const MIN = 60_000;

/** A Fluent Bit message carrying an inbound Istio TEXT line logged by an inference pod. */
function line(at: number, code: number, i: number): string {
  const ts = new Date(at).toISOString();
  const flags = code >= 500 ? 'UF' : '-';
  const text = `[${ts}] "POST /v1/score HTTP/1.1" ${code} ${flags} via_upstream - "-" 300 900 12 11 "-" "frontend/1.0" "req-${i}" "inference:8080" "10.42.2.10:8080" inbound|8080|| 127.0.0.6:4${i % 10000} 10.42.2.10:8080 10.42.1.5:51000 outbound_.8080_._.inference.ml-prod.svc.cluster.local default`;
  return JSON.stringify({ '@timestamp': at / 1000, log: text, kubernetes: { namespace_name: 'ml-prod', pod_name: 'inference-7d9c8b6f5-x2k4p', container_name: 'istio-proxy', labels: { app: 'inference' } } });
}

/** `minutes` of traffic from `from`, 20 requests a minute, `errorShare` of them 503 (deterministic per `seed`). */
export function traffic(from: number, minutes: number, errorShare: number, seed: number): string[] {
  const out: string[] = [];
  for (let m = 0; m < minutes; m++) {
    for (let r = 0; r < 20; r++) {
      const i = seed + m * 20 + r;
      out.push(line(from + m * MIN + r * 2_900, (i * 7919) % 100 < errorShare * 100 ? 503 : 200, i));
    }
  }
  return out;
}
