//! The human name of every grammar rule, so a syntax error says "expected a duration like 5m",
//! never "expected duration_lit".

use std::sync::LazyLock;

use super::grammar::Rule;
use super::keywords::{self, ITEM_WORDS};

/// What [`describe`] would say of a rule it has no name for; a test makes sure none is left.
pub(super) const UNNAMED: &str = "a keyword";

/// "a declaration (`tiers`, ... or `notify`)": every word that starts an item.
static DECLARATION: LazyLock<String> = LazyLock::new(|| {
    let quoted: Vec<String> = ITEM_WORDS.iter().map(|w| format!("`{w}`")).collect();
    let (last, rest) = quoted
        .split_last()
        .map_or(("", &[][..]), |(l, r)| (l.as_str(), r));
    format!("a declaration ({} or {last})", rest.join(", "))
});

/// The human name of every grammar rule, used in "expected ..." messages.
pub(super) fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::WHITESPACE => "whitespace",
        Rule::COMMENT => "a comment",
        Rule::ident_char => "a letter, digit or `_`",
        Rule::word | Rule::hyphen_word => "a name",
        Rule::prefix_start => "`not`, `any`, `all` or `count`",
        Rule::infix_symbol | Rule::op_not_in | Rule::op_subset_of => "an operator",
        Rule::date_part => "a date like 2026-12-24",
        Rule::clock => "a time like 09:00",
        // `file` is reported when the very first item is broken: it stands for an item.
        Rule::file | Rule::item => DECLARATION.as_str(),
        Rule::tiers_decl => "`tiers` and tier names",
        Rule::default_decl => "`default allow` or `default deny`",
        Rule::default_effect => "`allow` or `deny`",
        Rule::capacity_decl => "`capacity` and a number",
        Rule::groups_decl => "`groups` and group names",
        Rule::kinds_decl => "`kinds` and change kinds",
        Rule::extend_decl => "an `extend` block",
        Rule::extend_target => "`change` or `service`",
        Rule::field_decl => "a field like `ticket: string`",
        Rule::type_expr => "a type like `string`, `list<string>`, `int?` or `{name: string}`",
        Rule::list_type => "a list type like `list<string>`",
        Rule::record_type => "a record type like `{service: string, taken_at: datetime}`",
        Rule::tier_decl => "a tier condition like `tier high when ...`",
        Rule::calendar_decl => "a calendar",
        Rule::calendar_entry => "a `window` or `blackout`",
        Rule::window_entry => "a window like `window mon-fri 09:00-17:00`",
        Rule::blackout_entry => "a blackout like `blackout \"name\" daily 01:00-04:00`",
        Rule::blackout_spec => {
            "a blackout period (`daily`, `weekly`, `monthly`, `from`, `ics` or `rrule`)"
        }
        Rule::daily_spec => "`daily` and a time range",
        Rule::weekly_spec => "a weekly period like `weekly fri 18:00 - mon 06:00`",
        Rule::monthly_spec => "a monthly period like `monthly days -3..-1`",
        Rule::dated_spec => "a period like `from 2026-12-19 to 2027-01-04`",
        Rule::date_or_datetime => "a date like 2026-12-24 or a date-time like 2026-12-24T18:00",
        Rule::ics_spec => "`ics` and a file path",
        Rule::rrule_spec => "a recurrence like `rrule \"FREQ=MONTHLY\" at 00:00 for 1d`",
        Rule::day_set => "days like `mon-fri`, `sat,sun` or `daily`",
        Rule::day_range => "a day or a range of days like `mon-fri`",
        Rule::time_range => "a time range like 09:00-17:00",
        Rule::region_decl => "a region like `region eu-west uses emea`",
        Rule::services_decl => "calendars of services like `services where s.legacy use batch`",
        Rule::changes_decl => {
            "calendars of changes like `changes where \"database\" in change.kind use dba`"
        }
        Rule::rule_decl => "a rule",
        Rule::rule_stmt => {
            "a rule statement (`when`, `deny when`, `allow when`, `require`, `exempt` or \
             `message`)"
        }
        Rule::guard_stmt => "a guard like `when ...`",
        Rule::deny_stmt => "`deny when ...`",
        Rule::allow_stmt => "`allow when ...`",
        Rule::require_stmt => "`require approval \"group\"` or `require check \"name\"`",
        Rule::approval_req => {
            "`approval \"group\"` (optionally `count 2`, or `within 48h after` for an obligation)"
        }
        Rule::check_req => "`check \"name\"` (optionally `within 30d`)",
        Rule::exempt_stmt => {
            "`exempt blackout`, `exempt blackout \"NAME\"`, `exempt window` or `exempt rule NAME`"
        }
        Rule::exempt_target => "`blackout`, `blackout \"NAME\"`, `window` or `rule NAME`",
        Rule::blackout_names => "blackout names like `\"year-end freeze\", \"bank holiday\"`",
        Rule::waived_blackout => "`blackout` and a blackout name like `\"year-end freeze\"`",
        Rule::message_stmt => "`message \"...\"`",
        Rule::waivable_decl => {
            "a waiver like `waivable rule_name by \"group\" max 72h` or `waivable blackout \"NAME\" by \"group\" max 72h`"
        }
        Rule::strategy_decl => "a `strategy` block",
        Rule::strategy_arm => "a strategy like `canary when ...` or `rolling otherwise`",
        Rule::rollback_decl => "a `rollback` block or `rollback owner \"name\"`",
        Rule::rollback_block => "a `rollback` block like `{ trigger error_rate > 2% for 5m }`",
        Rule::trigger_decl => "a trigger like `trigger error_rate > 2% for 5m`",
        Rule::threshold => "a threshold like 2%, 3 or 150% of baseline",
        Rule::notify_decl => "`notify` and audiences",
        Rule::condition_decl => "a named condition like `condition deploy = change.emergency`",
        Rule::condition_name => "a condition name",
        Rule::assign => "`=`",
        Rule::expr
        | Rule::operand
        | Rule::unary
        | Rule::primary
        | Rule::name_or_call
        | Rule::paren => "an expression",
        Rule::quant_head => "a quantifier like `any s in change.services: ...`",
        Rule::quantifier => "`any`, `all` or `count`",
        Rule::list_lit => "a list like [\"a\", \"b\"]",
        Rule::call_args => "a function call's arguments",
        Rule::cmp_op => "a comparison like `>`",
        Rule::infix | Rule::has_tail | Rule::op_has | Rule::op_dot | Rule::call_open => {
            "an operator"
        }
        Rule::op_neg => "`-`",
        Rule::reserved => "a reserved word",
        Rule::name => "a name",
        Rule::var_name => "a variable name",
        Rule::arm_name => "a strategy name like `canary`",
        Rule::tier_name => "a tier name",
        Rule::group_name => "a group name",
        Rule::kind_name => "a change kind like `database`",
        Rule::calendar_name => "a calendar name",
        Rule::region_name => "a region name",
        Rule::rule_name => "a rule name",
        Rule::field_name => "a field name",
        Rule::type_name => "a type like `string`",
        Rule::metric_name => "a metric name like `error_rate`",
        Rule::string => "a string like \"text\"",
        Rule::string_body => "the text of a string",
        Rule::string_end => "a closing `\"` (strings end on the line they start)",
        Rule::datetime_lit => "a date-time like 2026-12-24T10:00",
        Rule::date_lit => "a date like 2026-12-24",
        Rule::duration_lit => "a duration like 5m",
        Rule::percent_lit => "a percentage like 2%",
        Rule::float_lit => "a number like 1.5",
        Rule::int_lit | Rule::uint => "a whole number",
        Rule::month_day => "a day of the month like 1 or -1",
        Rule::time => "a time like 09:00",
        Rule::weekday => "a day like `mon`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::langle => "`<`",
        Rule::rangle => "`>`",
        Rule::question => "`?`",
        Rule::dash => "`-`",
        Rule::dotdot => "`..`",
        // Every `kw_*` rule: the keyword itself.
        rule => keywords::of_rule(rule).map_or(UNNAMED, |k| k.quoted),
    }
}
