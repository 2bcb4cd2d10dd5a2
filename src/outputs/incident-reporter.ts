import type { Anomaly } from '../detect/anomaly.js';
import type { Incident } from '../triage/incident-tracker.js';
import { incidentAnomaly, type CaseRef, type IncidentAnomaly, type IncidentSink, type IncidentView } from './incident-sink.js';

/** Playbooks remembered per incident: more than any install defines, bounded all the same. */
const MAX_PLAYBOOKS = 32;

interface Remembered {
  readonly first: IncidentAnomaly;
  latest: IncidentAnomaly;
  readonly playbooks: Set<string>;
  /** The case it opened in: never changes while the incident is open. */
  readonly openedInCase: string | undefined;
  kase: CaseRef | undefined;
}

/**
 * Tells an {@link IncidentSink} what the triage stage did, as {@link IncidentView} copies. It
 * keeps, per open incident, the anomaly that opened it and the playbooks started for it, and
 * forgets them when the incident closes, so it holds no more than the tracker's open incidents.
 */
export class IncidentReporter {
  private readonly open = new Map<string, Remembered>();

  constructor(private readonly sink: IncidentSink) {}

  /**
   * An anomaly joined `incident` (`opened`: it started it); `playbooks` are the runs it started,
   * `kase` the case holding the incident now.
   */
  observed(incident: Incident, anomaly: Anomaly, opened: boolean, playbooks: readonly string[], kase?: CaseRef): void {
    const latest = incidentAnomaly(anomaly);
    let remembered = this.open.get(incident.id);
    if (remembered === undefined) {
      remembered = { first: latest, latest, playbooks: new Set(), openedInCase: kase?.id, kase };
      this.open.set(incident.id, remembered);
    }
    remembered.latest = latest;
    if (kase !== undefined) remembered.kase = { id: kase.id, root: kase.root };
    for (const name of playbooks) if (remembered.playbooks.size < MAX_PLAYBOOKS) remembered.playbooks.add(name);
    const view = this.view(incident, remembered);
    if (opened) this.sink.opened(view);
    else this.sink.updated(view);
  }

  /** `incident` resolved; `kase` is the case holding it as it resolved. */
  resolved(incident: Incident, kase?: CaseRef): void {
    const remembered = this.open.get(incident.id);
    this.open.delete(incident.id);
    // An incident opened before a restart has no remembered anomaly: its own counters stand in.
    const stand: IncidentAnomaly = {
      id: incident.id, detector: [...incident.detectors][0] ?? '-', severity: 'info', score: incident.maxScore,
      windowStart: incident.openedAt, windowEnd: incident.lastSeen, evidence: [],
    };
    const last = remembered ?? { first: stand, latest: stand, playbooks: new Set<string>(), openedInCase: undefined, kase: undefined };
    if (kase !== undefined) last.kase = { id: kase.id, root: kase.root };
    this.sink.closed(this.view(incident, last));
  }

  private view(incident: Incident, remembered: Remembered): IncidentView {
    return {
      id: incident.id, entity: incident.entity, openedAt: incident.openedAt, lastSeen: incident.lastSeen,
      detectors: [...incident.detectors].sort(), anomalies: incident.anomalies, maxScore: incident.maxScore,
      first: remembered.first, latest: remembered.latest, playbooks: [...remembered.playbooks].sort(),
      ...(remembered.openedInCase !== undefined ? { openedInCase: remembered.openedInCase } : {}),
      ...(remembered.kase !== undefined ? { case: remembered.kase } : {}),
    };
  }
}
