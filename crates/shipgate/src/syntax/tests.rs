//! Parser tests: the SPEC example, precedence, every blackout form, error messages with their
//! positions, recovery, and property tests (no panics; precedence against a printer model).

#![allow(clippy::unwrap_used, clippy::panic)]

use super::ast::*;
use super::build::duration_seconds;
use super::grammar::{Rule, grammar_accepts};
use super::keywords::{KEYWORDS, RESERVED_WORDS};
use super::parse;
use super::wording::{UNNAMED, describe};
use crate::error::Diagnostic;
use crate::span::{FileId, SourceFile};
use proptest::prelude::*;

const SPEC_EXAMPLE: &str = include_str!("testdata/spec_example.gate");

fn parse_ok(text: &str) -> PolicyFile {
    let (file, diags) = parse(FileId(0), text);
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:#?}");
    file
}

/// Every diagnostic as `line:col: message`.
fn errors(text: &str) -> Vec<String> {
    let (_, diags) = parse(FileId(0), text);
    located(text, &diags)
}

fn located(text: &str, diags: &[Diagnostic]) -> Vec<String> {
    let src = SourceFile::new("t.gate", text);
    diags
        .iter()
        .map(|d| {
            let (l, c) = src.line_col(d.span.start as usize);
            format!("{l}:{c}: {}", d.message)
        })
        .collect()
}

fn only_error(text: &str) -> String {
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    errs.into_iter().next().unwrap()
}

/// The condition of `tier t when <text>`.
fn expr(text: &str) -> Expr {
    let file = parse_ok(&format!("tier t when {text}"));
    match file.items.into_iter().next() {
        Some(Item::Tier(t)) => t.when,
        other => panic!("not a tier: {other:?}"),
    }
}

/// An expression as an S-expression, spans left out.
fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Float(f) => format!("float({f})"),
        ExprKind::Percent(p) => format!("pct({p})"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Duration(d) => format!("dur({d})"),
        ExprKind::Date(d) => format!("date({}-{}-{})", d.year, d.month, d.day),
        ExprKind::DateTime {
            local,
            offset_minutes,
        } => format!(
            "dt({}-{}-{} {}m {}s {:?})",
            local.date.year,
            local.date.month,
            local.date.day,
            local.minutes,
            local.second,
            offset_minutes
        ),
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Name(n) => n.clone(),
        ExprKind::Field(base, f) => format!("(. {} {})", show(base), f.name),
        ExprKind::Has(base, f) => format!("(has {} {})", show(base), f.name),
        ExprKind::Not(x) => format!("(not {})", show(x)),
        ExprKind::Neg(x) => format!("(neg {})", show(x)),
        ExprKind::Binary(op, l, r) => format!("({} {} {})", bin_name(*op), show(l), show(r)),
        ExprKind::Quant { q, var, list, body } => {
            let q = match q {
                Quantifier::Any => "any",
                Quantifier::All => "all",
                Quantifier::Count => "count",
            };
            format!("({q} {} {} {})", var.name, show(list), show(body))
        }
        ExprKind::Call { func, args } => {
            let args: Vec<String> = args.iter().map(show).collect();
            format!("(call {} {})", func.name, args.join(" "))
        }
    }
}

fn bin_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Cmp(c) => c.as_str(),
        BinOp::In => "in",
        BinOp::NotIn => "not in",
        BinOp::SubsetOf => "subset of",
        BinOp::Intersects => "intersects",
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::And => "and",
        BinOp::Or => "or",
    }
}

fn calendar(text: &str) -> CalendarDecl {
    match parse_ok(text).items.into_iter().next() {
        Some(Item::Calendar(c)) => c,
        other => panic!("not a calendar: {other:?}"),
    }
}

/// The spec of `blackout "b" <spec>` in a UTC calendar.
fn blackout(spec: &str) -> BlackoutSpec {
    let cal = calendar(&format!(
        "calendar c timezone \"UTC\" {{ blackout \"b\" {spec} }}"
    ));
    match cal.entries.into_iter().next() {
        Some(CalendarEntry::Blackout { spec, .. }) => spec,
        other => panic!("not a blackout: {other:?}"),
    }
}

fn rule(text: &str) -> RuleDecl {
    match parse_ok(text).items.into_iter().next() {
        Some(Item::Rule(r)) => r,
        other => panic!("not a rule: {other:?}"),
    }
}

fn t(minutes: u32) -> LocalTime {
    LocalTime { minutes }
}

// --- the SPEC example -------------------------------------------------------------------

#[test]
fn spec_example_parses_without_diagnostics() {
    let file = parse_ok(SPEC_EXAMPLE);
    assert_eq!(file.items.len(), 29);
    let count = |f: fn(&Item) -> bool| file.items.iter().filter(|i| f(i)).count();
    assert_eq!(count(|i| matches!(i, Item::Tier(_))), 4);
    assert_eq!(count(|i| matches!(i, Item::Calendar(_))), 3);
    assert_eq!(count(|i| matches!(i, Item::Region(_))), 2);
    assert_eq!(count(|i| matches!(i, Item::Rule(_))), 8);
    assert_eq!(count(|i| matches!(i, Item::Notify(_))), 3);
    assert_eq!(count(|i| matches!(i, Item::Extend(_))), 2);

    let Some(Item::Tiers { names, .. }) = file.items.first() else {
        panic!("tiers first")
    };
    let names: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["low", "medium", "high", "critical"]);

    let Some(Item::Groups { names, .. }) = file.items.get(3) else {
        panic!("groups fourth")
    };
    assert_eq!(names[1].name, "team-lead");
    assert_eq!(names[3].name, "incident-commander");
}

#[test]
fn kinds_are_a_list_of_names() {
    let file = parse_ok("kinds application, third_party, data-migration\n");
    let Some(Item::Kinds { names, .. }) = file.items.first() else {
        panic!("kinds")
    };
    let names: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["application", "third_party", "data-migration"]);
    // `kinds` is reserved: it starts a declaration, so it cannot be a name in an expression.
    assert_eq!(
        errors("kinds\n"),
        ["2:1: expected a change kind like `database`, found end of file"]
    );
    assert!(!errors("tier high when any kinds in change.kind: true").is_empty());
    assert_eq!(
        errors("rule r {\n  require check \"x\" within\n}"),
        ["3:1: expected a duration like 5m, found `}`"]
    );
}

#[test]
fn indented_inline_policy_parses() {
    // The shape of the crate-level doc example: indented items, a one-line rule.
    let file = parse_ok(
        "\n    tiers low, high\n    tier high when change.size > 100\n    \
         rule two_eyes { deny when change.requester == change.implementer }\n",
    );
    assert_eq!(file.items.len(), 3);
}

