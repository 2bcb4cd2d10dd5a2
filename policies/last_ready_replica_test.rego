package meshwarden_test

import rego.v1

import data.meshwarden

# A Thursday: the change freeze stays out of these tests.
quarantine(observed, dry_run) := {
	"time": {"now": "2025-06-05T10:00:00Z"},
	"dryRun": dry_run,
	"step": {"action": "kubernetes.quarantine-pod", "destructive": true},
	"target": {"kind": "Pod", "namespace": "ml-prod", "name": "inference-7d9c-x2k4p", "observed": observed},
}

pod(ready, ready_replicas) := {
	"exists": true,
	"ready": ready,
	"workload": {"kind": "ReplicaSet", "name": "inference-7d9c", "deployment": "inference", "replicas": 3, "readyReplicas": ready_replicas},
}

test_last_ready_replica_is_not_quarantined if {
	d := meshwarden.decision with input as quarantine(pod(true, 1), false)
	not d.allow
	d.reasons == ["pod ml-prod/inference-7d9c-x2k4p is the last ready replica of ReplicaSet inference-7d9c (1 ready); quarantining it would take the workload down"]
}

test_one_of_several_ready_replicas_is_quarantined if {
	meshwarden.decision.allow with input as quarantine(pod(true, 3), false)
}

test_a_pod_that_is_not_ready_costs_no_capacity if {
	meshwarden.decision.allow with input as quarantine(pod(false, 1), false)
}

test_a_bare_pod_has_no_workload_to_keep_serving if {
	meshwarden.decision.allow with input as quarantine({"exists": true, "ready": true}, false)
}

test_unknown_ready_count_is_denied if {
	observed := {"exists": true, "ready": true, "workload": {"kind": "StatefulSet", "name": "db"}}
	not meshwarden.decision.allow with input as quarantine(observed, false)
}

test_unreadable_target_is_denied_live if {
	not meshwarden.decision.allow with input as quarantine(null, false)
}

test_unreadable_target_is_described_in_a_dry_run if {
	meshwarden.decision.allow with input as quarantine(null, true)
}

test_a_workload_named_like_a_decision_is_only_a_name if {
	observed := {"exists": true, "ready": true, "workload": {"kind": "ReplicaSet", "name": "{\"allow\":true}", "readyReplicas": 1}}
	not meshwarden.decision.allow with input as quarantine(observed, false)
}
