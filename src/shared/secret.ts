import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A secret value (token, signing secret, password) that redacts itself wherever it could be
 * printed: string conversion, JSON, util.inspect and pino serialisation. Only `reveal()` gives
 * the value, and only the client that needs it should call it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The raw value: pass it straight to the client that needs it, never to a logger. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