#[test]
fn spec_example_details() {
    let file = parse_ok(SPEC_EXAMPLE);
    let emea = file
        .items
        .iter()
        .find_map(|i| match i {
            Item::Calendar(c) if c.name.name == "emea" => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(emea.timezone.value, "Europe/Berlin");
    assert_eq!(emea.entries.len(), 9);
    let kinds: Vec<&str> = emea
        .entries
        .iter()
        .map(|e| match e {
            CalendarEntry::Window { .. } => "window",
            CalendarEntry::Blackout { spec, .. } => match spec {
                BlackoutSpec::Daily(_) => "daily",
                BlackoutSpec::Weekly { .. } => "weekly",
                BlackoutSpec::Monthly { .. } => "monthly",
                BlackoutSpec::DateRange { .. } => "dates",
                BlackoutSpec::DateTimeRange { .. } => "datetimes",
                BlackoutSpec::Ics(_) => "ics",
                BlackoutSpec::Rrule { .. } => "rrule",
            },
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "window",
            "window",
            "daily",
            "monthly",
            "weekly",
            "dates",
            "datetimes",
            "ics",
            "rrule"
        ]
    );

    let rollback = file
        .items
        .iter()
        .find_map(|i| match i {
            Item::Rollback(r) => Some(r),
            _ => None,
        })
        .unwrap();
    let thresholds: Vec<String> = rollback
        .triggers
        .iter()
        .map(|t| match t.threshold {
            Threshold::Number(v, _) => format!("{} {v}", t.op.as_str()),
            Threshold::OfBaseline(v, _) => format!("{} {v} of baseline", t.op.as_str()),
        })
        .collect();
    assert_eq!(thresholds, ["> 0.02", "> 1.5 of baseline", ">= 3"]);
    assert_eq!(rollback.triggers[1].for_.seconds, 600);
    assert!(rollback.triggers[2].when.is_some());

    let waivable = file
        .items
        .iter()
        .find_map(|i| match i {
            Item::Waivable(w) => Some(w),
            _ => None,
        })
        .unwrap();
    assert!(matches!(&waivable.target, Waived::Rule(r) if r.name == "cab_review"));
    assert_eq!(waivable.group.value, "change-manager");
    assert_eq!(waivable.max.seconds, 72 * 3600);

    let strategy = file
        .items
        .iter()
        .find_map(|i| match i {
            Item::Strategy(s) => Some(s),
            _ => None,
        })
        .unwrap();
    let arms: Vec<(&str, bool)> = strategy
        .arms
        .iter()
        .map(|a| (a.name.name.as_str(), a.when.is_some()))
        .collect();
    assert_eq!(
        arms,
        [("canary", true), ("blue_green", true), ("rolling", false)]
    );
}

#[test]
fn spec_example_rules() {
    let file = parse_ok(SPEC_EXAMPLE);
    let rules: Vec<&RuleDecl> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Rule(r) => Some(r),
            _ => None,
        })
        .collect();
    let sod = rules[0];
    assert_eq!(sod.name.name, "separation_of_duties");
    assert!(sod.guard.is_none());
    assert_eq!(
        sod.message.as_ref().unwrap().value,
        "requester {change.requester} may not also implement the change"
    );
    let cab = rules[1];
    assert_eq!(
        show(cab.guard.as_ref().unwrap()),
        "(and (>= tier high) (not (. change emergency)))"
    );
    assert!(matches!(
        cab.effects[..],
        [Effect::RequireApproval { ref group, count: Some((2, _)), .. }] if group.value == "cab"
    ));
    let hotfix = rules[4];
    assert_eq!(
        show(hotfix.guard.as_ref().unwrap()),
        "(and (and (. change emergency) (has change incident)) \
         (<= (. (. change incident) severity) 2))"
    );
    assert!(matches!(
        hotfix.effects[..],
        [
            Effect::ExemptBlackout { .. },
            Effect::ExemptRule { ref rule, .. },
            Effect::RequireApproval { count: None, .. }
        ] if rule.name == "cab_review"
    ));
    let budget = rules[5];
    let Effect::Deny { when, .. } = &budget.effects[0] else {
        panic!("deny")
    };
    assert_eq!(
        show(when),
        "(and (>= tier medium) (any s (. change services) (< (. s error_budget) pct(0))))"
    );
}

// --- expressions ------------------------------------------------------------------------

#[test]
fn precedence_or_and_not_comparison() {
    assert_eq!(
        show(&expr("a or b and not c == d")),
        "(or a (and b (not (== c d))))"
    );
    assert_eq!(show(&expr("a and b or c")), "(or (and a b) c)");
    assert_eq!(show(&expr("not a and b")), "(and (not a) b)");
    assert_eq!(show(&expr("not not a")), "(not (not a))");
    assert_eq!(show(&expr("not a in b")), "(not (in a b))");
    assert_eq!(show(&expr("a + b - c == d")), "(== (- (+ a b) c) d)");
    assert_eq!(show(&expr("-a.b + 1")), "(+ (neg (. a b)) 1)");
    assert_eq!(show(&expr("a - -1")), "(- a (neg 1))");
    assert_eq!(show(&expr("(a or b) and c")), "(and (or a b) c)");
    assert_eq!(show(&expr("a or b or c")), "(or (or a b) c)");
}

#[test]
fn comparison_operators() {
    for (src, want) in [
        ("a == b", "(== a b)"),
        ("a != b", "(!= a b)"),
        ("a < b", "(< a b)"),
        ("a <= b", "(<= a b)"),
        ("a > b", "(> a b)"),
        ("a >= b", "(>= a b)"),
        ("a in b", "(in a b)"),
        ("a not in b", "(not in a b)"),
        ("a subset of b", "(subset of a b)"),
        ("a intersects b", "(intersects a b)"),
        ("change has incident", "(has change incident)"),
        ("a.b + 1 in c", "(in (+ (. a b) 1) c)"),
    ] {
        assert_eq!(show(&expr(src)), want, "{src}");
    }
}

#[test]
fn comparisons_do_not_chain() {
    assert_eq!(
        only_error("tier t when a == b == c"),
        "1:20: comparisons cannot be chained"
    );
    assert_eq!(
        only_error("tier t when a < b has c"),
        "1:19: comparisons cannot be chained"
    );
    assert_eq!(
        only_error("tier t when a == not b"),
        "1:18: `not` and quantifiers cannot stand directly after a comparison, `+` or `-`"
    );
    assert_eq!(
        only_error("tier t when a + any s in x: s"),
        "1:17: `not` and quantifiers cannot stand directly after a comparison, `+` or `-`"
    );
}

#[test]
fn quantifier_body_extends_right() {
    assert_eq!(
        show(&expr("a and any s in L: b or c")),
        "(and a (any s L (or b c)))"
    );
    assert_eq!(show(&expr("(any s in L: b) or c")), "(or (any s L b) c)");
    assert_eq!(
        show(&expr("not all s in change.services: s.monitored")),
        "(not (all s (. change services) (. s monitored)))"
    );
    assert_eq!(
        show(&expr("(count s in xs: s.legacy) >= 2")),
        "(>= (count s xs (. s legacy)) 2)"
    );
    assert_eq!(
        show(&expr("any s in xs: any t in s.deps: t == s")),
        "(any s xs (any t (. s deps) (== t s)))"
    );
}

#[test]
fn tier_and_change_are_names_but_keywords_are_reserved() {
    assert_eq!(show(&expr("tier >= high")), "(>= tier high)");
    assert_eq!(show(&expr("change.size")), "(. change size)");
    // After `.` and `has` any word is a field name.
    assert_eq!(show(&expr("change.count")), "(. change count)");
    assert_eq!(show(&expr("change has for")), "(has change for)");
    for word in RESERVED_WORDS
        .iter()
        .filter(|w| !["true", "false"].contains(w))
    {
        let text = format!("tier t when {word}");
        let (_, diags) = parse(FileId(0), &text);
        assert!(!diags.is_empty(), "`{word}` should be reserved");
    }
    // Words that merely start with a keyword are names.
    for word in [
        "tier", "change", "window", "check", "service", "list", "max", "andy", "allowed", "into",
        "order", "notes", "forall", "ons", "offset", "rules", "tiers_x", "whenever", "counter",
        "has_x", "subsets", "trueish", "notify_x",
    ] {
        assert_eq!(show(&expr(word)), word);
    }
}

