//! Model-based property test of the evaluator: random well-typed expressions are compiled into
//! a policy (`deny when EXPR`) and evaluated by the engine; a slow, obvious tree-walking model
//! evaluates the same expression over plain Rust data. They must agree.
//!
//! The expressions include date-times compared with dates (by the UTC date, or by `date(t,
//! "Zone")` in fixed-offset zones, whose model is plain arithmetic) at instants next to
//! midnight, and quantifiers over a list of records (`change.backups`, an `extend` field).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use proptest::prelude::*;
use serde_json::json;
use shipgate::{Catalog, Change, Engine, Verdict};

#[derive(Debug, Clone)]
struct Svc {
    id: String,
    tier: i64,
    legacy: bool,
    stateful: bool,
    error_budget: f64,
}

#[derive(Debug, Clone)]
struct World {
    services: Vec<Svc>,
    touched: Vec<usize>,
    kind: Vec<String>,
    size: i64,
    emergency: bool,
    requester: String,
    implementer: String,
    /// `change.start`, unix seconds: next to a midnight (UTC or of a zone below).
    start: i64,
    /// `change.backups`: `(service id, taken_at)`.
    backups: Vec<(String, i64)>,
}

const DAY: i64 = 86_400;

/// Zones without daylight saving, with their offsets from UTC in seconds: the model of
/// `date(t, zone)` is `(t + offset) div 86400`.
const ZONES: [(&str, i64); 5] = [
    ("UTC", 0),
    ("Pacific/Kiritimati", 14 * 3600),
    ("Pacific/Pago_Pago", -11 * 3600),
    ("Asia/Kolkata", 5 * 3600 + 1800),
    ("Etc/GMT+3", -3 * 3600),
];

/// Days since 1970-01-01 of 2026-12-24, the middle of the dates the tests use.
fn base_day() -> i64 {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 24)
        .unwrap()
        .signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days()
}

/// A date literal: `2026-12-24`.
fn date_text(days: i64) -> String {
    (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(days))
        .to_string()
}

