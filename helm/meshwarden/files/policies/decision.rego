# The decision meshwarden's policy gate asks for: POST /v1/data/meshwarden/decision.
#
# Every rule file in this package adds reasons to `deny`; a step is allowed when none applies.
# The input document is described in docs/policy.md. Its incident strings (entity names, labels,
# evidence details) are partly written by the attacker: compare them, never trust them.
package meshwarden

import rego.v1

decision := {"allow": count(deny) == 0, "reasons": sort(deny)}
