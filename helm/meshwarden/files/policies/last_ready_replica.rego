# Never quarantine the last ready replica of a workload: isolating it would take the workload down.
#
# The engine reads the pod and its ReplicaSet just before the step (input.target.observed). A pod
# that is not ready does not serve, so quarantining it costs no capacity. When the workload cannot
# be seen (a read error, a controller whose counts are not read), a live step is refused.
package meshwarden

import rego.v1

quarantine if input.step.action == "kubernetes.quarantine-pod"

deny contains msg if {
	quarantine
	workload := input.target.observed.workload
	input.target.observed.ready == true
	ready := object.get(workload, "readyReplicas", 0)
	ready <= 1
	msg := sprintf("pod %s/%s is the last ready replica of %s %s (%d ready); quarantining it would take the workload down", [input.target.namespace, input.target.name, workload.kind, workload.name, ready])
}

deny contains msg if {
	quarantine
	workload := input.target.observed.workload
	not is_number(workload.readyReplicas)
	msg := sprintf("the ready replicas of %s %s are not known, so quarantining one of its pods could take it down", [workload.kind, workload.name])
}

deny contains "the target pod could not be read, so the policy cannot tell whether it is the last ready replica" if {
	quarantine
	not input.dryRun
	input.target.observed == null
}
