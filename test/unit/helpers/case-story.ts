import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import type { DetectorSpec } from '../../../src/detect/detector-spec.js';
import type { Entity } from '../../../src/features/entity.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { PlaybookSpec } from '../../../src/playbook/playbook-spec.js';

/**
 * A case as the engine makes one, for tests of what reads cases: an error storm on the frontend
 * workload, then one of its pods calling something new two minutes later (same workload: one
 * case), and an unrelated storm on billing (a case of its own).
 */
export const MIN = 60_000;
export const T0 = Date.UTC(2026, 10, 2, 8, 0);

export const frontend: Entity = { key: 'workload:ml-prod/frontend', kind: 'workload', namespace: 'ml-prod', name: 'frontend', workload: 'frontend' };
export const frontendPod: Entity = {
  key: 'pod:ml-prod/frontend-7d9c8b6f5-x2k4p', kind: 'pod', namespace: 'ml-prod', name: 'frontend-7d9c8b6f5-x2k4p', pod: 'frontend-7d9c8b6f5-x2k4p', workload: 'frontend',
};
export const billing: Entity = { key: 'workload:payments/billing', kind: 'workload', namespace: 'payments', name: 'billing', workload: 'billing' };

/** One anomaly of `detector` on `entity` in the window starting `minute` minutes after T0. */
export function anomalyOn(entity: Entity, detector: string, minute: number, score = 0.97): Anomaly {
  const windowStart = T0 + minute * MIN;
  return {
    id: `${detector}|${entity.key}|${windowStart}`, detector, severity: 'high', entity, score, windowStart, windowEnd: windowStart + MIN,
    evidence: [{ feature: 'error_ratio', observed: 0.6, expected: 0.01, spread: 0.01, score }],
  };
}

/** The storm, the pod and billing, minute by minute, in the order a replay would see them. */
export function caseAnomalies(): Anomaly[] {
  return [
    anomalyOn(frontend, 'error-storm', 0), anomalyOn(billing, 'error-storm', 0),
    anomalyOn(frontend, 'error-storm', 1), anomalyOn(frontendPod, 'new-callee-edges', 2), anomalyOn(frontend, 'error-storm', 2),
  ];
}

/** The shipped detectors and one playbook written for the test. */
export async function loadWithPlaybook(playbookYaml: string): Promise<{ detectors: DetectorSpec[]; playbooks: PlaybookSpec[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-case-playbook-'));
  const file = join(dir, 'playbook.yaml');
  writeFileSync(file, playbookYaml);
  const config = await loadConfig(['detectors', file]);
  if (config.problems.length > 0) throw new Error(`the test playbook has problems: ${JSON.stringify(config.problems)}`);
  return { detectors: config.detectors.map((d) => d.value), playbooks: config.playbooks.map((p) => p.value) };
}

/** Tells the SOC of every storm and new edge (dry-run in the embedded mode). */
export const NOTIFY_PLAYBOOK = `apiVersion: meshwarden.io/v1
kind: Playbook
metadata:
  name: tell-the-soc
spec:
  trigger:
    detectors: [error-storm, new-callee-edges]
  steps:
    - name: alert
      action: slack.notify
      params:
        channel: "#soc-alerts"
`;
