//! Type checking and resolution of expressions: AST `Expr` to `CExpr`.

use super::ir::*;
use crate::error::{Diagnostic, did_you_mean};
use crate::input::fields::FieldTy;
use crate::span::{SourceMap, Span};
use crate::syntax::ast::{self, BinOp, Expr, ExprKind, Quantifier};
use crate::time::epoch_date;

/// The names an expression can see besides its variables.
pub struct Schema<'a> {
    pub tiers: &'a [String],
    pub change_ext: &'a [ExtField],
    pub service_ext: &'a [ExtField],
    /// `kinds ...`: the declared change kinds, when the policy closes the set.
    pub kinds: Option<&'a [String]>,
    /// `condition NAME = ...`: read by name, inlined where read.
    pub conditions: &'a super::conditions::Conditions<'a>,
}

/// Resolves group names to indices (and reports unknown ones); supplied by the policy checker.
pub trait GroupResolver {
    fn group(&mut self, name: &str, span: Span) -> Option<u16>;
}

pub struct ExprChecker<'a, 'g> {
    pub schema: Schema<'a>,
    pub sources: &'a SourceMap,
    pub groups: &'g mut dyn GroupResolver,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether `tier` may be read (not inside tier conditions).
    pub tier_available: bool,
    /// Where `change`, `tier` and `now` may not be read, what the condition is called
    /// ("a `services where` condition"): a service's calendars depend on the service alone.
    pub service_only: Option<&'static str>,
    /// `(base text, field)` pairs tested with `has` in the condition being checked.
    pub has_tests: Vec<(String, String)>,
    scope: Vec<(String, Ty, u16)>,
    /// The quantifier variables of the condition or rule being checked, with where each is
    /// bound: named outside its quantifier, one gets a diagnostic saying so.
    pub quantified: Vec<Quantified>,
    next_slot: u16,
    pub max_slots: u16,
    /// How many `count` bodies enclose the expression being checked (for a hint).
    count_bodies: u32,
    /// How many conditions were made: the next one's `Cond::id`.
    pub conditions: u32,
    /// The slots of the quantifier variables in scope that range over `change.kind`.
    kind_vars: Vec<u16>,
    /// Per named condition: whether its body checked where declared (else its uses are not
    /// checked again: the error is reported once); `None` until checked.
    named_ok: Vec<Option<bool>>,
    /// Per named condition: whether an expression reads it.
    pub named_used: Vec<bool>,
    /// How many named conditions' bodies enclose the expression being checked.
    named_depth: u32,
}

/// The `extend` field `name` of `fields`, as `field` of its index, with its declared type.
fn ext_field(fields: &[ExtField], name: &str, field: fn(u16) -> Field) -> Option<(Field, Ty)> {
    let (i, f) = fields.iter().enumerate().find(|(_, f)| f.name == name)?;
    Some((field(u16::try_from(i).unwrap_or(u16::MAX)), f.ty.clone()))
}

/// The checker's type of a built-in field (declared in `input::fields`).
pub fn field_ty(ty: FieldTy) -> Ty {
    match ty {
        FieldTy::Bool => Ty::Bool,
        FieldTy::Int => Ty::Int,
        FieldTy::Float => Ty::Float,
        FieldTy::Str => Ty::Str,
        FieldTy::Duration => Ty::Duration,
        FieldTy::DateTime => Ty::DateTime,
        FieldTy::OptDateTime => Ty::opt(Ty::DateTime),
        FieldTy::Strs => Ty::list(Ty::Str),
        FieldTy::Services => Ty::list(Ty::Service),
        FieldTy::Approvals => Ty::list(Ty::Approval),
        FieldTy::Waivers => Ty::list(Ty::Waiver),
        FieldTy::OptIncident => Ty::opt(Ty::Incident),
    }
}

/// Names of the built-in change fields (for telling them from `extend` fields).
pub fn builtin_change_fields() -> impl Iterator<Item = &'static str> {
    ChangeField::names()
}

/// Names of the built-in service fields (for telling them from `extend` fields).
pub fn builtin_service_fields() -> impl Iterator<Item = &'static str> {
    ServiceField::names()
}

const FUNCTIONS: &[&str] = &[
    "len",
    "approvals",
    "starts_with",
    "ends_with",
    "lower",
    "weekday",
    "hour",
    "date",
];

type Checked = Option<(CExpr, Ty)>;

impl<'a, 'g> ExprChecker<'a, 'g> {
    pub fn new(
        schema: Schema<'a>,
        sources: &'a SourceMap,
        groups: &'g mut dyn GroupResolver,
    ) -> Self {
        ExprChecker {
            schema,
            sources,
            groups,
            diagnostics: Vec::new(),
            tier_available: true,
            service_only: None,
            has_tests: Vec::new(),
            scope: Vec::new(),
            quantified: Vec::new(),
            next_slot: 0,
            max_slots: 0,
            count_bodies: 0,
            conditions: 0,
            kind_vars: Vec::new(),
            named_ok: Vec::new(),
            named_used: Vec::new(),
            named_depth: 0,
        }
        .with_conditions()
    }

    fn with_conditions(mut self) -> Self {
        let n = self.schema.conditions.decls.len();
        self.named_ok = vec![None; n];
        self.named_used = vec![false; n];
        self
    }