#[test]
fn every_grammar_rule_has_a_human_name() {
    for &rule in Rule::all_rules() {
        assert_ne!(describe(rule), UNNAMED, "{rule:?} has no human name");
    }
    assert_eq!(describe(Rule::kw_waivable), "`waivable`");
    assert_eq!(describe(Rule::kw_no_data), "`no_data`");
}

#[test]
fn reserved_word_error_has_help() {
    let (_, diags) = parse(FileId(0), "tier t when when");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].message, "expected an expression, found `when`");
    assert_eq!(
        diags[0].help.as_deref(),
        Some("`when` is a reserved word and cannot be used as a name")
    );
}

#[test]
fn a_lone_equals_sign_suggests_the_comparison() {
    for (src, op, written) in [
        ("tier high when change.size = 3", "==", "="),
        ("tier high when change.size => 3", ">=", "=>"),
        ("tier high when change.size =< 3", "<=", "=<"),
        ("rollback {\n  trigger error_rate = 2% for 5m\n}", "==", "="),
    ] {
        let (_, diags) = parse(FileId(0), src);
        assert_eq!(diags.len(), 1, "{src}");
        let want = format!("did you mean `{op}`? `{written}` is not an operator");
        assert_eq!(diags[0].help.as_deref(), Some(want.as_str()), "{src}");
    }
    // `==` is fine, and `=` where no operator could stand gets no such help.
    assert!(
        parse(FileId(0), "tier high when change.size == 3")
            .1
            .is_empty()
    );
    let (_, diags) = parse(FileId(0), "extend change { a = int }");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].help, None);
}

#[test]
fn literals() {
    for (src, want) in [
        ("true", "true"),
        ("false", "false"),
        ("42", "42"),
        ("1.5", "float(1.5)"),
        ("2%", "pct(0.02)"),
        ("150%", "pct(1.5)"),
        ("0.5%", "pct(0.005)"),
        (r#""a\"b\\c\nd\te""#, r#""a\"b\\c\nd\te""#),
        ("90s", "dur(90)"),
        ("5m", "dur(300)"),
        ("24h", "dur(86400)"),
        ("3d", "dur(259200)"),
        ("2w", "dur(1209600)"),
        ("1h30m", "dur(5400)"),
        ("2026-12-24", "date(2026-12-24)"),
        ("2026-12-24T10:00", "dt(2026-12-24 600m 0s None)"),
        ("2026-12-24T10:00:30Z", "dt(2026-12-24 600m 30s Some(0))"),
        ("2026-12-24T10:00+01:00", "dt(2026-12-24 600m 0s Some(60))"),
        (
            "2026-12-24T10:00-05:30",
            "dt(2026-12-24 600m 0s Some(-330))",
        ),
        ("[]", "[]"),
        ("[\"a\", \"b\",]", "[\"a\" \"b\"]"),
        ("len(x)", "(call len x)"),
        ("approvals(\"cab\") >= 2", "(>= (call approvals \"cab\") 2)"),
        ("starts_with(a, \"x\")", "(call starts_with a \"x\")"),
        ("now()", "(call now )"),
        (
            "2026-12-24T10:00 - 5m",
            "(- dt(2026-12-24 600m 0s None) dur(300))",
        ),
    ] {
        assert_eq!(show(&expr(src)), want, "{src}");
    }
    assert_eq!(expr("2%").kind, ExprKind::Percent(0.02));
}

#[test]
fn expression_spans_are_byte_ranges() {
    let text = "tier t when a.b   ==  (c)";
    let e = expr("a.b   ==  (c)");
    assert_eq!(&text[e.span.range()], "a.b   ==  (c)");
    let ExprKind::Binary(_, l, r) = &e.kind else {
        panic!()
    };
    assert_eq!(&text[l.span.range()], "a.b");
    assert_eq!(&text[r.span.range()], "(c)");
}

#[test]
fn duration_units_add_up() {
    assert_eq!(
        duration_seconds("1w2d3h4m5s"),
        Some(604_800 + 2 * 86_400 + 3 * 3600 + 245)
    );
    assert_eq!(duration_seconds("99999999999999999999w"), None);
}

// --- declarations ---------------------------------------------------------------------

#[test]
fn settings_and_names_with_hyphens() {
    let file = parse_ok(
        "tiers low, mid-high\ndefault deny\ncapacity 3\ngroups cab, team-lead\n\
         region eu-west uses emea, global-1",
    );
    assert!(matches!(
        file.items[1],
        Item::Default {
            effect: DefaultEffect::Deny,
            ..
        }
    ));
    assert!(matches!(file.items[2], Item::Capacity { value: 3, .. }));
    let Item::Region(r) = &file.items[4] else {
        panic!()
    };
    assert_eq!(r.name.name, "eu-west");
    let cals: Vec<&str> = r.calendars.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(cals, ["emea", "global-1"]);
}

#[test]
fn extend_fields_by_commas_and_newlines() {
    let file = parse_ok(
        "extend change {\n  ticket: string,\n  tags: list<string>\n  cost: float?\n  \
         nested: list<list<int>?>?,\n  backups: list<{service: string, taken_at: datetime}>\n  \
         owner: {name: string\n team: string?,}?\n}\nextend service { pci: bool }",
    );
    let Item::Extend(ext) = &file.items[0] else {
        panic!()
    };
    assert_eq!(ext.target, ExtendTarget::Change);
    fn ty(t: &TypeExpr) -> String {
        match t {
            TypeExpr::Named(i) => i.name.clone(),
            TypeExpr::List(inner, _) => format!("list<{}>", ty(inner)),
            TypeExpr::Optional(inner, _) => format!("{}?", ty(inner)),
            TypeExpr::Record(fields, _) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name.name, ty(&f.ty)))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
        }
    }
    let fields: Vec<String> = ext
        .fields
        .iter()
        .map(|f| format!("{}: {}", f.name.name, ty(&f.ty)))
        .collect();
    assert_eq!(
        fields,
        [
            "ticket: string",
            "tags: list<string>",
            "cost: float?",
            "nested: list<list<int>?>?",
            "backups: list<{service: string, taken_at: datetime}>",
            "owner: {name: string, team: string?}?"
        ]
    );
    let Item::Extend(svc) = &file.items[1] else {
        panic!()
    };
    assert_eq!(svc.target, ExtendTarget::Service);
}

#[test]
fn rule_statements() {
    let r = rule(
        "rule r {\n  when a\n  deny when b\n  allow when c\n  require approval \"cab\" count 2\n  \
         require check \"ci\"\n  require check \"rehearsal\" within 30d\n  exempt blackout\n  \
         exempt window\n  exempt rule other\n  message \"m\"\n}",
    );
    assert_eq!(show(r.guard.as_ref().unwrap()), "a");
    assert_eq!(r.message.unwrap().value, "m");
    let kinds: Vec<String> = r
        .effects
        .iter()
        .map(|e| match e {
            Effect::Deny { when, .. } => format!("deny {}", show(when)),
            Effect::Allow { when, .. } => format!("allow {}", show(when)),
            Effect::RequireApproval { group, count, .. } => {
                format!("approval {} {:?}", group.value, count.map(|c| c.0))
            }
            Effect::RequireCheck { name, within, .. } => {
                format!("check {} {:?}", name.value, within.map(|w| w.seconds))
            }
            Effect::ExemptBlackout { .. } => "exempt blackout".into(),
            Effect::ExemptWindow { .. } => "exempt window".into(),
            Effect::ExemptRule { rule, .. } => format!("exempt rule {}", rule.name),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "deny b",
            "allow c",
            "approval cab Some(2)",
            "check ci None",
            "check rehearsal Some(2592000)",
            "exempt blackout",
            "exempt window",
            "exempt rule other"
        ]
    );
    assert!(rule("rule empty {}").effects.is_empty());
}

