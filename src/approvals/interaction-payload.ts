import { z } from 'zod';

/** The `action_id`s of the two approval buttons. */
export const APPROVE_ACTION_ID = 'meshwarden.approval.approve';
export const DENY_ACTION_ID = 'meshwarden.approval.deny';

/**
 * The part of a Slack `block_actions` payload meshwarden reads. Slack adds fields over time, so
 * unknown keys are dropped rather than refused; what is read is checked.
 */
export const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]+$/), username: z.string().optional(), name: z.string().optional() }),
  team: z.object({ id: z.string() }).nullish(),
  api_app_id: z.string().optional(),
  container: z.object({ type: z.string(), message_ts: z.string().optional(), channel_id: z.string().optional() }).optional(),
  channel: z.object({ id: z.string() }).nullish(),
  actions: z
    .array(
      z.object({
        type: z.string(),
        action_id: z.string(),
        block_id: z.string().optional(),
        value: z.string().optional(),
        action_ts: z.string().regex(/^\d{1,12}(\.\d{1,6})?$/),
      }),
    )
    .min(1),
});

/** A parsed `block_actions` payload. */
export type BlockActionsPayload = z.infer<typeof blockActionsSchema>;

/**
 * The JSON in the `payload` field of an interaction request body
 * (`application/x-www-form-urlencoded`), or undefined when there is none or it is not JSON.
 */
export function readFormPayload(rawBody: string | Uint8Array): unknown {
  const text = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  const payload = new URLSearchParams(text).get('payload');
  if (payload === null) return undefined;
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return undefined;
  }
}

/** The `type` of a payload, if it has one. */
export function payloadType(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const type = (payload as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}

/** A button value: `<approval id>.<binding token>`. */
export function buttonValue(approvalId: string, token: string): string {
  return `${approvalId}.${token}`;
}

/** Splits a button value; undefined when it is not of our form. */
export function parseButtonValue(value: string | undefined): { approvalId: string; token: string } | undefined {
  const match = value === undefined ? null : /^(ap-[0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { approvalId: match[1], token: match[2] };
}