    /// Whether named condition `i` checked where declared, checking it first if need be (a
    /// condition may read one declared after it). Conditions with an error of their own
    /// (`Conditions::usable`) are not checked; no cycle remains among the others.
    pub fn named_checked(&mut self, i: usize) -> bool {
        if let Some(Some(ok)) = self.named_ok.get(i) {
            return *ok;
        }
        let conditions = self.schema.conditions;
        let ok = conditions.usable.get(i) == Some(&true)
            && conditions
                .decls
                .get(i)
                .is_some_and(|d| self.check_named_body(&d.value));
        if let Some(slot) = self.named_ok.get_mut(i) {
            *slot = Some(ok);
        }
        ok
    }

    /// Checks a named condition's body where it is declared: a bool, read with `tier`
    /// available and no variable in scope. Whether it checked.
    fn check_named_body(&mut self, e: &Expr) -> bool {
        let before = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let saved_tier = std::mem::replace(&mut self.tier_available, true);
        let saved_service = self.service_only.take();
        let r = self.inline_body(e);
        self.tier_available = saved_tier;
        self.service_only = saved_service;
        let ok = match r {
            Some((_, t)) if t.unopt() == &Ty::Bool => true,
            Some((_, t)) => {
                self.err(
                    e.span,
                    format!("a condition must be a bool, but this is {}", t.describe()),
                    "expected bool",
                );
                false
            }
            None => false,
        };
        ok && self.diagnostics.iter().filter(|d| d.is_error()).count() == before
    }

    /// Checks a named condition's body in place of a name read in the current context: no
    /// variable of the context is visible in it, its own `has` tests guard it.
    fn inline_body(&mut self, e: &Expr) -> Checked {
        let scope = std::mem::take(&mut self.scope);
        let kind_vars = std::mem::take(&mut self.kind_vars);
        let mut quantified = Vec::new();
        collect_quantified(e, &mut quantified);
        let quantified = std::mem::replace(&mut self.quantified, quantified);
        let has_len = self.has_tests.len();
        collect_has(e, self.sources, &mut self.has_tests);
        self.named_depth += 1;
        let r = self.expr(e);
        self.named_depth -= 1;
        self.has_tests.truncate(has_len);
        self.quantified = quantified;
        self.kind_vars = kind_vars;
        self.scope = scope;
        r
    }

    /// A named condition read at `span`: its body, checked in the current context (where
    /// `tier` or `change` may not be readable), inlined. Warnings of the body were given
    /// where it is declared and are not repeated; an error says where the name was read.
    fn named(&mut self, i: usize, span: Span) -> Checked {
        if let Some(u) = self.named_used.get_mut(i) {
            *u = true;
        }
        let decl = *self.schema.conditions.decls.get(i)?;
        if !self.named_checked(i) {
            return None;
        }
        let before = self.diagnostics.len();
        let r = self.inline_body(&decl.value);
        let mut added: Vec<Diagnostic> = self.diagnostics.drain(before..).collect();
        added.retain(Diagnostic::is_error);
        for d in added {
            self.diagnostics.push(d.with_secondary(
                span,
                format!("in condition `{}`, read here", decl.name.name),
            ));
        }
        let (c, t) = r?;
        Some((CExpr::Named(Box::new(c)), t))
    }

