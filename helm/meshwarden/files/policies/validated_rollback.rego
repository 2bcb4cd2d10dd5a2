# Model rollbacks go only to a version that passed validation: the pod template of the revision the
# rollback would restore carries the annotation meshwarden.io/validated: "true" (set by the model
# release pipeline once the version passed its checks).
package meshwarden

import rego.v1

validated_annotation := "meshwarden.io/validated"

rollback if input.step.action == "kubernetes.rollback-deployment"

deny contains msg if {
	rollback
	to := input.target.observed.rollbackTo
	to.found == true
	object.get(to.annotations, validated_annotation, "") != "true"
	msg := sprintf("revision %d of deployment %s/%s did not pass validation (no %s: \"true\" on its pod template); roll back by hand to a validated version", [to.revision, input.target.namespace, input.target.name, validated_annotation])
}

deny contains msg if {
	rollback
	to := input.target.observed.rollbackTo
	to.found == false
	msg := sprintf("deployment %s/%s has no revision to roll back to: %s", [input.target.namespace, input.target.name, to.message])
}

deny contains "the deployment could not be read, so the policy cannot tell whether its previous revision passed validation" if {
	rollback
	not input.dryRun
	not input.target.observed.rollbackTo
}