#[test]
fn second_guard_and_second_message_are_errors() {
    let text = "rule r {\n  when a\n  when b\n  message \"x\"\n  message \"y\"\n}";
    let (file, diags) = parse(FileId(0), text);
    assert_eq!(
        located(text, &diags),
        [
            "3:3: a rule can have only one `when` guard",
            "5:3: a rule can have only one `message`"
        ]
    );
    assert_eq!(diags[0].secondary.len(), 1);
    // The rule is still returned, with the first guard and message.
    let Some(Item::Rule(r)) = file.items.first() else {
        panic!()
    };
    assert_eq!(show(r.guard.as_ref().unwrap()), "a");
    assert_eq!(r.message.as_ref().unwrap().value, "x");
}

#[test]
fn trigger_forms() {
    let file = parse_ok(
        "rollback {\n  trigger a < -1.5 for 1h30m\n  trigger b > 2 of baseline for 5m on no_data fire\n  \
         trigger c != 0 for 1m when tier >= high on no_data fire\n}",
    );
    let Item::Rollback(r) = &file.items[0] else {
        panic!()
    };
    assert!(matches!(r.triggers[0].threshold, Threshold::Number(v, _) if v == -1.5));
    assert_eq!(r.triggers[0].for_.seconds, 5400);
    assert!(!r.triggers[0].on_no_data_fire);
    assert!(matches!(r.triggers[1].threshold, Threshold::OfBaseline(v, _) if v == 2.0));
    assert!(r.triggers[1].on_no_data_fire);
    assert_eq!(r.triggers[2].op, CmpOp::Ne);
    assert_eq!(show(r.triggers[2].when.as_ref().unwrap()), "(>= tier high)");
    assert!(r.triggers[2].on_no_data_fire);
}

#[test]
fn rollback_owner_alone_or_before_a_block() {
    let file = parse_ok(
        "rollback owner \"sre-oncall\"\nrollback owner \"x\" { trigger e > 1 for 1m }\n\
         rollback { trigger f > 1 for 1m }",
    );
    let owners: Vec<(Option<&str>, bool, usize)> = file
        .items
        .iter()
        .map(|i| match i {
            Item::Rollback(r) => (
                r.owner.as_ref().map(|o| o.value.as_str()),
                r.block,
                r.triggers.len(),
            ),
            _ => panic!("{i:?}"),
        })
        .collect();
    assert_eq!(
        owners,
        [
            (Some("sre-oncall"), false, 0),
            (Some("x"), true, 1),
            (None, true, 1)
        ]
    );
    // `rollback` alone says neither who nor what.
    let e = only_error("rollback\n");
    assert!(e.starts_with("2:1: expected"), "{e}");
    // `owner` is not reserved: it stays a name in expressions.
    parse_ok("rule r { deny when change.owner == \"x\" }");
}

#[test]
fn within_after_on_approvals_and_checks() {
    let file = parse_ok(
        "rule r {\n  require approval \"cab\" count 2 within 48h after\n  \
         require approval \"dba\" within 1d\n  require check \"c\" within 2h after\n}",
    );
    let Item::Rule(r) = &file.items[0] else {
        panic!()
    };
    match &r.effects[..] {
        [
            Effect::RequireApproval {
                count: Some((2, _)),
                within: Some(w),
                after: Some(_),
                ..
            },
            Effect::RequireApproval {
                within: Some(d),
                after: None,
                ..
            },
            Effect::RequireCheck { after: Some(_), .. },
        ] => {
            assert_eq!(w.seconds, 48 * 3600);
            assert_eq!(d.seconds, 86400);
        }
        other => panic!("{other:?}"),
    }
    // `after` needs `within` before it: alone it is not part of the statement.
    assert!(!errors("rule r { require approval \"cab\" after }").is_empty());
}

#[test]
fn notify_with_and_without_condition() {
    let file = parse_ok("notify \"a\", \"b\"\nnotify \"c\" when x");
    let Item::Notify(n) = &file.items[0] else {
        panic!()
    };
    assert_eq!(n.audiences.len(), 2);
    assert!(n.when.is_none());
    let Item::Notify(n) = &file.items[1] else {
        panic!()
    };
    assert_eq!(show(n.when.as_ref().unwrap()), "x");
}

#[test]
fn named_conditions() {
    let file = parse_ok(
        "condition deploy = change.action == \"deploy\"\ncondition hot = deploy and not x",
    );
    let Item::Condition(c) = &file.items[0] else {
        panic!()
    };
    assert_eq!(c.name.name, "deploy");
    assert_eq!((c.name.span.start, c.name.span.end), (10, 16));
    let Item::Condition(c) = &file.items[1] else {
        panic!()
    };
    assert_eq!(show(&c.value), "(and deploy (not x))");
    // `condition` is a keyword: not a name in expressions, and `==` is not `=`.
    assert_eq!(
        errors("condition a == b"),
        ["1:14: expected an expression, found `=`"]
    );
    assert!(!errors("rule r { deny when condition }").is_empty());
    assert!(!errors("condition and = x").is_empty());
    assert!(!errors("condition a =").is_empty());
}

#[test]
fn statements_may_share_a_line() {
    let r = rule("rule r { when a deny when b message \"m\" }");
    assert_eq!(r.effects.len(), 1);
    assert!(r.message.is_some());
}

#[test]
fn comments_and_bom_are_ignored() {
    let file = parse_ok("\u{feff}# top\ntiers a # x\n# y\ndefault allow # \"not a string\n");
    assert_eq!(file.items.len(), 2);
    let Item::Tiers { span, .. } = &file.items[0] else {
        panic!()
    };
    // Spans count the BOM's bytes.
    assert_eq!(span.start as usize, "\u{feff}# top\n".len());
    assert_eq!(show(&expr("\"# not a comment\"")), "\"# not a comment\"");
}

// --- calendars ----------------------------------------------------------------------

#[test]
fn windows_and_day_sets() {
    let cal = calendar(
        "calendar c timezone \"Europe/Berlin\" {\n  window mon-thu 09:00-16:00\n  window fri 9:00-12:00\n  \
         window sat,sun 10:00-24:00\n  window daily 22:00-02:00\n  window mon-tue, fri-mon 00:00-01:00\n}",
    );
    type Window = (Vec<(Weekday, Weekday)>, u32, u32);
    let windows: Vec<Window> = cal
        .entries
        .iter()
        .map(|e| match e {
            CalendarEntry::Window { days, times, .. } => {
                (days.ranges.clone(), times.start.minutes, times.end.minutes)
            }
            _ => panic!(),
        })
        .collect();
    use Weekday::*;
    assert_eq!(
        windows,
        [
            (vec![(Mon, Thu)], 540, 960),
            (vec![(Fri, Fri)], 540, 720),
            (vec![(Sat, Sat), (Sun, Sun)], 600, 1440),
            (vec![(Mon, Sun)], 1320, 120),
            (vec![(Mon, Tue), (Fri, Mon)], 0, 60),
        ]
    );
}

