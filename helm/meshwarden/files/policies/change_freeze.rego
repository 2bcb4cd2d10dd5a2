# Change freeze: no destructive action on Fridays (UTC).
#
# The day comes from the time in the input (the engine's clock live, the anomaly's event time in a
# replay), never from OPA's own clock, so a replay decides as the live run did and tests pick the day.
package meshwarden

import rego.v1

deny contains "change freeze: no destructive action on Fridays (UTC); ask the on-call lead to act by hand" if {
	input.step.destructive
	time.weekday(time.parse_rfc3339_ns(input.time.now)) == "Friday"
}