fn instant_text(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The instant a date-time expression reads.
#[derive(Debug, Clone)]
enum T {
    Start,
    /// `change.start - Ns`
    StartMinus(i64),
}

impl T {
    fn text(&self) -> String {
        match self {
            T::Start => "change.start".into(),
            T::StartMinus(n) => format!("(change.start - {n}s)"),
        }
    }
    fn eval(&self, w: &World) -> i64 {
        match self {
            T::Start => w.start,
            T::StartMinus(n) => w.start - n,
        }
    }
}

/// A bool over the backup record `b` (an element of `change.backups`).
#[derive(Debug, Clone)]
enum BB {
    /// `b.taken_at >= change.start - Nh`
    TakenWithin(i64),
    /// `b.taken_at <= change.start`
    TakenBeforeStart,
    /// `b.service == "svc-N"`
    Service(String),
    /// `b.taken_at OP DATE`: a date-time field of a record compared with a date.
    TakenDate(&'static str, i64),
    Not(Box<BB>),
    And(Box<BB>, Box<BB>),
}

impl BB {
    fn text(&self) -> String {
        match self {
            BB::TakenWithin(h) => format!("b.taken_at >= change.start - {h}h"),
            BB::TakenBeforeStart => "b.taken_at <= change.start".into(),
            BB::Service(id) => format!("b.service == \"{id}\""),
            BB::TakenDate(op, d) => format!("b.taken_at {op} {}", date_text(*d)),
            BB::Not(x) => format!("not ({})", x.text()),
            BB::And(a, b) => format!("({}) and ({})", a.text(), b.text()),
        }
    }
    fn eval(&self, b: &(String, i64), w: &World) -> bool {
        match self {
            BB::TakenWithin(h) => b.1 >= w.start - h * 3600,
            BB::TakenBeforeStart => b.1 <= w.start,
            BB::Service(id) => b.0 == *id,
            BB::TakenDate(op, d) => cmp(op, b.1.div_euclid(DAY), *d),
            BB::Not(x) => !x.eval(b, w),
            BB::And(x, y) => x.eval(b, w) && y.eval(b, w),
        }
    }
}

/// The model's expression language, a subset of the policy language with obvious semantics.
#[derive(Debug, Clone)]
enum B {
    Lit(bool),
    Emergency,
    Not(Box<B>),
    And(Box<B>, Box<B>),
    Or(Box<B>, Box<B>),
    IntCmp(&'static str, Box<I>, Box<I>),
    StrEq(bool, Box<S>, Box<S>),
    KindHas(String),
    KindSubset(Vec<String>),
    KindIntersects(Vec<String>),
    Any(Box<SB>),
    All(Box<SB>),
    /// `T OP DATE` (or `DATE OP T` when flipped): by the UTC date of the instant.
    DateCmp(&'static str, T, i64, bool),
    /// `date(T, "ZONE") OP DATE`
    DateIn(&'static str, T, usize, i64),
    AnyBackup(Box<BB>),
    AllBackups(Box<BB>),
}

/// A bool over the quantified service `s`.
#[derive(Debug, Clone)]
enum SB {
    Legacy,
    Stateful,
    TierCmp(&'static str, i64),
    BudgetNeg,
    /// `starts_with(s.id, "svc-1")`: a builtin call, which runs on the general evaluator
    /// inside a quantifier the fast form runs.
    IdStartsWith(&'static str),
    /// `any b in change.backups: b.service == s.id and (BB)`: a record quantifier, on the
    /// general evaluator, inside a service quantifier on the fast one.
    Backed(Box<BB>),
    Not(Box<SB>),
    And(Box<SB>, Box<SB>),
    Or(Box<SB>, Box<SB>),
}

#[derive(Debug, Clone)]
enum I {
    Lit(i64),
    Size,
    LenKind,
    LenServices,
    Add(Box<I>, Box<I>),
    Sub(Box<I>, Box<I>),
    Count(Box<SB>),
    CountBackups(Box<BB>),
}

#[derive(Debug, Clone)]
enum S {
    Lit(String),
    Requester,
    Implementer,
    Lower(Box<S>),
}

const OPS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];
const KINDS: [&str; 4] = ["application", "database", "config", "infrastructure"];
const NAMES: [&str; 4] = ["ana", "Bob", "bob", "chen"];

/// `a OP b` as `b OP' a`: the operator seen from the other side.
fn flip(op: &str) -> &'static str {
    match op {
        "==" => "==",
        "!=" => "!=",
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        _ => "<=",
    }
}

fn cmp(op: &str, a: i64, b: i64) -> bool {
    match op {
        "==" => a == b,
        "!=" => a != b,
        "<" => a < b,
        "<=" => a <= b,
        ">" => a > b,
        _ => a >= b,
    }
}

impl SB {
    fn text(&self) -> String {
        match self {
            SB::Legacy => "s.legacy".into(),
            SB::Stateful => "s.stateful".into(),
            SB::TierCmp(op, n) => format!("s.tier {op} {n}"),
            SB::BudgetNeg => "s.error_budget < 0%".into(),
            SB::IdStartsWith(p) => format!("starts_with(s.id, \"{p}\")"),
            SB::Backed(x) => format!(
                "(any b in change.backups: b.service == s.id and ({}))",
                x.text()
            ),
            SB::Not(x) => format!("not ({})", x.text()),
            SB::And(a, b) => format!("({}) and ({})", a.text(), b.text()),
            SB::Or(a, b) => format!("({}) or ({})", a.text(), b.text()),
        }
    }
    fn eval(&self, s: &Svc, w: &World) -> bool {
        match self {
            SB::Legacy => s.legacy,
            SB::Stateful => s.stateful,
            SB::TierCmp(op, n) => cmp(op, s.tier, *n),
            SB::BudgetNeg => s.error_budget < 0.0,
            SB::IdStartsWith(p) => s.id.starts_with(p),
            SB::Backed(x) => w.backups.iter().any(|b| b.0 == s.id && x.eval(b, w)),
            SB::Not(x) => !x.eval(s, w),
            SB::And(a, b) => a.eval(s, w) && b.eval(s, w),
            SB::Or(a, b) => a.eval(s, w) || b.eval(s, w),
        }
    }
}

impl I {
    fn text(&self) -> String {
        match self {
            I::Lit(n) => format!("{n}"),
            I::Size => "change.size".into(),
            I::LenKind => "len(change.kind)".into(),
            I::LenServices => "len(change.services)".into(),
            I::Add(a, b) => format!("({} + {})", a.text(), b.text()),
            I::Sub(a, b) => format!("({} - {})", a.text(), b.text()),
            I::Count(x) => format!("(count s in change.services: {})", x.text()),
            I::CountBackups(x) => format!("(count b in change.backups: {})", x.text()),
        }
    }
    fn eval(&self, w: &World) -> i64 {
        match self {
            I::Lit(n) => *n,
            I::Size => w.size,
            I::LenKind => w.kind.len() as i64,
            I::LenServices => w.touched.len() as i64,
            I::Add(a, b) => a.eval(w) + b.eval(w),
            I::Sub(a, b) => a.eval(w) - b.eval(w),
            I::Count(x) => w
                .touched
                .iter()
                .filter(|i| x.eval(&w.services[**i], w))
                .count() as i64,
            I::CountBackups(x) => w.backups.iter().filter(|b| x.eval(b, w)).count() as i64,
        }
    }
}

impl S {
    fn text(&self) -> String {
        match self {
            S::Lit(s) => format!("\"{s}\""),
            S::Requester => "change.requester".into(),
            S::Implementer => "change.implementer".into(),
            S::Lower(x) => format!("lower({})", x.text()),
        }
    }
    fn eval(&self, w: &World) -> String {
        match self {
            S::Lit(s) => s.clone(),
            S::Requester => w.requester.clone(),
            S::Implementer => w.implementer.clone(),
            S::Lower(x) => x.eval(w).to_lowercase(),
        }
    }
}

fn list_text(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

impl B {
    fn text(&self) -> String {
        match self {
            B::Lit(b) => b.to_string(),
            B::Emergency => "change.emergency".into(),
            B::Not(x) => format!("not ({})", x.text()),
            B::And(a, b) => format!("({}) and ({})", a.text(), b.text()),
            B::Or(a, b) => format!("({}) or ({})", a.text(), b.text()),
            B::IntCmp(op, a, b) => format!("{} {op} {}", a.text(), b.text()),
            B::StrEq(eq, a, b) => format!(
                "{} {} {}",
                a.text(),
                if *eq { "==" } else { "!=" },
                b.text()
            ),
            B::KindHas(k) => format!("\"{k}\" in change.kind"),
            B::KindSubset(l) => format!("change.kind subset of {}", list_text(l)),
            B::KindIntersects(l) => format!("change.kind intersects {}", list_text(l)),
            B::Any(x) => format!("(any s in change.services: {})", x.text()),
            B::All(x) => format!("(all s in change.services: {})", x.text()),
            B::DateCmp(op, t, d, false) => format!("{} {op} {}", t.text(), date_text(*d)),
            B::DateCmp(op, t, d, true) => format!("{} {op} {}", date_text(*d), t.text()),
            B::DateIn(op, t, z, d) => format!(
                "date({}, \"{}\") {op} {}",
                t.text(),
                ZONES[*z].0,
                date_text(*d)
            ),
            B::AnyBackup(x) => format!("(any b in change.backups: {})", x.text()),
            B::AllBackups(x) => format!("(all b in change.backups: {})", x.text()),
        }
    }
    fn eval(&self, w: &World) -> bool {
        match self {
            B::Lit(b) => *b,
            B::Emergency => w.emergency,
            B::Not(x) => !x.eval(w),
            B::And(a, b) => a.eval(w) && b.eval(w),
            B::Or(a, b) => a.eval(w) || b.eval(w),
            B::IntCmp(op, a, b) => cmp(op, a.eval(w), b.eval(w)),
            B::StrEq(eq, a, b) => (a.eval(w) == b.eval(w)) == *eq,
            B::KindHas(k) => w.kind.contains(k),
            B::KindSubset(l) => w.kind.iter().all(|k| l.contains(k)),
            B::KindIntersects(l) => w.kind.iter().any(|k| l.contains(k)),
            B::Any(x) => w.touched.iter().any(|i| x.eval(&w.services[*i], w)),
            B::All(x) => w.touched.iter().all(|i| x.eval(&w.services[*i], w)),
            B::DateCmp(op, t, d, false) => cmp(op, t.eval(w).div_euclid(DAY), *d),
            B::DateCmp(op, t, d, true) => cmp(flip(op), t.eval(w).div_euclid(DAY), *d),
            B::DateIn(op, t, z, d) => cmp(op, (t.eval(w) + ZONES[*z].1).div_euclid(DAY), *d),
            B::AnyBackup(x) => w.backups.iter().any(|b| x.eval(b, w)),
            B::AllBackups(x) => w.backups.iter().all(|b| x.eval(b, w)),
        }
    }
}

fn op() -> impl Strategy<Value = &'static str> {
    prop::sample::select(OPS.to_vec())
}

fn kinds() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(KINDS.to_vec()).prop_map(String::from),
        0..3,
    )
}

/// A date within two days of 2026-12-24.
fn day() -> impl Strategy<Value = i64> {
    (-2i64..=2).prop_map(|d| base_day() + d)
}

fn instant() -> impl Strategy<Value = T> {
    prop_oneof![
        Just(T::Start),
        prop::sample::select(vec![1i64, 3600, DAY - 1, DAY]).prop_map(T::StartMinus),
    ]
}

fn bb() -> impl Strategy<Value = BB> {
    let leaf = prop_oneof![
        prop::sample::select(vec![1i64, 23, 24, 25]).prop_map(BB::TakenWithin),
        Just(BB::TakenBeforeStart),
        (0..4usize).prop_map(|i| BB::Service(format!("svc-{i}"))),
        (op(), day()).prop_map(|(o, d)| BB::TakenDate(o, d)),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| BB::Not(Box::new(x))),
            (inner.clone(), inner).prop_map(|(a, b)| BB::And(Box::new(a), Box::new(b))),
        ]
    })
}