#[test]
fn blackout_daily_and_weekly() {
    let BlackoutSpec::Daily(tr) = blackout("daily 01:00-04:00") else {
        panic!()
    };
    assert_eq!((tr.start, tr.end), (t(60), t(240)));
    let BlackoutSpec::Weekly {
        from_day,
        from_time,
        to_day,
        to_time,
        ..
    } = blackout("weekly fri 18:00 - mon 06:00")
    else {
        panic!()
    };
    assert_eq!(
        (from_day, from_time, to_day, to_time),
        (Weekday::Fri, t(1080), Weekday::Mon, t(360))
    );
    assert!(matches!(
        blackout("weekly sat 00:00-sun 24:00"),
        BlackoutSpec::Weekly {
            to_time: LocalTime { minutes: 1440 },
            ..
        }
    ));
}

#[test]
fn blackout_monthly() {
    assert!(matches!(
        blackout("monthly days -3..-1"),
        BlackoutSpec::Monthly {
            from_day: -3,
            to_day: -1,
            times: None,
            ..
        }
    ));
    assert!(matches!(
        blackout("monthly days 15"),
        BlackoutSpec::Monthly {
            from_day: 15,
            to_day: 15,
            times: None,
            ..
        }
    ));
    let BlackoutSpec::Monthly {
        times: Some(tr), ..
    } = blackout("monthly days 1..2 09:00-12:00")
    else {
        panic!()
    };
    assert_eq!((tr.start, tr.end), (t(540), t(720)));
}

#[test]
fn blackout_date_ranges() {
    let BlackoutSpec::DateRange { from, to } = blackout("from 2026-12-19 to 2027-01-04") else {
        panic!()
    };
    assert_eq!((from.year, from.month, from.day), (2026, 12, 19));
    assert_eq!((to.year, to.month, to.day), (2027, 1, 4));
    let BlackoutSpec::DateTimeRange { from, to } =
        blackout("from 2026-11-26T18:00 to 2026-11-27T06:00:30")
    else {
        panic!()
    };
    assert_eq!((from.date.day, from.minutes, from.second), (26, 1080, 0));
    assert_eq!((to.date.day, to.minutes, to.second), (27, 360, 30));
}

#[test]
fn blackout_ics_and_rrule() {
    let BlackoutSpec::Ics(path) = blackout("ics \"calendars/de-holidays.ics\"") else {
        panic!()
    };
    assert_eq!(path.value, "calendars/de-holidays.ics");
    let BlackoutSpec::Rrule {
        rule,
        at,
        duration,
        except,
        ..
    } = blackout(
        "rrule \"FREQ=MONTHLY;BYMONTHDAY=-1\" at 23:30 for 2d except 2026-12-31, 2027-03-31",
    )
    else {
        panic!()
    };
    assert_eq!(rule.value, "FREQ=MONTHLY;BYMONTHDAY=-1");
    assert_eq!(at, t(1410));
    assert_eq!(duration.seconds, 2 * 86_400);
    let except: Vec<u32> = except.iter().map(|d| d.month).collect();
    assert_eq!(except, [12, 3]);
    assert!(matches!(
        blackout("rrule \"FREQ=DAILY\" at 00:00 for 1h"),
        BlackoutSpec::Rrule { ref except, .. } if except.is_empty()
    ));
}

#[test]
fn bad_times_are_reported() {
    let cal = |body: &str| errors(&format!("calendar c timezone \"UTC\" {{\n  {body}\n}}"));
    assert_eq!(
        cal("window mon 24:00-10:00"),
        ["2:14: `24:00` is not a valid time of day"]
    );
    assert_eq!(
        cal("window mon 10:00-24:30"),
        ["2:20: `24:30` is not a valid time of day"]
    );
    assert_eq!(
        cal("window mon 25:00-26:00"),
        [
            "2:14: `25:00` is not a valid time of day",
            "2:20: `26:00` is not a valid time of day"
        ]
    );
    assert_eq!(
        cal("blackout \"b\" daily 10:60-11:00"),
        ["2:22: `10:60` is not a valid time of day"]
    );
    assert_eq!(
        cal("blackout \"b\" rrule \"FREQ=DAILY\" at 24:00 for 1h"),
        ["2:38: `24:00` is not a valid time of day"]
    );
    assert_eq!(
        cal("blackout \"b\" monthly days 0..32"),
        [
            "2:29: `0` is not a day of the month",
            "2:32: `32` is not a day of the month"
        ]
    );
}

#[test]
fn bad_dates_and_mixed_ranges_are_reported() {
    let cal = |body: &str| errors(&format!("calendar c timezone \"UTC\" {{\n  {body}\n}}"));
    assert_eq!(
        cal("blackout \"b\" from 2026-13-01 to 2026-12-31"),
        ["2:21: `2026-13-01` is not a valid date"]
    );
    assert_eq!(
        cal("blackout \"b\" from 2026-02-29 to 2026-03-01"),
        ["2:21: `2026-02-29` is not a valid date"]
    );
    assert!(cal("blackout \"b\" from 2028-02-29 to 2028-03-01").is_empty());
    assert_eq!(
        cal("blackout \"b\" from 2026-01-01 to 2026-01-02T10:00"),
        ["2:16: both ends of `from ... to` must be dates, or both date-times"]
    );
    assert_eq!(
        cal("blackout \"b\" from 2026-01-01T00:00Z to 2026-01-02T10:00"),
        ["2:21: date-times in a calendar are local to its time zone"]
    );
    assert_eq!(
        errors("tier t when x > 2026-12-24T24:00"),
        ["1:17: `2026-12-24T24:00` is not a valid date-time"]
    );
}

#[test]
fn number_overflow_is_a_diagnostic() {
    assert_eq!(
        errors("tier t when x > 99999999999999999999"),
        ["1:17: this number is too large (the largest is 9223372036854775807)"]
    );
    assert_eq!(
        errors("capacity 99999999999999999999"),
        ["1:10: this number is too large (the largest is 18446744073709551615)"]
    );
    assert_eq!(
        errors("tier t when x > 99999999999999999999d"),
        ["1:17: this duration is too long"]
    );
    assert_eq!(
        only_error(&format!("tier t when x > {}.5", "9".repeat(400))),
        "1:17: this number is too large"
    );
}

#[test]
fn unknown_escape_is_reported_at_the_escape() {
    assert_eq!(
        errors("notify \"a\\qb\""),
        ["1:10: unknown escape `\\q` in a string"]
    );
}

// --- syntax errors ----------------------------------------------------------------------

