import { z } from 'zod';

const failedRequest = z.object({ response: z.object({ statusCode: z.number() }) });

/** The HTTP status a node-vault call failed with, or `ok`. */
export async function vaultStatusOf(request: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await request;
    return 'ok';
  } catch (error) {
    const status = failedRequest.safeParse(error);
    if (status.success) return status.data.response.statusCode;
    throw error;
  }
}
