import { z } from 'zod';
import { storedSilenceSchema, type StoredSilence } from '../silences/silence.js';
import { MeshwardenError } from '../shared/errors.js';
import { answerError, type ConsoleClient } from './console-client.js';

/** What `silence add --server` asks the service for; times in epoch ms. */
export interface SilenceAddRequest {
  readonly matchers: readonly string[];
  readonly startsAt?: number;
  readonly endsAt?: number;
  readonly durationMs?: number;
  readonly comment: string;
  readonly author?: string;
}

const oneSilence = z.object({ silence: storedSilenceSchema }).strict();
const silenceList = z.object({ items: z.array(storedSilenceSchema), notes: z.array(z.string()) }).strict();

/**
 * The silences of a running service, through its console API (`/api/v1/silences`): the service
 * stores them where every replica reads them and records each change in its ledger with the
 * token's identity. Answers are checked against the silence schema before they are printed.
 */
export class SilenceServiceClient {
  constructor(private readonly client: ConsoleClient) {}

  async add(request: SilenceAddRequest): Promise<StoredSilence> {
    const answer = await this.client.post('silences', request);
    if (answer.status !== 201) throw refused(answer.status, answerError(answer));
    return parse(oneSilence, answer.body).silence;
  }

  /** The expired silence; undefined when the service has no silence with that id. */
  async expire(id: string, author: string | undefined): Promise<StoredSilence | undefined> {
    const answer = await this.client.post(`silences/${encodeURIComponent(id)}/expire`, author === undefined ? {} : { author });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw refused(answer.status, answerError(answer));
    return parse(oneSilence, answer.body).silence;
  }

  async list(): Promise<StoredSilence[]> {
    const answer = await this.client.get('silences');
    if (answer.status !== 200) throw refused(answer.status, answerError(answer));
    return parse(silenceList, answer.body).items;
  }
}

/** A refusal the operator can fix (bad matchers, a full store) is a usage error; anything else the service's. */
function refused(status: number, message: string): MeshwardenError {
  return new MeshwardenError(status === 400 || status === 409 ? 'usage' : 'service-refused', `the service refused (${status}): ${message}`);
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new MeshwardenError('service-answer', 'the service\'s answer about silences does not have the shape this CLI knows: is it the same version?');
  return parsed.data;
}
