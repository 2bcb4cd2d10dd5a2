import { MeshwardenError } from '../shared/errors.js';
import { describeSafely, safeError } from '../shared/safe-error.js';

/**
 * What connecting to Kafka failed with, without the client's error object (its SASL settings and
 * sockets). Retriable unless the brokers refused the credentials or the protocol: an unreachable or
 * unresolvable broker, a timeout or a TLS handshake against a plain port may all be waited out
 * (the broker restarting, DNS catching up), while a wrong password will not fix itself.
 */
export function kafkaConnectError(brokers: readonly string[], error: unknown): MeshwardenError {
  const safe = safeError(error);
  const names: string[] = [];
  for (let current: unknown = safe; current instanceof Error; current = current.cause) names.push(current.name);
  const refused = names.some((name) => name === 'KafkaJSSASLAuthenticationError' || name === 'KafkaJSServerDoesNotSupportApiKey');
  return new MeshwardenError(refused ? 'kafka-refused' : 'kafka-unreachable', `Kafka (${brokers.join(', ')}): ${describeSafely(safe)}`, { retriable: !refused, cause: safe });
}
