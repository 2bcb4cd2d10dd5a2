import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The engine's Prometheus metrics, in their own registry (no global default registry), created
 * once per process by the composition root and passed to the stages that count.
 */
export interface EngineMetrics {
  readonly registry: Registry;
  /** Input records by source topic and outcome (parsed | dead-lettered). */
  readonly records: Counter<'source' | 'outcome'>;
  /** Dead letters by reason code. */
  readonly deadLetters: Counter<'code'>;
  readonly anomalies: Counter<'detector' | 'severity'>;
  /** Steps by action, outcome (succeeded, already-done, failed, refused, dry-run...) and failure reason. */
  readonly actions: Counter<'action' | 'outcome' | 'reason'>;
  /** Consumer lag in messages per topic and partition. */
  readonly lag: Gauge<'topic' | 'partition'>;
  /** Seconds to process one Kafka batch, from receipt to commit. */
  readonly batchSeconds: Histogram<'topic'>;
  /** Seconds from the end of the anomalous window to the action's effect. */
  readonly anomalyToActionSeconds: Histogram<'action'>;
  readonly trackedEntities: Gauge;
  readonly breakerOpen: Gauge<'detector'>;
  /** Incident and event deliveries by output (alertmanager, webhook, kubernetes-events) and outcome. */
  readonly outputDeliveries: Counter<'output' | 'outcome'>;
  /** Deliveries waiting in each output's queue. */
  readonly outputQueue: Gauge<'output'>;
  /** Reloads of detectors and playbooks by result (accepted | refused). */
  readonly configReloads: Counter<'result'>;
  /** 1 for the sha256 of the detector and playbook set running now (one series at a time). */
  readonly configLoaded: Gauge<'sha256'>;
}

/** Creates the metrics in a fresh registry, with Node's process metrics. */
export function createMetrics(): EngineMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'meshwarden_' });
  const registers = [registry];
  return {
    registry,
    records: new Counter({ name: 'meshwarden_records_total', help: 'Input records by source and outcome', labelNames: ['source', 'outcome'], registers }),
    deadLetters: new Counter({ name: 'meshwarden_dead_letters_total', help: 'Dead-lettered records by reason code', labelNames: ['code'], registers }),
    anomalies: new Counter({ name: 'meshwarden_anomalies_total', help: 'Anomalies by detector and severity', labelNames: ['detector', 'severity'], registers }),
    actions: new Counter({ name: 'meshwarden_actions_total', help: 'Playbook steps by action, outcome and failure reason', labelNames: ['action', 'outcome', 'reason'], registers }),
    lag: new Gauge({ name: 'meshwarden_consumer_lag', help: 'Kafka consumer lag in messages', labelNames: ['topic', 'partition'], registers }),
    batchSeconds: new Histogram({ name: 'meshwarden_batch_seconds', help: 'Time to process one Kafka batch, receipt to commit', labelNames: ['topic'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    anomalyToActionSeconds: new Histogram({ name: 'meshwarden_anomaly_to_action_seconds', help: 'Time from the end of the anomalous window to the action taking effect', labelNames: ['action'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers }),
    trackedEntities: new Gauge({ name: 'meshwarden_tracked_entities', help: 'Entities with feature state in memory', registers }),
    breakerOpen: new Gauge({ name: 'meshwarden_breaker_open', help: '1 while automatic action is suspended for a detector', labelNames: ['detector'], registers }),
    outputDeliveries: new Counter({ name: 'meshwarden_output_deliveries_total', help: 'Output deliveries by output and outcome (delivered, retried, failed, dropped, dead-lettered)', labelNames: ['output', 'outcome'], registers }),
    outputQueue: new Gauge({ name: 'meshwarden_output_queue', help: 'Deliveries waiting in each output queue', labelNames: ['output'], registers }),
    configReloads: new Counter({ name: 'meshwarden_config_reloads_total', help: 'Reloads of detector and playbook files by result (accepted, refused)', labelNames: ['result'], registers }),
    configLoaded: new Gauge({ name: 'meshwarden_config_loaded_info', help: '1 for the sha256 of the detector and playbook set running now', labelNames: ['sha256'], registers }),
  };
}