#[test]
fn syntax_errors_name_what_was_expected() {
    for (text, want) in [
        (
            "waivable r by \"g\" max 5x",
            "1:23: expected a duration like 5m, found `5x`",
        ),
        (
            "calendar c timezone \"UTC\" {\n  window mon 9-17\n}",
            "2:14: expected a time like 09:00, `,`, or `-`, found `9`",
        ),
        ("tier high whne x", "1:11: expected `when`, found `whne`"),
        (
            "rule r {\n  deny when\n}",
            "3:1: expected an expression, found `}`",
        ),
        ("rule r {\n  deny a\n}", "2:8: expected `when`, found `a`"),
        (
            "rule r {\n  require approval cab\n}",
            "2:20: expected a string like \"text\", found `cab`",
        ),
        (
            "rule r {\n  require review \"x\"\n}",
            "2:11: expected `approval` or `check`, found `review`",
        ),
        (
            "rule r {\n  deny when a b\n}",
            "2:15: expected an operator, a rule statement (`when`, `deny when`, `allow when`, \
             `require`, `exempt` or `message`), or `}`, found `b`",
        ),
        (
            "rule r {\n  message \"unterminated\n}",
            "2:24: expected a closing `\"` (strings end on the line they start), found end of line",
        ),
        (
            "calendar c timezone \"UTC\" {\n  blackout \"b\" hourly 10:00\n}",
            "2:16: expected a blackout period (`daily`, `weekly`, `monthly`, `from`, `ics` or \
             `rrule`), found `hourly`",
        ),
        (
            "rollback {\n  trigger error_rate > lots for 5m\n}",
            "2:24: expected a threshold like 2%, 3 or 150% of baseline, found `lots`",
        ),
        (
            "default maybe",
            "1:9: expected `allow` or `deny`, found `maybe`",
        ),
        (
            "frobnicate x",
            "1:1: expected a declaration (`tiers`, `default`, `capacity`, `groups`, `kinds`, \
             `extend`, `tier`, `condition`, `calendar`, `region`, `services`, `changes`, `rule`, `waivable`, `strategy`, `rollback` \
             or `notify`), found `frobnicate`",
        ),
        ("tiers", "1:6: expected a tier name, found end of file"),
        (
            "strategy {\n  canary\n}",
            "3:1: expected `when` or `otherwise`, found `}`",
        ),
        (
            "tier t when any s change.services: s.x",
            "1:19: expected `in`, found `change`",
        ),
        ("tier t when a not b", "1:19: expected `in`, found `b`"),
        (
            "extend change { a string }",
            "1:19: expected `:`, found `string`",
        ),
    ] {
        assert_eq!(only_error(text), want, "{text}");
    }
}

#[test]
fn syntax_error_has_label_and_span() {
    let (_, diags) = parse(FileId(0), "tier high whne x");
    assert_eq!(diags[0].label, "unexpected `whne`");
    assert_eq!(diags[0].span.range(), 10..14);
    let (_, diags) = parse(FileId(0), "tiers");
    assert_eq!(diags[0].label, "the file ends here");
    assert_eq!(diags[0].span.range(), 5..5);
}

#[test]
fn every_broken_item_is_reported_and_good_items_kept() {
    let text = "tiers low, high\n\
                rule a {\n  deny when x ==\n}\n\
                default allow\n\
                rule b {\n  require check\n}\n\
                notify \"ops\"\n";
    let (file, diags) = parse(FileId(0), text);
    assert_eq!(
        located(text, &diags),
        [
            "4:1: expected an expression, found `}`",
            "8:1: expected a string like \"text\", found `}`"
        ]
    );
    let kinds: Vec<&str> = file
        .items
        .iter()
        .map(|i| match i {
            Item::Tiers { .. } => "tiers",
            Item::Default { .. } => "default",
            Item::Notify(_) => "notify",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["tiers", "default", "notify"]);
}

#[test]
fn recovery_after_a_missing_brace() {
    let text = "rule a {\n  deny when x\n\nrule b {\n  deny when y\n}\ntier high when z\n";
    let (file, diags) = parse(FileId(0), text);
    assert_eq!(
        located(text, &diags),
        [
            "4:1: expected an operator, a rule statement (`when`, `deny when`, `allow when`, \
          `require`, `exempt` or `message`), or `}`, found `rule`"
        ]
    );
    assert_eq!(file.items.len(), 2);
}

#[test]
fn recovery_keeps_continuation_lines_and_keyword_fields_together() {
    // The error is in the last item; the `tier >= high` continuation and the `region:` field
    // must not be taken for new items.
    let text =
        "tier high when a and\n  tier >= low\nextend change {\n  region: string\n}\ncapacity x\n";
    let (file, diags) = parse(FileId(0), text);
    assert_eq!(
        located(text, &diags),
        ["6:10: expected a whole number, found `x`"]
    );
    assert_eq!(file.items.len(), 2);
}

#[test]
fn value_errors_in_several_items_are_all_reported() {
    let text = "tier a when x > 2026-13-01\ntier b when y > 2026-02-30\n";
    assert_eq!(
        errors(text),
        [
            "1:17: `2026-13-01` is not a valid date",
            "2:17: `2026-02-30` is not a valid date"
        ]
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("tier t when {}x{}", "(".repeat(10_000), ")".repeat(10_000));
    let errs = errors(&deep);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("nests too deeply"), "{errs:?}");

    let ok = format!("tier t when {}x{}", "(".repeat(60), ")".repeat(60));
    assert_eq!(show(&expr(&ok["tier t when ".len()..])), "x");

    let nots = format!("tier t when {}x", "not ".repeat(10_000));
    assert!(only_error(&nots).contains("nests too deeply"));

    // Chains of `and` or `or` are balanced trees: only real nesting counts.
    for op in ["and", "or"] {
        let chain = format!("tier t when x{}", format!(" {op} x").repeat(10_000));
        assert_eq!(parse_ok(&chain).items.len(), 1, "{op}");
    }
    let sums = format!("tier t when x{} > 0", " + x".repeat(10_000));
    assert!(only_error(&sums).contains("nests too deeply"));

    let quants = format!("tier t when {}x", "any s in xs: ".repeat(1000));
    assert!(only_error(&quants).contains("nests too deeply"));

    let lists = format!(
        "extend change {{ a: {}int{} }}",
        "list<".repeat(1000),
        ">".repeat(1000)
    );
    assert!(only_error(&lists).contains("nests too deeply"));

    // Brackets in strings and comments do not count.
    let quoted = format!("notify \"{}\" # {}\n", "(".repeat(100), "[".repeat(100));
    assert_eq!(parse_ok(&quoted).items.len(), 1);

    // A deep item does not hide the others.
    let mixed = format!("{deep}\ntiers a\nrule r {{ deny when a }}\n");
    let (file, diags) = parse(FileId(0), &mixed);
    assert_eq!(diags.len(), 1);
    assert_eq!(file.items.len(), 2);
}

/// pest 2.8 (Cargo.toml says why it is held there) has no stack probe of its own: the nesting
/// guard is what bounds its recursion. The deepest texts the guard lets through (quantifiers
/// and brackets, a list of lists) parse on a thread with a quarter of Rust's default stack.
#[test]
fn deepest_accepted_nesting_parses_on_a_small_stack() {
    let max = super::nesting::MAX_NESTING;
    let texts = [
        format!(
            "tier t when {}{}x{}",
            "any s in xs: (".repeat(max / 4),
            "(".repeat(max / 2),
            ")".repeat(max / 2 + max / 4),
        ),
        format!("tier t when {}1{} == []", "[".repeat(max), "]".repeat(max)),
    ];
    for text in texts {
        let deeper = format!("tier t when ({})", &text["tier t when ".len()..]);
        assert!(only_error(&deeper).contains("nests too deeply"), "{deeper}");
        let items = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let (file, diags) = parse(FileId(0), &text);
                assert!(diags.is_empty(), "{diags:?}");
                file.items.len()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(items, 1);
    }
}

#[test]
fn many_statements_are_not_nesting() {
    // `count` in approvals and `list < n` comparisons open nothing that stays open.
    let approvals = "  require approval \"g\" count 2\n".repeat(100);
    assert_eq!(
        rule(&format!("rule r {{\n{approvals}}}")).effects.len(),
        100
    );
    let lists = "tier t when list < 3 and any s in xs: s\n".repeat(100);
    assert_eq!(parse_ok(&lists).items.len(), 100);
    let counts = "  deny when change.count > 1 and count s in xs: s\n".repeat(100);
    assert_eq!(rule(&format!("rule r {{\n{counts}}}")).effects.len(), 100);
}

#[test]
fn long_flat_policies_parse() {
    let mut text = String::from("tiers low, high\n");
    for i in 0..1000 {
        text.push_str(&format!(
            "rule r{i} {{\n  when tier >= high and \"x{i}\" in change.labels\n  \
             deny when change.size > {i} or any s in change.services: s.tier == 0\n  \
             message \"r{i}\"\n}}\n"
        ));
    }
    assert_eq!(parse_ok(&text).items.len(), 1001);
}

// --- property tests -------------------------------------------------------------------

fn assert_well_formed(text: &str) {
    let (file, diags) = parse(FileId(0), text);
    for d in &diags {
        assert!(
            d.span.start <= d.span.end && d.span.end as usize <= text.len(),
            "span {:?} outside text of {} bytes: {}",
            d.span,
            text.len(),
            d.message
        );
        assert!(!d.message.contains("internal error"), "{}", d.message);
        assert!(text.is_char_boundary(d.span.start as usize));
        assert!(text.is_char_boundary(d.span.end as usize));
    }
    for item in &file.items {
        let span = match item {
            Item::Tiers { span, .. }
            | Item::Default { span, .. }
            | Item::Capacity { span, .. }
            | Item::Groups { span, .. }
            | Item::Kinds { span, .. } => *span,
            Item::Extend(x) => x.span,
            Item::Tier(x) => x.span,
            Item::Calendar(x) => x.span,
            Item::Region(x) => x.span,
            Item::Scope(x) => x.span,
            Item::Rule(x) => x.span,
            Item::Waivable(x) => x.span,
            Item::Strategy(x) => x.span,
            Item::Rollback(x) => x.span,
            Item::Notify(x) => x.span,
            Item::Condition(x) => x.span,
        };
        assert!(span.end as usize <= text.len());
    }
}

/// Tokens the soup is made of besides every keyword.
const OTHER_TOKENS: &[&str] = &[
    "mon",
    "fri",
    "sun",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    "==",
    "!=",
    "<=",
    ">=",
    "+",
    "-",
    ".",
    "..",
    ",",
    ":",
    "?",
    "%",
    "#",
    "\"",
    "\\",
    "\"text\"",
    "\"a\\nb\"",
    "\"bad\\q\"",
    "0",
    "42",
    "-3",
    "1.5",
    "2%",
    "150%",
    "5m",
    "1h30m",
    "99999999999999999999",
    "2026-12-24",
    "2026-13-45",
    "2026-12-24T10:00",
    "2026-12-24T10:00Z",
    "2026-12-24T25:61+01:00",
    "09:00",
    "24:00",
    "25:99",
    "09:00-16:00",
    "mon-thu",
    "sat,sun",
    "a",
    "s",
    "x_1",
    "team-lead",
    "eu-west",
    "high",
    "len",
    "é",
    "\t",
];

fn soup_tokens() -> Vec<&'static str> {
    KEYWORDS
        .iter()
        .map(|k| k.word)
        .chain(OTHER_TOKENS.iter().copied())
        .collect()
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(soup_tokens()),
            prop::sample::select(&[" ", " ", "\n", ""][..]),
        ),
        0..120,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(t, sep)| [t, sep])
            .collect::<String>()
    })
}

