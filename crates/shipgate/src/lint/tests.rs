#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use super::*;
use crate::check::ir::{CExpr, CmpKind, CmpOp, Const, Field};
use crate::limits::Limits;
use proptest::prelude::*;

const HEAD: &str = "tiers low, medium, high, critical\n";

fn now() -> crate::time::Instant {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

fn lint_text(text: &str) -> Vec<Finding> {
    let compiled = crate::check::compile_sources(
        vec![("p.gate".into(), format!("{HEAD}{text}"))],
        None,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    lint(&compiled, now())
}

/// The findings as `code line:col`, lines counted in the text after the `tiers` line.
fn found(text: &str) -> Vec<String> {
    lint_text(text)
        .iter()
        .map(|f| {
            let mut parts = f.at.rsplitn(3, ':');
            let col = parts.next().unwrap();
            let line: usize = parts.next().unwrap().parse().unwrap();
            format!("{} {}:{}", f.code, line - 1, col)
        })
        .collect()
}

#[test]
fn shadowed_tiers() {
    let text = "tier high when change.size > 100\n\
                tier medium when change.size > 300\n\
                tier critical when change.size > 10 and change.size < 5\n\
                tier low when change.emergency\n\
                tier medium when change.size > 50\n";
    assert_eq!(
        found(text),
        ["SG-L001 2:18", "SG-L001 3:20", "SG-L001 4:15"],
        "{:#?}",
        lint_text(text)
    );
    let f = lint_text(text);
    assert!(
        f[0].message.contains("never decides the tier"),
        "{}",
        f[0].message
    );
    assert!(f[1].message.contains("can never hold"), "{}", f[1].message);
    assert!(f[2].message.contains("lowest tier"), "{}", f[2].message);
}

#[test]
fn shadowed_by_several_higher_tiers_together() {
    // Neither higher condition alone implies `size > 0`, both together do.
    let text = "tier high when change.size > 10\n\
                tier critical when change.size <= 10 and change.size >= 1\n\
                tier medium when change.size > 0\n";
    assert_eq!(found(text), ["SG-L001 3:18"]);
}

#[test]
fn rules_that_never_fire() {
    let text = "rule a {\n  when tier > critical\n  require approval \"cab\"\n}\n\
                rule b {\n  when change.size > 10\n  deny when change.size < 3\n}\n\
                rule c {\n  deny when change.requester == \"x\" and change.requester == \"y\"\n}\n\
                rule ok {\n  when change.size > 10\n  deny when change.size < 30\n}\n";
    assert_eq!(
        found(text),
        ["SG-L002 2:8", "SG-L002 7:13", "SG-L002 10:13"],
        "{:#?}",
        lint_text(text)
    );
}

#[test]
fn unknown_atoms_are_never_claimed_unsatisfiable() {
    // `any s ...` and `len(...)` are opaque or loosely bounded: nothing is claimed.
    let text = "rule q {\n  deny when (any s in change.services: s.legacy) and not (any s in change.services: s.stateful)\n}\n\
                rule l {\n  deny when len(change.services) > 2 and len(change.labels) < 1\n}\n";
    assert_eq!(found(text), Vec::<String>::new());
    // The same opaque expression twice is the same atom: `x and not x` never holds.
    let text = "rule q {\n  deny when (any s in change.services: s.legacy) and not (any s in change.services: s.legacy)\n}\n";
    assert_eq!(found(text), ["SG-L002 2:13"]);
}

#[test]
fn exemptions_that_lift_nothing() {
    let text = "calendar c timezone \"UTC\" { blackout \"b\" daily 01:00-02:00 }\n\
                calendar used timezone \"UTC\" { blackout \"u\" daily 01:00-02:00 }\n\
                region r uses used\n\
                rule e {\n  when change.emergency\n  exempt window\n  exempt blackout \"b\"\n  exempt blackout \"u\"\n}\n\
                waivable blackout \"b\" by \"cab\" max 1h\n";
    assert_eq!(
        found(text),
        ["SG-L003 6:3", "SG-L003 7:3", "SG-L003 10:19"],
        "{:#?}",
        lint_text(text)
    );
}

#[test]
fn exempt_blackout_without_any_blackout() {
    let text = "rule e {\n  when change.emergency\n  exempt blackout\n}\n";
    assert_eq!(found(text), ["SG-L003 3:3"]);
}

#[test]
fn calendars_never_open() {
    // A window on Mondays only, blacked out every Monday; and two calendars each open, but
    // never at the same time.
    let text = "calendar shut timezone \"UTC\" {\n  window mon 09:00-10:00\n  blackout \"mondays\" weekly mon 00:00 - tue 00:00\n}\n\
                calendar am timezone \"UTC\" { window mon-fri 08:00-10:00 }\n\
                calendar pm timezone \"UTC\" { window mon-fri 14:00-16:00 }\n\
                region split uses am, pm\n\
                region closed uses shut, am\n";
    assert_eq!(
        found(text),
        ["SG-L004 1:10", "SG-L004 7:1"],
        "{:#?}",
        lint_text(text)
    );
    assert!(
        lint_text(text)
            .iter()
            .all(|f| f.severity == Severity::Error)
    );
}

#[test]
fn groups_never_required() {
    let text = "groups cab, dba, spare, waivers, counted\n\
                rule r {\n  require approval \"cab\"\n}\n\
                rule s {\n  deny when approvals(\"counted\") < 1\n  require approval \"dba\" within 2h after\n}\n\
                waivable r by \"waivers\" max 1h\n";
    assert_eq!(found(text), ["SG-L005 1:18"]);
}

#[test]
fn strategy_arms_never_chosen() {
    let text = "strategy {\n  canary when change.size > 10\n  blue_green when change.size > 100\n  \
                never when change.size < 0 and change.size > 0\n  rolling otherwise\n}\n";
    assert_eq!(
        found(text),
        ["SG-L006 3:19", "SG-L006 4:14"],
        "{:#?}",
        lint_text(text)
    );
}

#[test]
fn emergency_flag_skipping_a_review() {
    let bare = "rule cab_review {\n  when tier >= high and not change.emergency\n  require approval \"cab\" count 2\n}\n\
                rule hotfix {\n  when change.emergency and change has incident\n  exempt rule cab_review\n  require approval \"incident-commander\"\n}\n";
    assert_eq!(found(bare), ["SG-L007 2:29"], "{:#?}", lint_text(bare));
    // A rule that reviews every emergency the guard lets through answers it.
    let covered = "rule cab_review {\n  when tier >= high and not change.emergency\n  require approval \"cab\" count 2\n}\n\
                   rule emergency_review {\n  when change.emergency\n  require approval \"incident-commander\"\n}\n";
    assert_eq!(found(covered), Vec::<String>::new());
    // An obligation afterwards is no review before shipping.
    let after = "rule cab_review {\n  when change.emergency == false\n  require approval \"cab\"\n}\n\
                 rule later {\n  when change.emergency\n  require approval \"cab\" within 48h after\n}\n";
    assert_eq!(found(after), ["SG-L007 2:8"]);
}

#[test]
fn the_example_policy_is_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/payments");
    let compiled = crate::check::compile_paths(&[dir], &Limits::default()).unwrap();
    assert_eq!(lint(&compiled, now()), Vec::new());
}

// --- the satisfiability check against brute force ----------------------------------------

fn size() -> CExpr {
    CExpr::Field(
        Box::new(CExpr::Change),
        Field::Change(ChangeField::Size),
        Span::default(),
    )
}
fn flag() -> CExpr {
    CExpr::Field(
        Box::new(CExpr::Change),
        Field::Change(ChangeField::Emergency),
        Span::default(),
    )
}
fn who() -> CExpr {
    CExpr::Field(
        Box::new(CExpr::Change),
        Field::Change(ChangeField::Requester),
        Span::default(),
    )
}
fn opaque() -> CExpr {
    CExpr::Has(
        Box::new(CExpr::Change),
        Field::Change(ChangeField::Incident),
    )
}

const OPS: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];
const NAMES: [&str; 3] = ["a", "b", "c"];