    fn err(&mut self, span: Span, msg: impl Into<String>, label: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(span, msg).with_label(label));
    }

    /// Checks a condition (must be bool). `extra_has` are `has` tests that guard it from
    /// outside (a rule's guard for its effects).
    pub fn condition(&mut self, e: &Expr, extra_has: &[(String, String)]) -> Option<Cond> {
        self.has_tests.clear();
        self.has_tests.extend_from_slice(extra_has);
        collect_has(e, self.sources, &mut self.has_tests);
        self.quantified.clear();
        collect_quantified(e, &mut self.quantified);
        let (c, t) = self.expr(e)?;
        if t.unopt() != &Ty::Bool {
            self.err(
                e.span,
                format!("a condition must be a bool, but this is {}", t.describe()),
                "expected bool",
            );
            return None;
        }
        let id = self.conditions;
        self.conditions += 1;
        let mut atoms = Vec::new();
        atom_texts(e, &mut atoms);
        Some(Cond {
            expr: c,
            span: e.span,
            id,
            atoms: atoms.into_boxed_slice(),
        })
    }

    /// Checks a condition that also reads `var`, a value of type `ty` bound outside it (the
    /// service `s` of `services where`), in the first free slot: the condition and that slot.
    pub fn condition_binding(&mut self, var: &str, ty: Ty, e: &Expr) -> Option<(Cond, u16)> {
        let slot = self.next_slot;
        self.next_slot = self.next_slot.saturating_add(1);
        self.max_slots = self.max_slots.max(self.next_slot);
        self.scope.push((var.to_owned(), ty, slot));
        let cond = self.condition(e, &[]);
        self.scope.pop();
        self.next_slot = slot;
        cond.map(|c| (c, slot))
    }

    pub fn expr(&mut self, e: &Expr) -> Checked {
        match &e.kind {
            ExprKind::Bool(b) => Some((CExpr::Const(Const::Bool(*b)), Ty::Bool)),
            ExprKind::Int(i) => Some((CExpr::Const(Const::Int(*i)), Ty::Int)),
            ExprKind::Float(f) | ExprKind::Percent(f) => {
                Some((CExpr::Const(Const::Float(*f)), Ty::Float))
            }
            ExprKind::Str(s) => Some((CExpr::Const(Const::Str(s.as_str().into())), Ty::Str)),
            ExprKind::Duration(s) => Some((CExpr::Const(Const::Duration(*s)), Ty::Duration)),
            ExprKind::Date(d) => match chrono::NaiveDate::from_ymd_opt(d.year, d.month, d.day) {
                Some(nd) => {
                    let days = nd.signed_duration_since(epoch_date()).num_days();
                    Some((CExpr::Const(Const::Date(days)), Ty::Date))
                }
                None => {
                    self.err(e.span, "this date does not exist", "no such day");
                    None
                }
            },
            ExprKind::DateTime {
                local,
                offset_minutes,
            } => self.datetime_literal(e.span, local, *offset_minutes),
            ExprKind::List(items) => self.list(e.span, items),
            ExprKind::Name(n) => self.name(e.span, n),
            ExprKind::Field(base, field) => self.field(e.span, base, field),
            ExprKind::Has(base, field) => {
                let (b, bt) = self.expr(base)?;
                let (f, _) = self.resolve_field(&bt, field)?;
                Some((CExpr::Has(Box::new(b), f), Ty::Bool))
            }
            ExprKind::Not(inner) => {
                let (c, t) = self.expr(inner)?;
                if t.unopt() != &Ty::Bool {
                    self.err(
                        inner.span,
                        format!("`not` needs a bool, but this is {}", t.describe()),
                        "expected bool",
                    );
                    return None;
                }
                Some((CExpr::Not(Box::new(c)), Ty::Bool))
            }
            ExprKind::Neg(inner) => {
                let (c, t) = self.expr(inner)?;
                match t.unopt() {
                    Ty::Int | Ty::Float | Ty::Duration => {
                        let t = t.unopt().clone();
                        Some((CExpr::Neg(Box::new(c)), t))
                    }
                    other => {
                        let d = other.with_article();
                        self.err(
                            inner.span,
                            format!("cannot negate {d}"),
                            "expected a number or duration",
                        );
                        None
                    }
                }
            }
            ExprKind::Binary(op, l, r) => self.binary(e.span, *op, l, r),
            ExprKind::Quant { q, var, list, body } => self.quant(*q, var, list, body),
            ExprKind::Call { func, args } => self.call(e.span, func, args),
        }
    }

    fn datetime_literal(
        &mut self,
        span: Span,
        local: &ast::LocalDateTimeLit,
        offset: Option<i32>,
    ) -> Checked {
        let Some(offset) = offset else {
            self.diagnostics.push(
                Diagnostic::error(span, "a date-time without an offset is ambiguous")
                    .with_label("naive date-time")
                    .with_help("add `Z` for UTC or an offset like `+01:00`"),
            );
            return None;
        };
        let d = &local.date;
        let nd = chrono::NaiveDate::from_ymd_opt(d.year, d.month, d.day)
            .and_then(|nd| nd.and_hms_opt(local.minutes / 60, local.minutes % 60, local.second));
        match nd {
            Some(ndt) => {
                let secs = ndt.and_utc().timestamp() - i64::from(offset) * 60;
                Some((CExpr::Const(Const::DateTime(secs)), Ty::DateTime))
            }
            None => {
                self.err(span, "this date-time does not exist", "invalid date-time");
                None
            }
        }
    }

    fn list(&mut self, span: Span, items: &[Expr]) -> Checked {
        let mut out = Vec::with_capacity(items.len());
        let mut elem = Ty::Any;
        for it in items {
            let (c, t) = self.expr(it)?;
            let t = t.unopt().clone();
            if elem == Ty::Any {
                elem = t;
            } else if !elem.comparable(&t) {
                self.err(
                    it.span,
                    format!(
                        "list elements must have one type: this is {}, earlier ones are {}",
                        t.describe(),
                        elem.describe()
                    ),
                    "mixed list",
                );
                return None;
            } else if elem.is_numeric() && t.is_numeric() && elem != t {
                elem = Ty::Float;
            }
            out.push(c);
        }
        let _ = span;
        Some((CExpr::List(out), Ty::list(elem)))
    }

    fn name(&mut self, span: Span, n: &str) -> Checked {
        if let Some((_, t, slot)) = self.scope.iter().rev().find(|(name, _, _)| name == n) {
            return Some((CExpr::Var(*slot), t.clone()));
        }
        if let Some(what) = self.service_only
            && matches!(n, "change" | "tier" | "now")
        {
            self.diagnostics.push(
                Diagnostic::error(span, format!("`{n}` cannot be read in {what}"))
                    .with_label("not available here")
                    .with_help(
                        "a service's calendars depend on the service `s` alone (so that \
                         `shipgate calendar --service` can show them); for calendars that \
                         depend on the change, write `changes where ... use ...`",
                    ),
            );
            return None;
        }
        if let Some(i) = self.schema.conditions.find(n) {
            return self.named(i, span);
        }
        match n {
            "change" => return Some((CExpr::Change, Ty::Change)),
            "now" => return Some((CExpr::Now, Ty::DateTime)),
            "tier" => {
                if !self.tier_available {
                    self.err(
                        span,
                        "`tier` cannot be read inside a tier condition",
                        "the tier is what is being computed",
                    );
                    return None;
                }
                return Some((CExpr::Tier, Ty::Tier));
            }
            _ => {}
        }
        if let Some(i) = self.schema.tiers.iter().position(|t| t == n) {
            return Some((
                CExpr::Const(Const::Tier(u8::try_from(i).unwrap_or(u8::MAX))),
                Ty::Tier,
            ));
        }
        if let Some(q) = self.quantified.iter().find(|q| q.name == n) {
            let list = self.sources.text(q.list).trim();
            let d = Diagnostic::error(
                span,
                format!("`{n}` is a quantifier's variable and is not visible here"),
            )
            .with_label("outside the quantifier that binds it")
            .with_secondary(
                q.bound,
                format!("`{n}` is bound here, for this quantifier's body only"),
            )
            .with_help(format!(
                "a quantifier's variable exists only in its body, after the `:`; \
                 elsewhere name the list it ranges over, `{list}`"
            ));
            self.diagnostics.push(d);
            return None;
        }
        // A hyphenated tier (an error where declared) cannot be named: it reads as a subtraction.
        let hyphenated = self
            .schema
            .tiers
            .iter()
            .find(|t| t.strip_prefix(n).is_some_and(|rest| rest.starts_with('-')));
        let mut candidates: Vec<&str> = self.scope.iter().map(|(n, _, _)| n.as_str()).collect();
        candidates.extend(self.schema.tiers.iter().map(|s| s.as_str()));
        candidates.retain(|c| !c.contains('-'));
        candidates.extend(["change", "tier", "now"]);
        candidates.extend(
            self.schema
                .conditions
                .decls
                .iter()
                .map(|d| d.name.name.as_str()),
        );
        let mut d =
            Diagnostic::error(span, format!("unknown name `{n}`")).with_label("not defined");
        let suggestion = did_you_mean(n, candidates);
        if let Some(t) = hyphenated {
            d = d.with_help(format!(
                "the tier `{t}` cannot be named here, where `-` subtracts: rename it `{}`",
                t.replace('-', "_")
            ));
        } else if let Some(h) = suggestion {
            d = d.with_help(h);
        } else if self.named_depth > 0 {
            d = d.with_help(
                "a named condition sees no variable of the place it is read in (a \
                 quantifier's, or the `s` of `services where`): test the variable there, \
                 or quantify inside the condition",
            );
        } else if !self.schema.tiers.is_empty() {
            d = d.with_note(format!("tiers are: {}", self.schema.tiers.join(", ")));
        }
        self.diagnostics.push(d);
        None
    }

    fn resolve_field(&mut self, base: &Ty, field: &ast::Ident) -> Option<(Field, Ty)> {
        let name = field.name.as_str();
        let found = match base.unopt() {
            Ty::Change => ChangeField::from_name(name)
                .map(|f| (Field::Change(f), field_ty(f.ty())))
                .or_else(|| ext_field(self.schema.change_ext, name, Field::ChangeExt)),
            Ty::Service => ServiceField::from_name(name)
                .map(|f| (Field::Service(f), field_ty(f.ty())))
                .or_else(|| ext_field(self.schema.service_ext, name, Field::ServiceExt)),
            Ty::Approval => {
                ApprovalField::from_name(name).map(|f| (Field::Approval(f), field_ty(f.ty())))
            }
            Ty::Incident => {
                IncidentField::from_name(name).map(|f| (Field::Incident(f), field_ty(f.ty())))
            }
            Ty::Waiver => {
                WaiverField::from_name(name).map(|f| (Field::Waiver(f), field_ty(f.ty())))
            }
            Ty::Record(fields) => fields.iter().position(|f| f.name == name).and_then(|i| {
                let ty = fields.get(i)?.ty.clone();
                Some((Field::Record(u16::try_from(i).ok()?), ty))
            }),
            other => {
                let d = other.with_article();
                self.err(
                    field.span,
                    format!("{d} has no fields"),
                    format!("`.{name}` on {d}"),
                );
                return None;
            }
        };
        if found.is_some() {
            return found;
        }
        let mut d = Diagnostic::error(
            field.span,
            format!("unknown field `{name}` on {}", base.unopt().describe()),
        )
        .with_label("no such field");
        if let Some(h) = did_you_mean(name, self.field_names(base.unopt())) {
            d = d.with_help(h);
        }
        self.diagnostics.push(d);
        None
    }

    /// The fields a value of type `base` has, for "did you mean" (listed only on an error:
    /// a field that resolves needs no list).
    fn field_names<'s>(&'s self, base: &'s Ty) -> Vec<&'s str> {
        match base {
            Ty::Change => {
                let mut c: Vec<&str> = builtin_change_fields().collect();
                c.extend(self.schema.change_ext.iter().map(|f| f.name.as_str()));
                c
            }
            Ty::Service => {
                let mut c: Vec<&str> = builtin_service_fields().collect();
                c.extend(self.schema.service_ext.iter().map(|f| f.name.as_str()));
                c
            }
            Ty::Approval => ApprovalField::names().collect(),
            Ty::Incident => IncidentField::names().collect(),
            Ty::Waiver => WaiverField::names().collect(),
            Ty::Record(fields) => fields.iter().map(|f| f.name.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    fn field(&mut self, span: Span, base: &Expr, field: &ast::Ident) -> Checked {
        let (b, bt) = self.expr(base)?;
        let (f, t) = self.resolve_field(&bt, field)?;
        if matches!(t, Ty::Opt(_)) {
            let base_text = self.sources.text(base.span).trim().to_string();
            let guarded = self
                .has_tests
                .iter()
                .any(|(bt, fname)| *bt == base_text && *fname == field.name);
            if !guarded {
                self.diagnostics.push(
                    Diagnostic::warning(
                        span,
                        format!(
                            "optional field `{}` is read without a `has` test",
                            self.sources.text(span).trim()
                        ),
                    )
                    .with_label("may be absent: the rule then fails closed")
                    .with_help(format!(
                        "guard it in the same condition: `{base_text} has {} and ...`",
                        field.name
                    )),
                );
            }
        }
        let t = match t {
            Ty::Opt(inner) => *inner,
            t => t,
        };
        Some((CExpr::Field(Box::new(b), f, span), t))
    }

    fn binary(&mut self, span: Span, op: BinOp, l: &Expr, r: &Expr) -> Checked {
        let (lc, lt) = self.expr(l)?;
        let (rc, rt) = self.expr(r)?;
        let (lt, rt) = (lt.unopt().clone(), rt.unopt().clone());
        let bx = |c| Box::new(c);
        match op {
            BinOp::And | BinOp::Or => {
                for (t, e) in [(&lt, l), (&rt, r)] {
                    if t != &Ty::Bool {
                        let word = if op == BinOp::And { "and" } else { "or" };
                        self.err(
                            e.span,
                            format!("`{word}` needs bools, but this is {}", t.describe()),
                            "expected bool",
                        );
                        return None;
                    }
                }
                let c = if op == BinOp::And {
                    CExpr::And(bx(lc), bx(rc))
                } else {
                    CExpr::Or(bx(lc), bx(rc))
                };
                Some((c, Ty::Bool))
            }
            BinOp::Cmp(cmp) => {
                // A date-time compared with a date is compared by its UTC date.
                let (lc, lt, rc, rt) = match (&lt, &rt) {
                    (Ty::DateTime, Ty::Date) => {
                        self.warn_utc_date(span, l);
                        (utc_date(lc), Ty::Date, rc, rt)
                    }
                    (Ty::Date, Ty::DateTime) => {
                        self.warn_utc_date(span, r);
                        (lc, lt, utc_date(rc), Ty::Date)
                    }
                    _ => (lc, lt, rc, rt),
                };
                let kind = self.cmp_kind(span, cmp, (&lt, l), (&rt, r))?;
                let cmp = cmp_op(cmp);
                self.check_weekday_literal(&lc, r);
                self.check_weekday_literal(&rc, l);
                self.check_kind_literals(&lc, r);
                self.check_kind_literals(&rc, l);
                Some((CExpr::Cmp(cmp, kind, bx(lc), bx(rc)), Ty::Bool))
            }
            BinOp::In | BinOp::NotIn => {
                // `"database" in change.kind`, `k in ["database", "config"]`.
                if self.is_kind_list(&rc) {
                    self.check_kind_literal(l);
                }
                if matches!(r.kind, ExprKind::List(_)) {
                    self.check_kind_literals(&lc, r);
                }
                let c = match (&lt, &rt) {
                    (elem, Ty::List(inner)) if elem.comparable(inner) => CExpr::In(bx(lc), bx(rc)),
                    (Ty::Str, Ty::Str) => CExpr::Contains(bx(lc), bx(rc)),
                    _ => {
                        self.err(
                            span,
                            format!(
                                "cannot test whether {} is in {}",
                                lt.with_article(),
                                rt.with_article()
                            ),
                            "`in` needs an element and a list of the same type",
                        );
                        return None;
                    }
                };
                let c = if op == BinOp::NotIn {
                    CExpr::Not(bx(c))
                } else {
                    c
                };
                Some((c, Ty::Bool))
            }
            BinOp::SubsetOf | BinOp::Intersects => match (&lt, &rt) {
                (Ty::List(a), Ty::List(b)) if a.comparable(b) => {
                    self.check_kind_literals(&lc, r);
                    self.check_kind_literals(&rc, l);
                    let c = if op == BinOp::SubsetOf {
                        CExpr::SubsetOf(bx(lc), bx(rc))
                    } else {
                        CExpr::Intersects(bx(lc), bx(rc))
                    };
                    Some((c, Ty::Bool))
                }
                _ => {
                    let word = if op == BinOp::SubsetOf {
                        "subset of"
                    } else {
                        "intersects"
                    };
                    self.err(
                        span,
                        format!(
                            "`{word}` needs two lists of the same element type, found {} and {}",
                            lt.describe(),
                            rt.describe()
                        ),
                        "type mismatch",
                    );
                    None
                }
            },
            BinOp::Add | BinOp::Sub => {
                let add = op == BinOp::Add;
                let (kind, ty) = match (&lt, &rt) {
                    (Ty::Int, Ty::Int) => (ArithKind::Int, Ty::Int),
                    (a, b) if a.is_numeric() && b.is_numeric() => (ArithKind::Float, Ty::Float),
                    (Ty::Duration, Ty::Duration) => (ArithKind::Duration, Ty::Duration),
                    (Ty::DateTime, Ty::Duration) => (ArithKind::DateTimeDuration, Ty::DateTime),
                    (Ty::DateTime, Ty::DateTime) if !add => (ArithKind::DateTimeDiff, Ty::Duration),
                    _ => {
                        self.err(
                            span,
                            format!(
                                "cannot {} {} and {}",
                                if add { "add" } else { "subtract" },
                                lt.with_article(),
                                rt.with_article()
                            ),
                            "type mismatch",
                        );
                        return None;
                    }
                };
                let c = if add {
                    CExpr::Add(kind, bx(lc), bx(rc))
                } else {
                    CExpr::Sub(kind, bx(lc), bx(rc))
                };
                Some((c, ty))
            }
        }
    }

    /// A date-time compared with a date is compared by its date in UTC: say so, since the
    /// date in the zone the policy means may differ (after 23:00 in Paris it is the next day).
    fn warn_utc_date(&mut self, span: Span, instant: &Expr) {
        let text = self.sources.text(instant.span).trim().to_string();
        self.diagnostics.push(
            Diagnostic::warning(
                span,
                "a date-time compared with a date is compared by its UTC date",
            )
            .with_label(format!("the date of `{text}` in UTC"))
            .with_help(format!(
                "name the zone whose calendar date is meant: `date({text}, \"Europe/Paris\")`, \
                     or `date({text}, \"UTC\")` to keep UTC and silence this warning"
            )),
        );
    }

    /// `weekday(t, "Zone") == "Fri"` would never hold: the names are `mon` ... `sun`.
    fn check_weekday_literal(&mut self, call: &CExpr, other: &Expr) {
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let CExpr::Call(Builtin::Weekday(_), _) = call else {
            return;
        };
        let ExprKind::Str(day) = &other.kind else {
            return;
        };
        if DAYS.contains(&day.as_str()) {
            return;
        }
        let mut d = Diagnostic::error(other.span, format!("\"{day}\" is not a weekday name"))
            .with_label("`weekday` returns mon, tue, wed, thu, fri, sat or sun");
        let lower = day.to_lowercase();
        let guess = DAYS
            .iter()
            .find(|d| lower.starts_with(*d))
            .map(|d| format!("did you mean `{d}`?"))
            .or_else(|| did_you_mean(&lower, DAYS));
        if let Some(h) = guess {
            d = d.with_help(h);
        }
        self.diagnostics.push(d);
    }

    /// `change.kind`.
    fn is_kind_list(&self, c: &CExpr) -> bool {
        matches!(c, CExpr::Field(base, Field::Change(ChangeField::Kind), _) if **base == CExpr::Change)
    }

    /// `change.kind`, or a quantifier's variable that ranges over it.
    fn is_kind(&self, c: &CExpr) -> bool {
        self.is_kind_list(c) || matches!(c, CExpr::Var(slot) if self.kind_vars.contains(slot))
    }

    /// With `kinds` declared, the string literals that `kind` (a kind, or `change.kind`) is
    /// compared with must be declared kinds: `other` is a literal, or a list of them.
    fn check_kind_literals(&mut self, kind: &CExpr, other: &Expr) {
        if self.schema.kinds.is_none() || !self.is_kind(kind) {
            return;
        }
        match &other.kind {
            ExprKind::List(items) => items.iter().for_each(|i| self.check_kind_literal(i)),
            _ => self.check_kind_literal(other),
        }
    }

    /// A string literal used as a change kind is a declared kind (a typo in the policy must
    /// not quietly never match).
    fn check_kind_literal(&mut self, e: &Expr) {
        let (Some(kinds), ExprKind::Str(kind)) = (self.schema.kinds, &e.kind) else {
            return;
        };
        if kinds.iter().any(|k| k == kind) {
            return;
        }
        let mut d = Diagnostic::error(e.span, format!("\"{kind}\" is not a declared kind"))
            .with_label("not in the `kinds` list: it could never match");
        match did_you_mean(kind, kinds.iter().map(String::as_str)) {
            Some(h) => d = d.with_help(h),
            None => d = d.with_note(format!("declared kinds: {}", kinds.join(", "))),
        }
        self.diagnostics.push(d);
    }

    fn cmp_kind(
        &mut self,
        span: Span,
        op: ast::CmpOp,
        (lt, l): (&Ty, &Expr),
        (rt, r): (&Ty, &Expr),
    ) -> Option<CmpKind> {
        let ordering = !matches!(op, ast::CmpOp::Eq | ast::CmpOp::Ne);
        let kind = match (lt, rt) {
            (Ty::Int, Ty::Int) => Some(CmpKind::Int),
            (a, b) if a.is_numeric() && b.is_numeric() => Some(CmpKind::Num),
            (Ty::Duration, Ty::Duration) => Some(CmpKind::Duration),
            (Ty::DateTime, Ty::DateTime) => Some(CmpKind::DateTime),
            (Ty::Date, Ty::Date) => Some(CmpKind::Date),
            (Ty::Tier, Ty::Tier) => Some(CmpKind::Tier),
            (Ty::Str, Ty::Str) if !ordering => Some(CmpKind::Str),
            (Ty::Bool, Ty::Bool) if !ordering => Some(CmpKind::Bool),
            (a, b) if !ordering && a.comparable(b) => Some(CmpKind::Any),
            _ => None,
        };
        if kind.is_none() {
            let msg = if ordering && lt.comparable(rt) {
                format!("`{}` cannot order {} values", op.as_str(), lt.describe())
            } else {
                format!(
                    "cannot compare {} with {}",
                    lt.with_article(),
                    rt.with_article()
                )
            };
            let mut d = Diagnostic::error(span, msg).with_label("type mismatch");
            let bool_vs_number =
                (lt == &Ty::Bool && rt.is_numeric()) || (lt.is_numeric() && rt == &Ty::Bool);
            if self.count_bodies > 0 && bool_vs_number {
                d = d.with_help(
                    "a quantifier's body runs to the end of the condition: \
                     write `(count x in LIST: CONDITION) >= N`",
                );
            } else if let Some(h) = self.membership_help(op, (lt, l), (rt, r)) {
                d = d.with_help(h);
            }
            self.diagnostics.push(d);
        }
        kind
    }

    /// `change.kind == "database"` compares a list with one of its elements: what was meant is
    /// membership, `"database" in change.kind` (`not in` for `!=`).
    fn membership_help(
        &self,
        op: ast::CmpOp,
        (lt, l): (&Ty, &Expr),
        (rt, r): (&Ty, &Expr),
    ) -> Option<String> {
        let word = match op {
            ast::CmpOp::Eq => "in",
            ast::CmpOp::Ne => "not in",
            _ => return None,
        };
        let (elem, list) = match (lt, rt) {
            (Ty::List(inner), t) if t.comparable(inner) => (r, l),
            (t, Ty::List(inner)) if t.comparable(inner) => (l, r),
            _ => return None,
        };
        let text = |e: &Expr| self.sources.text(e.span).trim().to_string();
        Some(format!(
            "to test membership, write `{} {word} {}`",
            text(elem),
            text(list)
        ))
    }

    fn quant(&mut self, q: Quantifier, var: &ast::Ident, list: &Expr, body: &Expr) -> Checked {
        if let Some(decl) = self
            .schema
            .conditions
            .find(&var.name)
            .and_then(|i| self.schema.conditions.decls.get(i))
        {
            self.diagnostics.push(
                Diagnostic::error(
                    var.span,
                    format!(
                        "`{}` is a named condition and cannot name a variable",
                        var.name
                    ),
                )
                .with_label("would hide the condition in this body")
                .with_secondary(decl.name.span, "the condition is declared here")
                .with_help("choose another variable name"),
            );
            return None;
        }
        let (lc, lt) = self.expr(list)?;
        let elem = match lt.unopt() {
            Ty::List(e) => (**e).clone(),
            other => {
                let d = other.describe();
                self.err(
                    list.span,
                    format!("a quantifier ranges over a list, but this is {d}"),
                    "expected a list",
                );
                return None;
            }
        };
        let slot = self.next_slot;
        self.next_slot = self.next_slot.saturating_add(1);
        self.max_slots = self.max_slots.max(self.next_slot);
        self.scope.push((var.name.clone(), elem, slot));
        let counting = q == Quantifier::Count;
        self.count_bodies += u32::from(counting);
        let over_kinds = self.is_kind_list(&lc);
        if over_kinds {
            self.kind_vars.push(slot);
        }
        let body_res = self.expr(body);
        if over_kinds {
            self.kind_vars.pop();
        }
        self.count_bodies -= u32::from(counting);
        self.scope.pop();
        self.next_slot = self.next_slot.saturating_sub(1);
        let (bc, bt) = body_res?;
        if bt.unopt() != &Ty::Bool {
            self.err(
                body.span,
                format!(
                    "a quantifier's body must be a bool, but this is {}",
                    bt.describe()
                ),
                "expected bool",
            );
            return None;
        }
        let (k, ty) = match q {
            Quantifier::Any => (QuantKind::Any, Ty::Bool),
            Quantifier::All => (QuantKind::All, Ty::Bool),
            Quantifier::Count => (QuantKind::Count, Ty::Int),
        };
        Some((CExpr::Quant(k, slot, Box::new(lc), Box::new(bc)), ty))
    }

    fn call(&mut self, span: Span, func: &ast::Ident, args: &[Expr]) -> Checked {
        let name = func.name.as_str();
        if name == "date" && args.len() == 1 {
            let text = args
                .first()
                .map(|a| self.sources.text(a.span).trim().to_string())
                .unwrap_or_default();
            self.diagnostics.push(
                Diagnostic::error(span, "`date` needs a time zone")
                    .with_label("no zone given")
                    .with_help(format!(
                        "the calendar date of an instant depends on the zone: write \
                         `date({text}, \"Europe/Paris\")`, or `date({text}, \"UTC\")`"
                    )),
            );
            return None;
        }
        let arity = match name {
            "len" | "approvals" | "lower" => 1,
            "starts_with" | "ends_with" | "weekday" | "hour" | "date" => 2,
            _ => {
                let mut d = Diagnostic::error(func.span, format!("unknown function `{name}`"))
                    .with_label("not a built-in");
                match did_you_mean(name, FUNCTIONS.iter().copied()) {
                    Some(h) => d = d.with_help(h),
                    None => d = d.with_note(format!("built-ins: {}", FUNCTIONS.join(", "))),
                }
                self.diagnostics.push(d);
                return None;
            }
        };
        if args.len() != arity {
            self.err(
                span,
                format!("`{name}` takes {arity} argument(s), {} given", args.len()),
                "wrong number of arguments",
            );
            return None;
        }
        // Literal arguments resolved at compile time.
        let literal = |e: &Expr| match &e.kind {
            ExprKind::Str(s) => Some(s.clone()),
            _ => None,
        };
        match name {
            "approvals" => {
                let a = args.first()?;
                let Some(g) = literal(a) else {
                    self.err(
                        a.span,
                        "`approvals` takes a group name as a string literal",
                        "expected \"group\"",
                    );
                    return None;
                };
                let gi = self.groups.group(&g, a.span)?;
                Some((CExpr::Call(Builtin::Approvals(gi), Vec::new()), Ty::Int))
            }
            "weekday" | "hour" | "date" => {
                let (a, b) = (args.first()?, args.get(1)?);
                let (ac, at) = self.expr(a)?;
                if at.unopt() != &Ty::DateTime {
                    self.err(
                        a.span,
                        format!("`{name}` needs a datetime, but this is {}", at.describe()),
                        "expected datetime",
                    );
                    return None;
                }
                let Some(zone) = literal(b) else {
                    self.err(
                        b.span,
                        "the time zone must be a string literal like \"Europe/Berlin\"",
                        "expected a zone name",
                    );
                    return None;
                };
                let tz: chrono_tz::Tz = match zone.parse() {
                    Ok(tz) => tz,
                    Err(_) => {
                        let mut d =
                            Diagnostic::error(b.span, format!("unknown time zone \"{zone}\""))
                                .with_label("not an IANA zone name");
                        if let Some(h) =
                            did_you_mean(&zone, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()))
                        {
                            d = d.with_help(h);
                        }
                        self.diagnostics.push(d);
                        return None;
                    }
                };
                let (b, t) = match name {
                    "weekday" => (Builtin::Weekday(tz), Ty::Str),
                    "hour" => (Builtin::Hour(tz), Ty::Int),
                    _ => (Builtin::Date(tz), Ty::Date),
                };
                Some((CExpr::Call(b, vec![ac]), t))
            }
            "len" => {
                let a = args.first()?;
                let (ac, at) = self.expr(a)?;
                match at.unopt() {
                    Ty::List(_) | Ty::Str => Some((CExpr::Call(Builtin::Len, vec![ac]), Ty::Int)),
                    other => {
                        let d = other.describe();
                        self.err(
                            a.span,
                            format!("`len` needs a list or a string, but this is {d}"),
                            "expected list or string",
                        );
                        None
                    }
                }
            }
            _ => {
                // starts_with, ends_with, lower: strings only
                let mut out = Vec::with_capacity(args.len());
                for a in args {
                    let (c, t) = self.expr(a)?;
                    if t.unopt() != &Ty::Str {
                        self.err(
                            a.span,
                            format!("`{name}` needs strings, but this is {}", t.describe()),
                            "expected string",
                        );
                        return None;
                    }
                    out.push(c);
                }
                let (b, t) = match name {
                    "starts_with" => (Builtin::StartsWith, Ty::Bool),
                    "ends_with" => (Builtin::EndsWith, Ty::Bool),
                    _ => (Builtin::Lower, Ty::Str),
                };
                Some((CExpr::Call(b, out), t))
            }
        }
    }
}

/// `date(e, "UTC")`: the calendar date of an instant in UTC.
fn utc_date(e: CExpr) -> CExpr {
    CExpr::Call(Builtin::Date(chrono_tz::UTC), vec![e])
}

/// The parser's comparison operator as the IR's.
pub fn cmp_op(op: ast::CmpOp) -> CmpOp {
    match op {
        ast::CmpOp::Eq => CmpOp::Eq,
        ast::CmpOp::Ne => CmpOp::Ne,
        ast::CmpOp::Lt => CmpOp::Lt,
        ast::CmpOp::Le => CmpOp::Le,
        ast::CmpOp::Gt => CmpOp::Gt,
        ast::CmpOp::Ge => CmpOp::Ge,
    }
}

/// A quantifier's variable: its name, where it is bound, and the list it ranges over.
#[derive(Debug, Clone)]
pub struct Quantified {
    name: String,
    bound: Span,
    list: Span,
}

/// The variable of every quantifier in an expression.
pub fn collect_quantified(e: &Expr, out: &mut Vec<Quantified>) {
    match &e.kind {
        ExprKind::Quant {
            var, list, body, ..
        } => {
            out.push(Quantified {
                name: var.name.clone(),
                bound: var.span,
                list: list.span,
            });
            collect_quantified(list, out);
            collect_quantified(body, out);
        }
        ExprKind::List(items) => items.iter().for_each(|i| collect_quantified(i, out)),
        ExprKind::Field(b, _) | ExprKind::Has(b, _) | ExprKind::Not(b) | ExprKind::Neg(b) => {
            collect_quantified(b, out)
        }
        ExprKind::Binary(_, l, r) => {
            collect_quantified(l, out);
            collect_quantified(r, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| collect_quantified(a, out)),
        _ => {}
    }
}

/// Every `base has field` in an expression, as `(base source text, field)`.
pub fn collect_has(e: &Expr, sources: &SourceMap, out: &mut Vec<(String, String)>) {
    match &e.kind {
        ExprKind::Has(base, f) => {
            out.push((sources.text(base.span).trim().to_string(), f.name.clone()));
            collect_has(base, sources, out);
        }
        ExprKind::List(items) => items.iter().for_each(|i| collect_has(i, sources, out)),
        ExprKind::Field(b, _) | ExprKind::Not(b) | ExprKind::Neg(b) => collect_has(b, sources, out),
        ExprKind::Binary(_, l, r) => {
            collect_has(l, sources, out);
            collect_has(r, sources, out);
        }
        ExprKind::Quant { list, body, .. } => {
            collect_has(list, sources, out);
            collect_has(body, sources, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| collect_has(a, sources, out)),
        _ => {}
    }
}

/// The atoms of a condition's `and`/`or`/`not` skeleton, left to right (`Cond::atoms`).
fn atom_texts(e: &Expr, out: &mut Vec<AtomText>) {
    let operands = |a: Option<&Expr>, b: Option<&Expr>| [a.map(|x| x.span), b.map(|x| x.span)];
    match &e.kind {
        ExprKind::Binary(BinOp::And | BinOp::Or, l, r) => {
            atom_texts(l, out);
            atom_texts(r, out);
        }
        ExprKind::Not(inner) => atom_texts(inner, out),
        ExprKind::Binary(op, l, r) => out.push(AtomText {
            span: e.span,
            operands: operands(Some(l), Some(r)),
            negated: *op == BinOp::NotIn,
        }),
        ExprKind::Call { args, .. } => out.push(AtomText {
            span: e.span,
            operands: operands(args.first(), args.get(1)),
            negated: false,
        }),
        _ => out.push(AtomText {
            span: e.span,
            operands: [None, None],
            negated: false,
        }),
    }
}
