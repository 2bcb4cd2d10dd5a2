import type { FeatureWindow } from './feature-window.js';
import { CLIENT_CLAIMED_FORWARDED_FOR } from './window-accumulator.js';

/**
 * The supporting details of one feature's evidence: the feature's own, then each X-Forwarded-For
 * head the window's clients wrote, as `clientClaimedForwardedFor=<value> (client-supplied)`. A
 * claim is shown so an analyst sees what the client pretended to be, and marked so nobody takes it
 * for the caller: the entity is named by the address the mesh saw.
 */
export function evidenceDetails(window: FeatureWindow, feature: string): readonly string[] | undefined {
  const own = window.details[feature];
  const claims = window.details[CLIENT_CLAIMED_FORWARDED_FOR];
  if (claims === undefined || claims.length === 0) return own;
  return [...(own ?? []), ...claims.map((claim) => `${CLIENT_CLAIMED_FORWARDED_FOR}=${claim} (client-supplied)`)];
}