fn atom() -> impl Strategy<Value = CExpr> {
    prop_oneof![
        (0..6usize, -3i64..=3, any::<bool>()).prop_map(|(op, c, flipped)| {
            let (a, b) = (size(), CExpr::Const(Const::Int(c)));
            let (a, b) = if flipped { (b, a) } else { (a, b) };
            CExpr::Cmp(OPS[op], CmpKind::Int, Box::new(a), Box::new(b))
        }),
        (0..4usize).prop_map(|t| CExpr::Cmp(
            OPS[t % 6],
            CmpKind::Tier,
            Box::new(CExpr::Tier),
            Box::new(CExpr::Const(Const::Tier(t as u8)))
        )),
        Just(flag()),
        any::<bool>().prop_map(|b| CExpr::Cmp(
            CmpOp::Eq,
            CmpKind::Bool,
            Box::new(flag()),
            Box::new(CExpr::Const(Const::Bool(b)))
        )),
        (0..3usize, any::<bool>()).prop_map(|(n, eq)| CExpr::Cmp(
            if eq { CmpOp::Eq } else { CmpOp::Ne },
            CmpKind::Str,
            Box::new(who()),
            Box::new(CExpr::Const(Const::Str(NAMES[n].into())))
        )),
        proptest::collection::vec(0..3usize, 0..3).prop_map(|ns| CExpr::In(
            Box::new(who()),
            Box::new(CExpr::List(
                ns.into_iter()
                    .map(|n| CExpr::Const(Const::Str(NAMES[n].into())))
                    .collect()
            ))
        )),
        Just(opaque()),
    ]
}

fn condition() -> impl Strategy<Value = CExpr> {
    atom().prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| CExpr::Not(Box::new(a))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| CExpr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| CExpr::Or(Box::new(a), Box::new(b))),
        ]
    })
}

