package meshwarden_test

import rego.v1

import data.meshwarden

rollback(observed, dry_run) := {
	"time": {"now": "2025-06-05T10:00:00Z"},
	"dryRun": dry_run,
	"step": {"action": "kubernetes.rollback-deployment", "destructive": true},
	"target": {"kind": "Deployment", "namespace": "ml-prod", "name": "fraud-detector-predictor", "observed": observed},
}

to(annotations) := {"exists": true, "rollbackTo": {"found": true, "revision": 1, "labels": {"app": "fraud-detector"}, "annotations": annotations}}

test_rollback_to_a_validated_revision_is_allowed if {
	meshwarden.decision.allow with input as rollback(to({"meshwarden.io/validated": "true"}), false)
}

test_rollback_to_an_unvalidated_revision_is_denied if {
	d := meshwarden.decision with input as rollback(to({}), false)
	not d.allow
	d.reasons == ["revision 1 of deployment ml-prod/fraud-detector-predictor did not pass validation (no meshwarden.io/validated: \"true\" on its pod template); roll back by hand to a validated version"]
}

test_validation_must_say_true if {
	not meshwarden.decision.allow with input as rollback(to({"meshwarden.io/validated": "false"}), false)
}

test_no_revision_to_roll_back_to_is_denied if {
	observed := {"exists": true, "rollbackTo": {"found": false, "message": "no rollout history found for deployment \"fraud-detector-predictor\""}}
	not meshwarden.decision.allow with input as rollback(observed, false)
}

test_unreadable_deployment_is_denied_live if {
	not meshwarden.decision.allow with input as rollback(null, false)
}

test_other_actions_ignore_rollback_rules if {
	i := json.patch(rollback(to({}), false), [{"op": "replace", "path": "/step/action", "value": "kubernetes.scale"}])
	meshwarden.decision.allow with input as i
}