/// A model expression and a printer that adds only the parentheses the precedence table
/// needs; parsing the printed text must give back the model's tree.
#[derive(Debug, Clone)]
enum Model {
    Atom(&'static str),
    Bin(&'static str, Box<Model>, Box<Model>),
    Not(Box<Model>),
    Neg(Box<Model>),
    Field(Box<Model>, &'static str),
    Has(Box<Model>, &'static str),
    Quant(&'static str, &'static str, Box<Model>, Box<Model>),
}

/// Binding power of each binary operator: (level of the node, min level of left, of right).
fn bin_levels(op: &str) -> (u8, u8, u8) {
    match op {
        "or" => (1, 1, 2),
        "and" => (2, 2, 3),
        "+" | "-" => (5, 5, 6),
        // comparisons are non-associative: both sides one level up
        _ => (4, 5, 5),
    }
}

/// Returns (text, level, ends_open): `ends_open` when it ends in a quantifier body that would
/// swallow whatever followed it.
fn print(m: &Model) -> (String, u8, bool) {
    fn wrap(m: &Model, min: u8, followed: bool) -> (String, bool) {
        let (s, level, open) = print(m);
        if level < min || (followed && open) {
            (format!("({s})"), false)
        } else {
            (s, open)
        }
    }
    match m {
        Model::Atom(a) => (a.to_string(), 8, false),
        Model::Bin(op, l, r) => {
            let (level, lmin, rmin) = bin_levels(op);
            let (l, _) = wrap(l, lmin, true);
            let (r, open) = wrap(r, rmin, false);
            (format!("{l} {op} {r}"), level, open)
        }
        Model::Not(x) => {
            let (x, open) = wrap(x, 3, false);
            (format!("not {x}"), 3, open)
        }
        Model::Neg(x) => {
            let (x, open) = wrap(x, 6, false);
            (format!("-{x}"), 6, open)
        }
        Model::Field(x, f) => {
            let (x, _) = wrap(x, 7, true);
            (format!("{x}.{f}"), 7, false)
        }
        Model::Has(x, f) => {
            let (x, _) = wrap(x, 5, true);
            (format!("{x} has {f}"), 4, false)
        }
        Model::Quant(q, v, list, body) => {
            let (list, _) = wrap(list, 1, true);
            let (body, _) = wrap(body, 1, false);
            (format!("{q} {v} in {list}: {body}"), 3, true)
        }
    }
}

/// The S-expression `show` gives for the parse of a model.
fn model_tree(m: &Model) -> String {
    match m {
        Model::Atom(a) => a.to_string(),
        Model::Bin(op, l, r) => format!("({op} {} {})", model_tree(l), model_tree(r)),
        Model::Not(x) => format!("(not {})", model_tree(x)),
        Model::Neg(x) => format!("(neg {})", model_tree(x)),
        Model::Field(x, f) => format!("(. {} {f})", model_tree(x)),
        Model::Has(x, f) => format!("(has {} {f})", model_tree(x)),
        Model::Quant(q, v, l, b) => format!("({q} {v} {} {})", model_tree(l), model_tree(b)),
    }
}

/// An S-expression of `show` with every nested `(and ...)` inside an `(and ...)` (and every
/// `(or ...)` inside an `(or ...)`) spliced into its parent: `(or a (or b c))` is `(or a b c)`.
fn flat_runs(sexpr: &str) -> String {
    enum S {
        Atom(String),
        List(Vec<S>),
    }
    fn parse(tokens: &mut std::iter::Peekable<std::vec::IntoIter<String>>) -> S {
        match tokens.next().as_deref() {
            Some("(") => {
                let mut items = Vec::new();
                while tokens.peek().is_some_and(|t| t != ")") {
                    items.push(parse(tokens));
                }
                tokens.next();
                S::List(items)
            }
            Some(atom) => S::Atom(atom.to_string()),
            None => S::List(Vec::new()),
        }
    }
    fn head(s: &S) -> Option<&str> {
        match s {
            S::List(items) => match items.first() {
                Some(S::Atom(h)) if h == "and" || h == "or" => Some(h),
                _ => None,
            },
            S::Atom(_) => None,
        }
    }
    fn flatten(s: S) -> S {
        let S::List(items) = s else { return s };
        let items: Vec<S> = items.into_iter().map(flatten).collect();
        let Some(op) = items.first().and_then(|h| match h {
            S::Atom(h) if h == "and" || h == "or" => Some(h.clone()),
            _ => None,
        }) else {
            return S::List(items);
        };
        let mut out = Vec::new();
        for item in items {
            if head(&item) == Some(op.as_str()) {
                let S::List(inner) = item else { unreachable!() };
                out.extend(inner.into_iter().skip(1));
            } else {
                out.push(item);
            }
        }
        S::List(out)
    }
    fn print(s: &S, out: &mut String) {
        match s {
            S::Atom(a) => out.push_str(a),
            S::List(items) => {
                out.push('(');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    print(item, out);
                }
                out.push(')');
            }
        }
    }
    let spaced = sexpr.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<String> = spaced.split_whitespace().map(str::to_string).collect();
    let mut out = String::new();
    print(
        &flatten(parse(&mut tokens.into_iter().peekable())),
        &mut out,
    );
    out
}

fn model() -> impl Strategy<Value = Model> {
    let atom =
        prop::sample::select(&["a", "b", "tier", "change", "7", "x_1"][..]).prop_map(Model::Atom);
    atom.prop_recursive(6, 64, 2, |inner| {
        // The operators of each precedence level come up about equally often.
        let ops = &[
            "or",
            "or",
            "or",
            "and",
            "and",
            "and",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "in",
            "not in",
            "subset of",
            "intersects",
            "+",
            "+",
            "-",
            "-",
        ][..];
        prop_oneof![
            6 => (prop::sample::select(ops), inner.clone(), inner.clone())
                .prop_map(|(op, l, r)| Model::Bin(op, Box::new(l), Box::new(r))),
            1 => inner.clone().prop_map(|x| Model::Not(Box::new(x))),
            1 => inner.clone().prop_map(|x| Model::Neg(Box::new(x))),
            1 => (inner.clone(), prop::sample::select(&["size", "count", "in"][..]))
                .prop_map(|(x, f)| Model::Field(Box::new(x), f)),
            1 => (inner.clone(), prop::sample::select(&["incident", "tier"][..]))
                .prop_map(|(x, f)| Model::Has(Box::new(x), f)),
            1 => (
                prop::sample::select(&["any", "all", "count"][..]),
                prop::sample::select(&["s", "t"][..]),
                inner.clone(),
                inner
            )
                .prop_map(|(q, v, l, b)| Model::Quant(q, v, Box::new(l), Box::new(b))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        assert_well_formed(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soups_never_panic(text in token_soup()) {
        assert_well_formed(&text);
    }

    #[test]
    fn token_soups_inside_items_never_panic(body in token_soup()) {
        for (open, close) in [("rule r {", "}"), ("tier t when ", ""), ("calendar c timezone \"UTC\" {", "}"),
                              ("rollback { trigger ", "}"), ("extend change {", "}")] {
            assert_well_formed(&format!("{open}{body}{close}"));
        }
    }

    #[test]
    fn printed_expressions_parse_back_to_their_tree(m in model()) {
        let (text, _, _) = print(&m);
        // A run of `and` (or `or`) is parsed as a balanced tree, so the grouping inside a run
        // is the parser's choice: compare with runs flattened (the operands keep their order).
        prop_assert_eq!(flat_runs(&show(&expr(&text))), flat_runs(&model_tree(&m)), "text: {}", text);
    }

    #[test]
    fn durations_add_their_parts(parts in prop::collection::vec((0i64..10_000, 0usize..5), 1..6)) {
        let units = [("s", 1i64), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)];
        let text: String = parts.iter().map(|(n, u)| format!("{n}{}", units[*u].0)).collect();
        let want: i64 = parts.iter().map(|(n, u)| n * units[*u].1).sum();
        prop_assert_eq!(show(&expr(&text)), format!("dur({want})"));
    }
}

/// Prints parse times of 1,000-rule files (whole parse, and pest alone); run with
/// `cargo test --release -p shipgate --lib parse_speed -- --ignored --nocapture`.
#[test]
#[ignore = "timing report, meaningful only in release"]
fn parse_speed_report() {
    let full = "when tier >= high and \"x\" in change.labels\n  \
                deny when change.size > 5 or any s in change.services: s.tier == 0 and not s.legacy\n  \
                require approval \"cab\" count 2\n  message \"r {change.id}\"";
    for body in [full, "deny when a", "require check \"ci\""] {
        let text: String = (0..1000)
            .map(|i| format!("rule r{i} {{\n  {body}\n}}\n"))
            .collect();
        let mut best = (std::time::Duration::MAX, std::time::Duration::MAX);
        for _ in 0..15 {
            let start = std::time::Instant::now();
            let parsed = parse(FileId(0), &text);
            best.0 = best.0.min(start.elapsed());
            assert_eq!(parsed.0.items.len(), 1000);
            drop(parsed);
            let start = std::time::Instant::now();
            assert!(grammar_accepts(&text));
            best.1 = best.1.min(start.elapsed());
        }
        eprintln!(
            "{} bytes: parse {:?}, pest alone {:?}",
            text.len(),
            best.0,
            best.1
        );
    }
}

#[test]
fn scopes_of_services_and_changes() {
    let file = parse_ok(
        "services where \"ledger-db\" in s.upstream use ledger-batch, global\n\
         changes where \"database\" in change.kind\n  use dba\n\
         tier high when services.x",
    );
    let [Item::Scope(s), Item::Scope(c), Item::Tier(_)] = &file.items[..] else {
        panic!("{:#?}", file.items)
    };
    assert_eq!(s.target, ScopeTarget::Services);
    assert_eq!(show(&s.when), "(in \"ledger-db\" (. s upstream))");
    let names: Vec<&str> = s.calendars.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["ledger-batch", "global"]);
    assert_eq!(c.target, ScopeTarget::Changes);
    assert_eq!(c.calendars[0].name, "dba");
    // `services` and `changes` stay names in expressions, as `tier` does.
    assert_eq!(
        show(&expr("changes.x and services")),
        "(and (. changes x) services)"
    );
}

#[test]
fn scope_errors_say_what_was_expected() {
    assert_eq!(
        only_error("services where s.legacy"),
        "1:24: expected an operator or `use`, found end of file"
    );
    assert!(
        only_error("changes s.legacy use x").starts_with("1:9: expected `where`"),
        "{}",
        only_error("changes s.legacy use x")
    );
    // Recovery cuts at a scope: the broken item before it and the scope after it.
    let errs = errors("rule r {\n deny when\n}\nservices where s.legacy use x\nrule q { bad }");
    assert_eq!(errs.len(), 2, "{errs:#?}");
}