fn sb() -> impl Strategy<Value = SB> {
    let leaf = prop_oneof![
        bb().prop_map(|x| SB::Backed(Box::new(x))),
        Just(SB::Legacy),
        Just(SB::Stateful),
        Just(SB::BudgetNeg),
        prop::sample::select(vec!["svc-1", "svc-", "svc-3", "x"]).prop_map(SB::IdStartsWith),
        (op(), 0i64..4).prop_map(|(o, n)| SB::TierCmp(o, n)),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| SB::Not(Box::new(x))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| SB::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| SB::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn int() -> impl Strategy<Value = I> {
    let leaf = prop_oneof![
        (-50i64..500).prop_map(I::Lit),
        Just(I::Size),
        Just(I::LenKind),
        Just(I::LenServices),
        sb().prop_map(|x| I::Count(Box::new(x))),
        bb().prop_map(|x| I::CountBackups(Box::new(x))),
    ];
    leaf.prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| I::Add(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| I::Sub(Box::new(a), Box::new(b))),
        ]
    })
}

fn string() -> impl Strategy<Value = S> {
    let leaf = prop_oneof![
        prop::sample::select(NAMES.to_vec()).prop_map(|s| S::Lit(s.to_string())),
        Just(S::Requester),
        Just(S::Implementer),
    ];
    leaf.prop_recursive(1, 2, 1, |inner| inner.prop_map(|x| S::Lower(Box::new(x))))
}

