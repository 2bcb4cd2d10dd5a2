import type { DetectorSpec } from '../detect/detector-spec.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import type { ConfigProblem } from '../shared/errors.js';
import type { LoadedDocument } from './yaml-document.js';

/** The features a detector can put in an anomaly's evidence. */
export function emittedFeatures(detector: DetectorSpec): readonly string[] {
  return detector.spec.features?.map((f) => f.name) ?? detector.spec.autoencoder?.features ?? [];
}

/**
 * A playbook's trigger that names a detector whose anomalies it can never match: the detector
 * watches an entity kind the trigger leaves out, raises a severity the trigger does not accept,
 * or never reports the feature a condition needs. The playbook loads and never runs on that
 * detector, which `check` reports rather than let the SOC find out during an attack.
 */
export function neverFiringTriggers(
  playbooks: readonly LoadedDocument<PlaybookSpec>[],
  detectors: ReadonlyMap<string, DetectorSpec>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const doc of playbooks) {
    const { trigger, conditions } = doc.value.spec;
    const name = doc.value.metadata.name;
    trigger.detectors.forEach((detectorName, i) => {
      const detector = detectors.get(detectorName);
      if (detector === undefined) return;
      const at = { rule: 'never-fires' as const, file: doc.file, ...doc.locate(['spec', 'trigger', 'detectors', i]), path: `spec.trigger.detectors[${i}]` };
      const never = `playbook "${name}" never runs on ${detectorName}`;
      const kind = detector.spec.entity;
      if (trigger.entityKinds !== undefined && !trigger.entityKinds.includes(kind)) {
        problems.push({ ...at, message: `${never}: the detector watches ${kind} entities and trigger.entityKinds is [${trigger.entityKinds.join(', ')}]; add ${kind} or name another detector` });
      }
      const severity = detector.spec.severity;
      if (trigger.severities !== undefined && !trigger.severities.includes(severity)) {
        problems.push({ ...at, message: `${never}: the detector raises only ${severity} anomalies and trigger.severities is [${trigger.severities.join(', ')}]; add ${severity} or drop trigger.severities` });
      }
      const features = emittedFeatures(detector);
      (conditions ?? []).forEach((condition) => {
        if (features.includes(condition.feature)) return;
        problems.push({ ...at, message: `${never}: a condition needs feature ${condition.feature}, which the detector never reports (it reports ${features.join(', ')}); condition on one of those or name another detector` });
      });
    });
  }
  return problems;
}
