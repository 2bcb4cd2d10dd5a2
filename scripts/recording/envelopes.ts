/**
 * The Kafka message values log shippers produce around an `istio-proxy` line
 * (input-formats.md §2.1-2.3): Fluent Bit's `kubernetes` filter record, Vector's
 * `kubernetes_logs` event, and OpenTelemetry Collector `otlp_json` batches.
 */
import { epochNanosString, isoNanos } from './access-log-entry.js';
import type { PodInfo } from './topology.js';

/** One line as the container runtime wrote it to the node's CRI log file. */
export interface CriLine {
  readonly pod: PodInfo;
  readonly text: string;
  /** CRI timestamp, epoch milliseconds. */
  readonly timeMs: number;
  /** Sub-millisecond part of the CRI timestamp, 0-999999 ns. */
  readonly extraNanos: number;
}

/** The container whose logs the recording carries. */
const CONTAINER = 'istio-proxy';

function proxyImage(pod: PodInfo): string {
  return `docker.io/istio/proxyv2:${pod.proxyVersion}`;
}

function logFilePath(pod: PodInfo): string {
  return `/var/log/pods/${pod.namespace}_${pod.name}_${pod.uid}/${CONTAINER}/0.log`;
}

/** One record of an OTLP batch: the CRI line and when the collector read it. */
export interface OtlpLine extends CriLine {
  readonly observedMs: number;
}

interface PodFragments {
  /** Fluent Bit: everything after the `log` value. */
  readonly fluentBitTail: string;
  /** Vector: everything before the `message` value. */
  readonly vectorHead: string;
  /** OTLP: the `resource` object and the `log.file.path` attribute. */
  readonly otlpResource: string;
  readonly otlpAttributes: string;
}

/**
 * Renders the envelopes. The Kubernetes metadata of a pod never changes, so its serialised form
 * is built once per pod and spliced around each line: the generator writes a few hundred
 * thousand envelopes and this keeps it fast. The output is the same JSON a plain
 * `JSON.stringify` of the whole record would give.
 */
export class EnvelopeRenderer {
  private readonly fragments = new Map<PodInfo, PodFragments>();

  /** @param imageDigests proxy image digest per Istio version. */
  constructor(private readonly imageDigests: Readonly<Record<string, string>>) {}

  private of(pod: PodInfo): PodFragments {
    let f = this.fragments.get(pod);
    if (f === undefined) {
      f = buildFragments(pod, this.imageDigests[pod.proxyVersion] ?? '0'.repeat(64));
      this.fragments.set(pod, f);
    }
    return f;
  }

  /**
   * Fluent Bit `tail` (multiline.parser cri) + `kubernetes` filter (annotations off) + `kafka`
   * output with the default `json` format, which prepends `@timestamp` as a double.
   */
  fluentBit(line: CriLine): string {
    const epochSeconds = Math.floor(line.timeMs * 1000 + line.extraNanos / 1000) / 1e6;
    return (
      `{"@timestamp":${JSON.stringify(epochSeconds)},"time":"${isoNanos(line.timeMs, line.extraNanos)}",` +
      `"stream":"stdout","_p":"F","log":${JSON.stringify(line.text)}${this.of(line.pod).fluentBitTail}`
    );
  }

  /** Vector `kubernetes_logs` source + `kafka` sink with `encoding.codec = "json"`. */
  vector(line: CriLine): string {
    return (
      `${this.of(line.pod).vectorHead}${JSON.stringify(line.text)},"source_type":"kubernetes_logs",` +
      `"stream":"stdout","timestamp":"${isoNanos(line.timeMs, line.extraNanos)}"}`
    );
  }

  /**
   * OpenTelemetry Collector (`filelog` receiver with the `container` operator, `k8sattributes`
   * processor, `batch` processor) + `kafka` exporter with `encoding: otlp_json`: one message is
   * one batch, with one `resourceLogs` entry per pod in the order the pods first appear.
   */
  otlpBatch(lines: readonly OtlpLine[]): string {
    const byPod = new Map<PodInfo, OtlpLine[]>();
    for (const line of lines) {
      const list = byPod.get(line.pod);
      if (list === undefined) byPod.set(line.pod, [line]);
      else list.push(line);
    }
    const resources: string[] = [];
    for (const [pod, records] of byPod) {
      const f = this.of(pod);
      const rendered = records.map(
        (r) =>
          `{"timeUnixNano":"${epochNanosString(r.timeMs, r.extraNanos)}",` +
          `"observedTimeUnixNano":"${epochNanosString(r.observedMs, r.extraNanos)}",` +
          `"body":{"stringValue":${JSON.stringify(r.text)}},"attributes":${f.otlpAttributes},"traceId":"","spanId":""}`,
      );
      resources.push(`{"resource":${f.otlpResource},"scopeLogs":[{"scope":{},"logRecords":[${rendered.join(',')}]}]}`);
    }
    return `{"resourceLogs":[${resources.join(',')}]}`;
  }
}

function stringAttr(key: string, value: string): { key: string; value: { stringValue: string } } {
  return { key, value: { stringValue: value } };
}

function buildFragments(pod: PodInfo, imageDigest: string): PodFragments {
  const fluentBitKubernetes = {
    pod_name: pod.name,
    namespace_name: pod.namespace,
    pod_id: pod.uid,
    labels: pod.labels,
    host: pod.node.name,
    pod_ip: pod.ip,
    container_name: CONTAINER,
    docker_id: pod.containerId,
    container_hash: `docker.io/istio/proxyv2@sha256:${imageDigest}`,
    container_image: proxyImage(pod),
  };
  const vectorKubernetes = {
    container_id: `containerd://${pod.containerId}`,
    container_image: proxyImage(pod),
    container_image_id: `docker.io/istio/proxyv2@sha256:${imageDigest}`,
    container_name: CONTAINER,
    namespace_labels: {
      'istio-injection': pod.namespace === 'istio-system' ? 'disabled' : 'enabled',
      'kubernetes.io/metadata.name': pod.namespace,
    },
    pod_ip: pod.ip,
    pod_ips: [pod.ip],
    pod_labels: pod.labels,
    pod_name: pod.name,
    pod_namespace: pod.namespace,
    pod_node_name: pod.node.name,
    pod_owner: `ReplicaSet/${pod.replicaSet}`,
    pod_uid: pod.uid,
  };
  const resource = {
    attributes: [
      stringAttr('k8s.namespace.name', pod.namespace),
      stringAttr('k8s.pod.name', pod.name),
      stringAttr('k8s.container.name', CONTAINER),
      stringAttr('k8s.pod.uid', pod.uid),
      stringAttr('k8s.container.restart_count', '0'),
      stringAttr('k8s.deployment.name', pod.app),
      stringAttr('k8s.node.name', pod.node.name),
    ],
  };
  const attributes = [
    stringAttr('log.iostream', 'stdout'),
    stringAttr('log.file.path', logFilePath(pod)),
    stringAttr('logtag', 'F'),
  ];
  return {
    fluentBitTail: `,"kubernetes":${JSON.stringify(fluentBitKubernetes)}}`,
    vectorHead: `{"file":${JSON.stringify(logFilePath(pod))},"kubernetes":${JSON.stringify(vectorKubernetes)},"message":`,
    otlpResource: JSON.stringify(resource),
    otlpAttributes: JSON.stringify(attributes),
  };
}
