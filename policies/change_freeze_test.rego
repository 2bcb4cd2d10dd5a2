package meshwarden_test

import rego.v1

import data.meshwarden

# 2025-06-06 was a Friday, 2025-06-05 a Thursday.
step(destructive, now) := {
	"time": {"now": now},
	"dryRun": false,
	"step": {"action": "kubernetes.restart-deployment", "destructive": destructive},
	"target": {"kind": "Deployment", "namespace": "ml-prod", "name": "auth", "observed": {"exists": true}},
}

freeze := "change freeze: no destructive action on Fridays (UTC); ask the on-call lead to act by hand"

test_destructive_step_on_a_friday_is_denied if {
	freeze in meshwarden.deny with input as step(true, "2025-06-06T14:00:00Z")
	not meshwarden.decision.allow with input as step(true, "2025-06-06T14:00:00Z")
}

test_destructive_step_on_a_thursday_is_allowed if {
	meshwarden.decision == {"allow": true, "reasons": []} with input as step(true, "2025-06-05T14:00:00Z")
}

test_step_that_destroys_nothing_runs_on_a_friday if {
	meshwarden.decision.allow with input as step(false, "2025-06-06T14:00:00Z")
}

test_the_day_is_read_in_utc_from_the_input if {
	# 23:30 on Thursday in New York is already Friday in UTC.
	freeze in meshwarden.deny with input as step(true, "2025-06-05T23:30:00-04:00")
}
