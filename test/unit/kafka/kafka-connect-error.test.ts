import { inspect } from 'node:util';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaConnectError } from '../../../src/kafka/kafka-connect-error.js';
import { isRetriable } from '../../../src/shared/retry.js';

describe('kafkaConnectError', () => {
  it('reads an unreachable broker as retriable, even when kafkajs gave up retrying', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const error = kafkaConnectError(['127.0.0.1:9092'], new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 100 }));
    expect(error).toMatchObject({ code: 'kafka-unreachable', retriable: true });
    expect(isRetriable(error)).toBe(true);
    expect(error.message).toMatch(/^Kafka \(127\.0\.0\.1:9092\): .*ECONNREFUSED/);
  });

  it('reads refused SASL credentials as final, and keeps nothing but names and messages', () => {
    // Shaped as kafkajs throws it (its type declarations do not match its constructor).
    const sasl = Object.assign(new Error('SASL PLAIN authentication failed: Authentication failed'), { name: 'KafkaJSSASLAuthenticationError', retriable: false, sasl: { password: 'MARKER' } });
    const error = kafkaConnectError(['broker:9093'], sasl);
    expect(error).toMatchObject({ code: 'kafka-refused', retriable: false });
    expect(inspect(error, { depth: 20, showHidden: true })).not.toContain('MARKER');
  });
});