fn boolean() -> impl Strategy<Value = B> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(B::Lit),
        Just(B::Emergency),
        (op(), int(), int()).prop_map(|(o, a, b)| B::IntCmp(o, Box::new(a), Box::new(b))),
        (any::<bool>(), string(), string()).prop_map(|(e, a, b)| B::StrEq(
            e,
            Box::new(a),
            Box::new(b)
        )),
        prop::sample::select(KINDS.to_vec()).prop_map(|k| B::KindHas(k.to_string())),
        kinds().prop_map(B::KindSubset),
        kinds().prop_map(B::KindIntersects),
        sb().prop_map(|x| B::Any(Box::new(x))),
        sb().prop_map(|x| B::All(Box::new(x))),
        (op(), instant(), day(), any::<bool>()).prop_map(|(o, t, d, f)| B::DateCmp(o, t, d, f)),
        (op(), instant(), 0..ZONES.len(), day()).prop_map(|(o, t, z, d)| B::DateIn(o, t, z, d)),
        bb().prop_map(|x| B::AnyBackup(Box::new(x))),
        bb().prop_map(|x| B::AllBackups(Box::new(x))),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| B::Not(Box::new(x))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| B::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| B::Or(Box::new(a), Box::new(b))),
        ]
    })
}

/// A start next to a midnight of a zone of `ZONES`, around 2026-12-24.
fn start() -> impl Strategy<Value = i64> {
    (
        day(),
        0..ZONES.len(),
        prop::sample::select(vec![-DAY / 2, -1, 0, 1, DAY / 2]),
    )
        .prop_map(|(d, z, around)| d * DAY - ZONES[z].1 + around)
}

/// Backups taken around 24h before `start`: `(service index, seconds before the start)`.
fn backups() -> impl Strategy<Value = Vec<(usize, i64)>> {
    let before = prop::sample::select(vec![-1i64, 0, 1, 3600, DAY - 1, DAY, DAY + 1]);
    prop::collection::vec((0..6usize, before), 0..4)
}

