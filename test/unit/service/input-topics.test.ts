import { describe, expect, it } from 'vitest';
import { serviceConfigSchema } from '../../../src/config/service-config.js';
import { inputTopics } from '../../../src/service/input-topics.js';

const topicsOf = (kafka: Record<string, unknown>): ReturnType<typeof serviceConfigSchema.parse>['kafka']['topics'] =>
  serviceConfigSchema.parse({ apiVersion: 'meshwarden.io/v1', kind: 'ServiceConfig', kafka: { brokers: ['127.0.0.1:9092'], ...kafka } }).kafka.topics;

describe('the topics the service consumes', () => {
  it('are the three telemetry inputs by default', () => {
    expect(inputTopics(topicsOf({}))).toEqual(['istio-access-logs', 'model-telemetry', 'drift-metrics']);
  });

  it('include Falcosidekick\'s topic when falcoEvents names one', () => {
    expect(inputTopics(topicsOf({ topics: { falcoEvents: 'falco-events' } }))).toEqual(['istio-access-logs', 'model-telemetry', 'drift-metrics', 'falco-events']);
  });

  it('refuse an empty Falco topic name', () => {
    expect(() => topicsOf({ topics: { falcoEvents: '' } })).toThrow(/falcoEvents/);
  });
});
