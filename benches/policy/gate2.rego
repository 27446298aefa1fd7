# The second race in Rego: `violations` holds the name of every rule of gate2.gate that the
# request breaks. The input is the request's JSON as shipgate reads it (the `extend change`
# fields at the top level); no data.
package shipgate.gate2

night if input.hour < 7

night if input.hour >= 20

violations contains "prod_needs_change_ticket" if {
	input.environment == "prod"
	not input.hotfix
	not startswith(input.ticket, "CHG-")
}

violations contains "prod_needs_tests" if {
	input.environment == "prod"
	not input.tests_passed
}

violations contains "weekend_freeze" if {
	input.environment == "prod"
	input.weekday >= 6
	not input.hotfix
}

violations contains "night_needs_oncall" if {
	input.environment == "prod"
	night
	not "oncall" in input.roles
}

violations contains "high_risk_needs_cab" if {
	input.risk_score >= 70
	input.approvals_cab < 2
}

violations contains "premium_tier_needs_lead" if {
	input.service_tier in {"platinum", "gold"}
	input.approvals_lead < 1
}

violations contains "restricted_data_needs_security" if {
	input.data_class == "restricted"
	input.approvals_security < 1
}

violations contains "delete_needs_admin" if {
	input.action == "delete"
	not "admin" in input.roles
}

violations contains "migrate_needs_dba" if {
	input.action == "migrate"
	not "dba" in input.roles
}

violations contains "no_contractors_in_prod" if {
	"contractor" in input.roles
	input.environment == "prod"
}

violations contains "customer_facing_rollback_plan" if {
	input.customer_facing
	not input.rollback_plan
	input.action != "rollback"
}

violations contains "pci_dual_security" if {
	input.pci
	input.approvals_security < 2
}

violations contains "cost_center_required" if {
	input.environment != "sandbox"
	not startswith(input.cost_center, "CC-")
}

violations contains "retired_cost_center" if input.cost_center == "CC-0000"

violations contains "risk_ceiling" if {
	input.risk_score > 90
	not input.hotfix
}

violations contains "hotfix_needs_incident" if {
	input.hotfix
	not startswith(input.ticket, "INC-")
}

violations contains "deployer_role" if {
	not "deployer" in input.roles
	not "admin" in input.roles
}

violations contains "peak_season_freeze" if {
	input.peak_season
	input.customer_facing
	input.risk_score > 40
}

violations contains "restricted_data_not_in_dev" if {
	input.data_class == "restricted"
	input.environment in {"dev", "sandbox"}
}

violations contains "platinum_friday_afternoon" if {
	input.service_tier == "platinum"
	input.environment == "prod"
	input.weekday == 5
	input.hour >= 12
}
