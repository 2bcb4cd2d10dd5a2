/** Synthetic Fluent Bit lines of a dense mesh, for the Kafka and memory figures. */

export const SYNTHETIC_WORKLOADS = ['inference', 'ranker', 'embedder', 'feature-store'];

/** A Fluent Bit message carrying an inbound Istio TEXT access-log line of a pod of `workload`. */
export function fluentBitLine(at: number, workload: string, podSuffix: string, i: number): string {
  const pod = `${workload}-${podSuffix}`;
  const code = i % 97 === 0 ? 503 : 200;
  const text = `[${new Date(at).toISOString()}] "POST /v1/score HTTP/1.1" ${code} ${code >= 500 ? 'UF' : '-'} via_upstream - "-" 300 900 12 11 "-" "frontend/1.0" "req-${i}" "inference:8080" "10.42.2.10:8080" inbound|8080|| 127.0.0.6:4${i % 10000} 10.42.2.10:8080 10.42.1.5:51000 outbound_.8080_._.inference.ml-prod.svc.cluster.local default`;
  return JSON.stringify({ '@timestamp': at / 1000, log: text, kubernetes: { namespace_name: 'ml-prod', pod_name: pod, container_name: 'istio-proxy', labels: { app: workload } } });
}
