/**
 * The frontend pod's story, as its shippers write it: outbound Envoy lines (Fluent Bit with the
 * pod's metadata) and Falco's alert for a terminal shell in the same pod.
 */

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
export const POD = 'frontend-7d9c8b6f5-x2k4p';

/** An outbound Envoy line of the frontend pod calling `service`, shipped by Fluent Bit with the pod's metadata. */
export function call(at: number, i: number, service: string, port: number): string {
  const text = `[${new Date(at).toISOString()}] "POST /v1/x HTTP/1.1" 200 - via_upstream - "-" 10 20 5 4 "-" "t/1" "r-${i}" "${service}:${port}" "10.43.0.5:${port}" outbound|${port}||${service}.svc.cluster.local 10.42.1.5:41000 10.96.0.10:${port} 10.42.1.5:41000 - default`;
  return JSON.stringify({ log: text, kubernetes: { namespace_name: 'ml-prod', pod_name: POD, labels: { app: 'frontend' } } });
}

/** Falco's alert for a terminal shell in that pod, as Falco writes it. */
export function shell(at: number): string {
  return JSON.stringify({
    output: `${new Date(at).toISOString()}: Notice A shell was spawned in a container with an attached terminal | user=root process=sh command=sh -i`,
    priority: 'Notice', rule: 'Terminal shell in container', time: new Date(at).toISOString().replace('Z', '123456Z'),
    output_fields: { 'container.id': '788861c3cf83', 'k8s.ns.name': 'ml-prod', 'k8s.pod.name': POD, 'proc.cmdline': 'sh -i', 'proc.name': 'sh', 'user.name': 'root' },
    source: 'syscall', tags: ['container', 'mitre_execution', 'shell'], hostname: 'node-1',
  });
}
