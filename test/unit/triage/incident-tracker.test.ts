import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { IncidentTracker } from '../../../src/triage/incident-tracker.js';

const MIN = 60_000;

function anomaly(minute: number, detector = 'egress-spike', entity = 'pod:ml-prod/a'): Anomaly {
  return {
    id: `${detector}${minute}`, detector, severity: 'high', score: 0.95,
    entity: { key: entity, kind: 'pod', name: entity },
    windowStart: minute * MIN, windowEnd: (minute + 1) * MIN, evidence: [],
  };
}

describe('IncidentTracker', () => {
  it('groups anomalies of one entity into one incident while they keep coming', () => {
    const tracker = new IncidentTracker(5 * MIN);
    const first = tracker.observe(anomaly(0));
    const second = tracker.observe(anomaly(3, 'new-callee-edges'));
    expect(first.opened).toBe(true);
    expect(second.opened).toBe(false);
    expect(second.incident.id).toBe(first.incident.id);
    expect([...second.incident.detectors]).toEqual(['egress-spike', 'new-callee-edges']);
    expect(second.incident.anomalies).toBe(2);
  });

  it('opens a new incident after a quiet gap longer than the resolve time', () => {
    const tracker = new IncidentTracker(5 * MIN);
    const first = tracker.observe(anomaly(0)).incident.id;
    expect(tracker.observe(anomaly(20)).incident.id).not.toBe(first);
  });

  it('keeps entities apart', () => {
    const tracker = new IncidentTracker(5 * MIN);
    expect(tracker.observe(anomaly(0)).incident.id).not.toBe(tracker.observe(anomaly(0, 'x', 'pod:ml-prod/b')).incident.id);
  });

  it('resolves incidents once the watermark is past their quiet time', () => {
    const tracker = new IncidentTracker(5 * MIN);
    tracker.observe(anomaly(0));
    expect(tracker.resolve(6 * MIN)).toEqual([]);
    expect(tracker.resolve(7 * MIN).map((i) => i.entity.key)).toEqual(['pod:ml-prod/a']);
    expect(tracker.resolveAll()).toEqual([]);
  });
});