/// The obvious model: the condition's value for one assignment.
struct World {
    size: i64,
    tier: i64,
    flag: bool,
    who: &'static str,
    has: bool,
}

fn holds(e: &CExpr, w: &World) -> bool {
    let int = |x: &CExpr| match x {
        CExpr::Const(Const::Int(c)) => *c,
        CExpr::Const(Const::Tier(t)) => i64::from(*t),
        CExpr::Tier => w.tier,
        _ => w.size,
    };
    let cmp = |op: CmpOp, a: i64, b: i64| match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    };
    match e {
        CExpr::Not(a) => !holds(a, w),
        CExpr::And(a, b) => holds(a, w) && holds(b, w),
        CExpr::Or(a, b) => holds(a, w) || holds(b, w),
        CExpr::Field(..) => w.flag,
        CExpr::Has(..) => w.has,
        CExpr::Cmp(op, CmpKind::Bool, _, b) => {
            let CExpr::Const(Const::Bool(b)) = **b else {
                unreachable!()
            };
            cmp(*op, i64::from(w.flag), i64::from(b))
        }
        CExpr::Cmp(op, CmpKind::Str, _, b) => {
            let CExpr::Const(Const::Str(s)) = &**b else {
                unreachable!()
            };
            (&**s == w.who) == (*op == CmpOp::Eq)
        }
        CExpr::Cmp(op, _, a, b) => cmp(*op, int(a), int(b)),
        CExpr::In(_, list) => {
            let CExpr::List(items) = &**list else {
                unreachable!()
            };
            items
                .iter()
                .any(|i| *i == CExpr::Const(Const::Str(w.who.into())))
        }
        other => panic!("not generated: {other:?}"),
    }
}

fn satisfiable_by_brute_force(e: &CExpr) -> bool {
    for size in -6..=6 {
        for tier in 0..4 {
            for flag in [false, true] {
                for who in ["a", "b", "c", "zz"] {
                    for has in [false, true] {
                        if holds(
                            e,
                            &World {
                                size,
                                tier,
                                flag,
                                who,
                                has,
                            },
                        ) {
                            return true;
                        }
                    }
                }
            }
        }
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// "Never holds" is only said of conditions that never hold; and over these small
    /// domains the check is exact (it also finds the satisfiable ones).
    #[test]
    fn unsatisfiable_means_no_assignment_satisfies(e in condition()) {
        let mut atoms = Atoms::new(4);
        let f = atoms.formula(&e);
        let brute = satisfiable_by_brute_force(&e);
        match atoms.satisfiable(&f) {
            Some(false) => prop_assert!(!brute, "claimed unsatisfiable: {e:?}"),
            Some(true) => prop_assert!(brute, "claimed satisfiable: {e:?}"),
            None => {}
        }
    }
}

#[test]
fn lsp_positions_count_utf16_units() {
    use crate::lint::symbols::{utf16_offset, utf16_position};
    let text = "a\n𝄞é x\n";
    let x = text.find('x').unwrap();
    // 𝄞 is two units, é one, the space one.
    assert_eq!(utf16_position(text, x), (1, 4));
    assert_eq!(utf16_offset(text, 1, 4), Some(x));
    // A column past the line's end is its end; a line past the text is none.
    assert_eq!(utf16_offset(text, 0, 9), Some(1));
    assert_eq!(utf16_offset(text, 5, 0), None);
    for offset in [0, 2, x, text.len()] {
        let (l, c) = utf16_position(text, offset);
        assert_eq!(utf16_offset(text, l, c), Some(offset));
    }
}

#[test]
fn past_the_budget_the_check_answers_unknown_never_unsatisfiable() {
    let mut atoms = Atoms::new(4);
    let x = CExpr::Cmp(
        CmpOp::Gt,
        CmpKind::Int,
        Box::new(size()),
        Box::new(CExpr::Const(Const::Int(3))),
    );
    // `x and not x`, beside 13 free atoms (`size == size + k`: opaque, two fields compared):
    // 2^13 * 5 combinations a question (`size` takes 5 candidate values).
    let mut e = CExpr::And(Box::new(x.clone()), Box::new(CExpr::Not(Box::new(x))));
    for k in 0..13 {
        let free = CExpr::Cmp(
            CmpOp::Eq,
            CmpKind::Int,
            Box::new(size()),
            Box::new(CExpr::Add(
                crate::check::ir::ArithKind::Int,
                Box::new(size()),
                Box::new(CExpr::Const(Const::Int(k))),
            )),
        );
        e = CExpr::And(Box::new(e), Box::new(free));
    }
    let f = atoms.formula(&e);
    assert_eq!(atoms.satisfiable(&f), Some(false));
    // Spend the whole budget: the same question is now unknown, which makes no finding.
    let mut asked = 0u64;
    while atoms.satisfiable(&f).is_some() {
        asked += 1;
        assert!(
            asked <= sat::MAX_TOTAL_ASSIGNMENTS,
            "the budget never runs out"
        );
    }
    assert_eq!(atoms.satisfiable(&f), None);
}
