import type { ServiceConfig } from '../config/service-config.js';

/** The topics the service consumes: the three telemetry inputs, and Falco's alerts when configured. */
export function inputTopics(topics: ServiceConfig['kafka']['topics']): string[] {
  return [topics.accessLogs, topics.modelTelemetry, topics.driftMetrics, ...(topics.falcoEvents !== undefined ? [topics.falcoEvents] : [])];
}