fn world() -> impl Strategy<Value = World> {
    let svc = (0i64..4, any::<bool>(), any::<bool>(), -0.5f64..1.0);
    let when = (start(), backups());
    (
        when,
        prop::collection::vec(svc, 1..6),
        prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        kinds(),
        0i64..1000,
        any::<bool>(),
        prop::sample::select(NAMES.to_vec()),
        prop::sample::select(NAMES.to_vec()),
    )
        .prop_map(
            |((start, backups), svcs, picks, kind, size, emergency, req, imp)| {
                let services: Vec<Svc> = svcs
                    .into_iter()
                    .enumerate()
                    .map(|(i, (tier, legacy, stateful, error_budget))| Svc {
                        id: format!("svc-{i}"),
                        tier,
                        legacy,
                        stateful,
                        error_budget,
                    })
                    .collect();
                let mut touched: Vec<usize> =
                    picks.iter().map(|p| p.index(services.len())).collect();
                touched.sort();
                touched.dedup();
                World {
                    services,
                    touched,
                    kind,
                    size,
                    emergency,
                    requester: req.to_string(),
                    implementer: imp.to_string(),
                    start,
                    backups: backups
                        .into_iter()
                        .map(|(i, before)| (format!("svc-{i}"), start - before))
                        .collect(),
                }
            },
        )
}

fn inputs(w: &World) -> (Catalog, Change) {
    let services: Vec<serde_json::Value> = w
        .services
        .iter()
        .map(|s| {
            json!({"id": s.id, "tier": s.tier, "legacy": s.legacy, "stateful": s.stateful,
                   "error_budget": s.error_budget})
        })
        .collect();
    let catalog = Catalog::from_json(&json!({ "services": services })).unwrap();
    let touched: Vec<&str> = w
        .touched
        .iter()
        .map(|i| w.services[*i].id.as_str())
        .collect();
    let backups: Vec<serde_json::Value> = w
        .backups
        .iter()
        .map(|(id, at)| json!({"service": id, "taken_at": instant_text(*at)}))
        .collect();
    let change = Change::from_json(&json!({
        "id": "CHG-P", "services": touched, "requester": w.requester, "implementer": w.implementer,
        "kind": w.kind, "size": w.size, "emergency": w.emergency,
        "start": instant_text(w.start), "duration": "1h", "backups": backups
    }))
    .unwrap();
    (catalog, change)
}

fn verdict(expr_text: &str, w: &World) -> Verdict {
    let policy = format!(
        "extend change {{ backups: list<{{service: string, taken_at: datetime}}> }}\n\
         rule r {{\n  deny when {expr_text}\n}}\n"
    );
    let engine = Engine::from_source(&policy, "prop.gate")
        .unwrap_or_else(|e| panic!("policy did not compile: {e}\n{policy}"));
    let (catalog, change) = inputs(w);
    let now = "2026-12-01T09:00:00Z".parse().unwrap();
    let decision = engine.evaluate(&change, &catalog, now, true).unwrap();
    // The compiled fast forms and the general evaluator must give the same decision.
    let reference = engine
        .evaluate_reference(&change, &catalog, now, true)
        .unwrap();
    assert_eq!(decision.to_json(), reference.to_json(), "expr: {expr_text}");
    decision.verdict
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn bool_expressions_agree_with_model(e in boolean(), w in world()) {
        let want = if e.eval(&w) { Verdict::Deny } else { Verdict::Allow };
        prop_assert_eq!(verdict(&e.text(), &w), want, "expr: {}", e.text());
    }

    /// A comparison of a date-time with a date, one second around a midnight of its zone, in
    /// a condition of its own (the fast form) and inside a quantifier's body (the general one).
    #[test]
    fn date_comparisons_at_midnight_agree_with_model(
        (o, z, d, delta, around, form) in (
            op(),
            0..ZONES.len(),
            day(),
            -1i64..=1,
            -1i64..=1,
            0..3usize,
        ),
        mut w in world(),
    ) {
        let zone = if form == 2 { z } else { 0 };
        w.start = d * DAY - ZONES[zone].1 + around;
        let e = match form {
            0 => B::DateCmp(o, T::Start, d + delta, false),
            1 => B::DateCmp(o, T::Start, d + delta, true),
            _ => B::DateIn(o, T::Start, z, d + delta),
        };
        let want = if e.eval(&w) { Verdict::Deny } else { Verdict::Allow };
        prop_assert_eq!(verdict(&e.text(), &w), want, "expr: {}", e.text());
        // The same inside a quantifier whose body runs on the general evaluator.
        let text = format!("any k in [1]: {}", e.text());
        prop_assert_eq!(verdict(&text, &w), want, "expr: {}", text);
    }

    #[test]
    fn int_expressions_agree_with_model(e in int(), w in world()) {
        let value = e.eval(&w);
        let text = format!("{} == {value}", e.text());
        prop_assert_eq!(verdict(&text, &w), Verdict::Deny, "expr: {} (model {})", e.text(), value);
        let text = format!("{} != {value}", e.text());
        prop_assert_eq!(verdict(&text, &w), Verdict::Allow, "expr: {} (model {})", e.text(), value);
    }
}
