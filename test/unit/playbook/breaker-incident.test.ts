import { describe, expect, it } from 'vitest';
import { breakerIncident } from '../../../src/playbook/breaker-incident.js';

describe('breakerIncident', () => {
  it('is an incident on the detector that lasts while automatic action is suspended', () => {
    const event = { detector: 'egress-spike', share: 0.75, scored: 40, sources: 30, windowEnd: '2026-11-03T10:01:00.000Z', until: '2026-11-03T10:31:00.000Z' };
    const incident = breakerIncident(event);
    expect(incident).toMatchObject({ entity: 'breaker:egress-spike', openedAt: event.windowEnd, lastSeen: event.until, detectors: ['egress-spike'], anomalies: 30, maxScore: 0.75 });
    expect(incident.id).toMatch(/^[0-9a-f]{16}$/);
    expect(breakerIncident(event).id).toBe(incident.id);
  });
});
