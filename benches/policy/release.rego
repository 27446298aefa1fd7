# The release-gate policy of the race in Rego: `violations` holds the name of every rule of
# release.gate that the change breaks. The input is the change's JSON as shipgate reads it;
# data.catalog maps service ids to their records and data.now is the evaluation instant
# (RFC 3339 UTC, so instants compare as strings).
package shipgate.release

# Approvers that count for a group: distinct, never the requester or the implementer, and
# not dated after now.
approvers(group) := {a.by |
	some a in input.approvals
	a.group == group
	a.by != input.requester
	a.by != input.implementer
	a.at <= data.now
}

violations contains "separation_of_duties" if input.requester == input.implementer

violations contains "change_too_large" if {
	input.size > 2000
	not input.emergency
}

violations contains "emergency_needs_incident" if {
	input.emergency
	not input.incident
}

violations contains "emergency_severity" if {
	input.emergency
	input.incident.severity > 2
}

violations contains "third_party_contracts" if {
	"third_party" in input.kind
	not input.contract_verified
}

violations contains "database_backward_compat" if {
	"database" in input.kind
	not input.backward_compatible
}

violations contains "critical_small_changes" if {
	input.size > 500
	some sid in input.services
	data.catalog[sid].tier == 0
}

violations contains "error_budget_freeze" if {
	not input.emergency
	some sid in input.services
	data.catalog[sid].error_budget < 0
}

violations contains "cab_review" if {
	not input.emergency
	some sid in input.services
	data.catalog[sid].tier <= 1
	count(approvers("cab")) < 2
}

violations contains "schema_changes" if {
	"database" in input.kind
	count(approvers("dba")) < 1
}

violations contains "schema_changes" if {
	"database" in input.kind
	not "schema-backward-compat" in input.checks
}

violations contains "infrastructure_review" if {
	"infrastructure" in input.kind
	count(approvers("platform-lead")) < 1
}

violations contains "unit_tests" if not "unit-tests" in input.checks

violations contains "security_scan" if {
	"third_party" in input.kind
	not "security-scan" in input.checks
}

violations contains "security_scan" if {
	"security" in input.labels
	not "security-scan" in input.checks
}

violations contains "legacy_rehearsal" if {
	some sid in input.services
	data.catalog[sid].legacy
	not data.catalog[sid].automated_rollback
	not "rollback-rehearsal" in input.checks
}

violations contains "stateful_infrastructure" if {
	"infrastructure" in input.kind
	input.size > 200
	some sid in input.services
	data.catalog[sid].stateful
}

violations contains "do_not_ship" if "do-not-ship" in input.labels

violations contains "work_in_progress" if {
	"wip" in input.labels
	not input.emergency
}

violations contains "experiments_monitored" if {
	"experiment" in input.labels
	some sid in input.services
	not data.catalog[sid].monitored
}

violations contains "config_review" if {
	"config" in input.kind
	input.size > 100
	count(approvers("team-lead")) < 1
}

violations contains "hotfix_commander" if {
	input.emergency
	count(approvers("incident-commander")) < 1
}
