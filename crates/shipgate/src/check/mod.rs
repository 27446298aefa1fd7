//! Name resolution and type checking: the parsed files of a policy set to its compiled IR.

pub mod expr;
pub mod ir;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::calendar::CalendarSet;
use crate::decision::Text;
use crate::error::{Diagnostic, Error, PolicyError, did_you_mean};
use crate::span::{SourceMap, Span};
use crate::syntax::ast::{self, Effect, Item};
use expr::{ExprChecker, GroupResolver, Schema};
use ir::*;

/// A compiled policy set: the IR plus the sources its locations point into.
#[derive(Debug)]
pub struct Compiled {
    pub sources: SourceMap,
    pub warnings: Vec<Diagnostic>,
    pub ir: PolicyIr,
}

impl Compiled {
    pub fn region_names(&self) -> Vec<String> {
        self.ir.calendars.region_names()
    }
}

/// The `.gate` files under the given paths: folders are walked recursively; the result is sorted.
pub fn collect_gate_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::Io {
            path: p.display().to_string(),
            message: e.to_string(),
        })?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::Io {
            path: shown.join(", "),
            message: "no .gate files found".into(),
        });
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "gate") {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads and compiles the policy files under `paths`. `ics` paths are relative to the first
/// folder given, or to the folder of the first file (`.` for a bare file name).
pub fn compile_paths(paths: &[PathBuf]) -> Result<Compiled, Error> {
    let files = collect_gate_files(paths)?;
    let root = paths.first().map(|p| {
        if p.is_dir() {
            p.clone()
        } else {
            match p.parent() {
                // `p.gate`: its folder is the current one, named as such.
                Some(parent) if parent.as_os_str().is_empty() => PathBuf::from("."),
                Some(parent) => parent.to_path_buf(),
                None => PathBuf::from("."),
            }
        }
    });
    let mut sources = Vec::with_capacity(files.len());
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| Error::Io {
            path: f.display().to_string(),
            message: e.to_string(),
        })?;
        sources.push((f.display().to_string(), text));
    }
    compile_sources(sources, root)
}

/// Compiles named sources as one policy set; `ics` paths are relative to `root`, and an `ics`
/// import is an error without one.
pub fn compile_sources(
    files: Vec<(String, String)>,
    root: Option<PathBuf>,
) -> Result<Compiled, Error> {
    let mut sources = SourceMap::default();
    let mut parsed = Vec::with_capacity(files.len());
    let mut diagnostics = Vec::new();
    for (name, text) in files {
        let id = sources.add(name, text);
        let text = sources.get(id).map(|f| f.text.as_str()).unwrap_or("");
        let (file, diags) = crate::syntax::parse(id, text);
        diagnostics.extend(diags);
        parsed.push(file);
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(PolicyError::new(diagnostics, sources).into());
    }
    let items: Vec<&Item> = parsed.iter().flat_map(|f| f.items.iter()).collect();
    let (ir, diags) = check_items(&items, &sources, root.as_deref());
    diagnostics.extend(diags);
    match ir {
        Some(ir) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(Compiled {
            sources,
            warnings: diagnostics,
            ir,
        }),
        _ => {
            diagnostics.sort_by_key(|d| (d.severity == crate::error::Severity::Warning, d.span));
            Err(PolicyError::new(diagnostics, sources).into())
        }
    }
}

const DEFAULT_TIERS: [&str; 4] = ["low", "medium", "high", "critical"];

struct Groups {
    names: Vec<String>,
    declared: bool,
    diagnostics: Vec<Diagnostic>,
}

impl GroupResolver for Groups {
    fn group(&mut self, name: &str, span: Span) -> Option<u16> {
        if let Some(i) = self.names.iter().position(|g| g == name) {
            return u16::try_from(i).ok();
        }
        if self.declared {
            let mut d = Diagnostic::error(span, format!("unknown group \"{name}\""))
                .with_label("not in the `groups` list");
            match did_you_mean(name, self.names.iter().map(String::as_str)) {
                Some(h) => d = d.with_help(h),
                None => d = d.with_note(format!("declared groups: {}", self.names.join(", "))),
            }
            self.diagnostics.push(d);
            return None;
        }
        self.names.push(name.to_string());
        u16::try_from(self.names.len() - 1).ok()
    }
}

fn duplicate(kind: &str, name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::error(span, format!("{kind} `{name}` is defined twice"))
        .with_label("second definition")
        .with_secondary(first, "first defined here")
}

fn resolve_type(t: &ast::TypeExpr, diags: &mut Vec<Diagnostic>) -> Option<Ty> {
    match t {
        ast::TypeExpr::Named(id) => {
            let ty = match id.name.as_str() {
                "bool" => Ty::Bool,
                "int" => Ty::Int,
                "float" => Ty::Float,
                "string" => Ty::Str,
                "duration" => Ty::Duration,
                "datetime" => Ty::DateTime,
                "date" => Ty::Date,
                other => {
                    let names = [
                        "bool", "int", "float", "string", "duration", "datetime", "date",
                    ];
                    let mut d = Diagnostic::error(id.span, format!("unknown type `{other}`"))
                        .with_label("not a field type");
                    match did_you_mean(other, names) {
                        Some(h) => d = d.with_help(h),
                        None => {
                            d = d.with_note(format!(
                                "field types: {}, list<T>, T?",
                                names.join(", ")
                            ))
                        }
                    }
                    diags.push(d);
                    return None;
                }
            };
            Some(ty)
        }
        ast::TypeExpr::List(inner, _) => Some(Ty::list(resolve_type(inner, diags)?)),
        ast::TypeExpr::Optional(inner, span) => {
            let inner = resolve_type(inner, diags)?;
            if matches!(inner, Ty::Opt(_)) {
                diags.push(
                    Diagnostic::error(*span, "a type can be optional only once").with_label("`??`"),
                );
                return None;
            }
            Some(Ty::opt(inner))
        }
    }
}

/// Checks every item of the set and builds the IR. Returns `None` when it cannot be built.
fn check_items(
    items: &[&Item],
    sources: &SourceMap,
    root: Option<&Path>,
) -> (Option<PolicyIr>, Vec<Diagnostic>) {
    let mut diags = Vec::new();

    // --- settings ----------------------------------------------------------------
    let mut tiers: Option<(Vec<String>, Span)> = None;
    let mut default: Option<(bool, Span)> = None;
    let mut capacity: Option<(u64, Span)> = None;
    let mut groups = Groups {
        names: Vec::new(),
        declared: false,
        diagnostics: Vec::new(),
    };
    let mut groups_span: Option<Span> = None;
    for item in items {
        match item {
            Item::Tiers { names, span } => {
                if let Some((_, first)) = &tiers {
                    diags.push(duplicate("setting", "tiers", *span, *first));
                    continue;
                }
                let mut seen: HashMap<&str, Span> = HashMap::new();
                for n in names {
                    if let Some(first) = seen.insert(n.name.as_str(), n.span) {
                        diags.push(duplicate("tier", &n.name, n.span, first));
                    }
                }
                if names.len() > 255 {
                    diags.push(
                        Diagnostic::error(*span, "at most 255 tiers").with_label("too many tiers"),
                    );
                }
                tiers = Some((names.iter().map(|n| n.name.clone()).collect(), *span));
            }
            Item::Default { effect, span } => {
                if let Some((_, first)) = &default {
                    diags.push(duplicate("setting", "default", *span, *first));
                    continue;
                }
                default = Some((*effect == ast::DefaultEffect::Deny, *span));
            }
            Item::Capacity { value, span } => {
                if let Some((_, first)) = &capacity {
                    diags.push(duplicate("setting", "capacity", *span, *first));
                    continue;
                }
                if *value == 0 {
                    diags.push(
                        Diagnostic::error(*span, "capacity must be at least 1")
                            .with_label("no change could ever deploy"),
                    );
                }
                capacity = Some((*value, *span));
            }
            Item::Groups { names, span } => {
                if let Some(first) = groups_span {
                    diags.push(duplicate("setting", "groups", *span, first));
                    continue;
                }
                groups_span = Some(*span);
                groups.declared = true;
                let mut seen: HashMap<&str, Span> = HashMap::new();
                for n in names {
                    if let Some(first) = seen.insert(n.name.as_str(), n.span) {
                        diags.push(duplicate("group", &n.name, n.span, first));
                    } else {
                        groups.names.push(n.name.clone());
                    }
                }
            }
            _ => {}
        }
    }
    let tiers: Vec<String> = tiers
        .map(|(t, _)| t)
        .unwrap_or_else(|| DEFAULT_TIERS.iter().map(|s| s.to_string()).collect());

    // --- extend fields -----------------------------------------------------------------
    let mut change_ext: Vec<ExtField> = Vec::new();
    let mut service_ext: Vec<ExtField> = Vec::new();
    let mut ext_spans: HashMap<(bool, String), Span> = HashMap::new();
    for item in items {
        let Item::Extend(ext) = item else { continue };
        let is_change = ext.target == ast::ExtendTarget::Change;
        for f in &ext.fields {
            let builtin = if is_change {
                expr::builtin_change_fields().any(|b| b == f.name.name)
            } else {
                expr::builtin_service_fields().any(|b| b == f.name.name)
            };
            if builtin {
                diags.push(
                    Diagnostic::error(
                        f.name.span,
                        format!("`{}` is a built-in field", f.name.name),
                    )
                    .with_label("already defined")
                    .with_help("choose another name for the extension field"),
                );
                continue;
            }
            if let Some(first) = ext_spans.insert((is_change, f.name.name.clone()), f.name.span) {
                diags.push(duplicate("field", &f.name.name, f.name.span, first));
                continue;
            }
            let Some(ty) = resolve_type(&f.ty, &mut diags) else {
                continue;
            };
            let field = ExtField {
                name: f.name.name.clone(),
                ty,
            };
            if is_change {
                change_ext.push(field);
            } else {
                service_ext.push(field);
            }
        }
    }

    // --- rule names ------------------------------------------------------------------
    let mut rule_index: HashMap<&str, (u16, Span)> = HashMap::new();
    let mut rule_decls: Vec<&ast::RuleDecl> = Vec::new();
    for item in items {
        let Item::Rule(r) = item else { continue };
        if let Some((_, first)) = rule_index.get(r.name.name.as_str()) {
            diags.push(duplicate("rule", &r.name.name, r.name.span, *first));
            continue;
        }
        let idx = u16::try_from(rule_decls.len()).unwrap_or(u16::MAX);
        rule_index.insert(r.name.name.as_str(), (idx, r.name.span));
        rule_decls.push(r);
    }
    let unknown_rule = |id: &ast::Ident| {
        let mut d = Diagnostic::error(id.span, format!("unknown rule `{}`", id.name))
            .with_label("no such rule");
        if let Some(h) = did_you_mean(&id.name, rule_index.keys().copied()) {
            d = d.with_help(h);
        }
        d
    };

    // --- calendars and regions ---------------------------------------------------------
    let calendars: Vec<&ast::CalendarDecl> = items
        .iter()
        .filter_map(|i| {
            if let Item::Calendar(c) = i {
                Some(c)
            } else {
                None
            }
        })
        .collect();
    let regions: Vec<&ast::RegionDecl> = items
        .iter()
        .filter_map(|i| {
            if let Item::Region(r) = i {
                Some(r)
            } else {
                None
            }
        })
        .collect();
    let (calendar_set, cal_diags) = CalendarSet::compile(&calendars, &regions, root);
    diags.extend(cal_diags);

    // --- waivable ------------------------------------------------------------------------
    let mut waivable: HashMap<u16, (u16, i64, Span)> = HashMap::new();
    for item in items {
        let Item::Waivable(w) = item else { continue };
        let Some((ri, _)) = rule_index.get(w.rule.name.as_str()).copied() else {
            diags.push(unknown_rule(&w.rule));
            continue;
        };
        let Some(g) = groups.group(&w.group.value, w.group.span) else {
            continue;
        };
        if w.max.seconds <= 0 {
            diags.push(
                Diagnostic::error(w.max.span, "a waiver's maximum must be positive")
                    .with_label("zero or negative"),
            );
        }
        if let Some((_, _, first)) = waivable.insert(ri, (g, w.max.seconds, w.span)) {
            diags.push(duplicate(
                "waivable declaration for rule",
                &w.rule.name,
                w.span,
                first,
            ));
        }
    }

    // --- expressions ---------------------------------------------------------------------
    let schema = Schema {
        tiers: &tiers,
        change_ext: &change_ext,
        service_ext: &service_ext,
    };
    let at = |span: Span| sources.location(span);
    let mut ck = ExprChecker::new(schema, sources, &mut groups);

    let mut tier_rules = Vec::new();
    ck.tier_available = false;
    for item in items {
        let Item::Tier(t) = item else { continue };
        let Some(ti) = tiers.iter().position(|n| *n == t.tier.name) else {
            let mut d = Diagnostic::error(t.tier.span, format!("unknown tier `{}`", t.tier.name))
                .with_label("not in `tiers`");
            match did_you_mean(&t.tier.name, tiers.iter().map(String::as_str)) {
                Some(h) => d = d.with_help(h),
                None => d = d.with_note(format!("tiers are: {}", tiers.join(", "))),
            }
            ck.diagnostics.push(d);
            continue;
        };
        if let Some(cond) = ck.condition(&t.when, &[]) {
            tier_rules.push(TierRule {
                tier: u8::try_from(ti).unwrap_or(u8::MAX),
                cond,
                span: t.span,
            });
        }
    }
    ck.tier_available = true;

    let mut rules = Vec::with_capacity(rule_decls.len());
    for (ri, r) in rule_decls.iter().enumerate() {
        let mut guard_has = Vec::new();
        let guard = match &r.guard {
            Some(g) => {
                expr::collect_has(g, sources, &mut guard_has);
                ck.condition(g, &[])
            }
            None => None,
        };
        let mut effects = Vec::with_capacity(r.effects.len());
        for e in &r.effects {
            let (effect, span) = match e {
                Effect::Deny { when, span } => match ck.condition(when, &guard_has) {
                    Some(c) => (EffectIr::Deny(c), *span),
                    None => continue,
                },
                Effect::Allow { when, span } => match ck.condition(when, &guard_has) {
                    Some(c) => (EffectIr::Allow(c), *span),
                    None => continue,
                },
                Effect::RequireApproval { group, count, span } => {
                    let Some(g) = ck.groups.group(&group.value, group.span) else {
                        continue;
                    };
                    let n = match count {
                        Some((n, s)) => {
                            if *n == 0 || *n > 1000 {
                                ck.diagnostics.push(
                                    Diagnostic::error(
                                        *s,
                                        "an approval count must be between 1 and 1000",
                                    )
                                    .with_label("out of range"),
                                );
                                continue;
                            }
                            u32::try_from(*n).unwrap_or(1)
                        }
                        None => 1,
                    };
                    (EffectIr::RequireApproval { group: g, count: n }, *span)
                }
                Effect::RequireCheck { name, span } => (
                    EffectIr::RequireCheck {
                        name: name.value.as_str().into(),
                    },
                    *span,
                ),
                Effect::ExemptBlackout { span } => (EffectIr::ExemptBlackout, *span),
                Effect::ExemptWindow { span } => (EffectIr::ExemptWindow, *span),
                Effect::ExemptRule { rule, span } => match rule_index.get(rule.name.as_str()) {
                    Some((i, _)) => {
                        if usize::from(*i) == ri {
                            ck.diagnostics.push(
                                Diagnostic::error(rule.span, "a rule cannot exempt itself")
                                    .with_label("same rule"),
                            );
                            continue;
                        }
                        (EffectIr::ExemptRule(*i), *span)
                    }
                    None => {
                        ck.diagnostics.push(unknown_rule(rule));
                        continue;
                    }
                },
            };
            effects.push(EffectAt {
                effect,
                at: at(span).into(),
                span,
            });
        }
        let message = r
            .message
            .as_ref()
            .and_then(|m| compile_message(m, &mut ck, &guard_has));
        let has_exemptions = effects.iter().any(|e| {
            matches!(
                e.effect,
                EffectIr::ExemptBlackout | EffectIr::ExemptWindow | EffectIr::ExemptRule(_)
            )
        });
        let idx = u16::try_from(ri).unwrap_or(u16::MAX);
        let fixed_message = match &message {
            None => Some(Text::from(format!("denied by rule {}", r.name.name))),
            Some(parts) => parts
                .iter()
                .map(|p| match p {
                    MessagePart::Text(t) => Some(t.as_str()),
                    MessagePart::Value(_) => None,
                })
                .collect::<Option<String>>()
                .map(Text::from),
        };
        rules.push(RuleIr {
            name: r.name.name.as_str().into(),
            guard,
            effects,
            message,
            fixed_message,
            at: at(r.name.span).into(),
            waivable: waivable.get(&idx).map(|(g, m, _)| (*g, *m)),
            has_exemptions,
        });
    }

    let mut strategy = Vec::new();
    let mut strategy_span: Option<Span> = None;
    for item in items {
        let Item::Strategy(s) = item else { continue };
        if let Some(first) = strategy_span {
            ck.diagnostics
                .push(duplicate("block", "strategy", s.span, first));
            continue;
        }
        strategy_span = Some(s.span);
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut otherwise_seen: Option<Span> = None;
        for arm in &s.arms {
            if let Some(first) = seen.insert(arm.name.name.as_str(), arm.name.span) {
                ck.diagnostics
                    .push(duplicate("strategy", &arm.name.name, arm.name.span, first));
            }
            if let Some(o) = otherwise_seen {
                ck.diagnostics.push(
                    Diagnostic::error(arm.span, "this arm can never be chosen")
                        .with_label("unreachable")
                        .with_secondary(o, "`otherwise` already matches everything"),
                );
            }
            let cond = match &arm.when {
                Some(w) => match ck.condition(w, &[]) {
                    Some(c) => Some(c),
                    None => continue,
                },
                None => {
                    otherwise_seen = Some(arm.span);
                    None
                }
            };
            strategy.push(StrategyArmIr {
                name: arm.name.name.as_str().into(),
                cond,
                at: at(arm.span).into(),
            });
        }
    }

    let mut triggers = Vec::new();
    for item in items {
        let Item::Rollback(rb) = item else { continue };
        for t in &rb.triggers {
            let when = match &t.when {
                Some(w) => match ck.condition(w, &[]) {
                    Some(c) => Some(c),
                    None => continue,
                },
                None => None,
            };
            if t.for_.seconds <= 0 {
                ck.diagnostics.push(
                    Diagnostic::error(t.for_.span, "a trigger's `for` must be positive")
                        .with_label("zero or negative"),
                );
                continue;
            }
            let (threshold, of_baseline) = match t.threshold {
                ast::Threshold::Number(v, _) => (v, false),
                ast::Threshold::OfBaseline(v, _) => (v, true),
            };
            triggers.push(TriggerIr {
                metric: t.metric.name.as_str().into(),
                op: expr::cmp_op(t.op),
                threshold,
                of_baseline,
                for_secs: t.for_.seconds,
                when,
                on_no_data_fire: t.on_no_data_fire,
                at: at(t.span).into(),
            });
        }
    }

    let mut notify = Vec::new();
    for item in items {
        let Item::Notify(n) = item else { continue };
        let when = match &n.when {
            Some(w) => match ck.condition(w, &[]) {
                Some(c) => Some(c),
                None => continue,
            },
            None => None,
        };
        notify.push(NotifyIr {
            audiences: n
                .audiences
                .iter()
                .map(|a| a.value.as_str().into())
                .collect(),
            when,
            at: at(n.span).into(),
        });
    }

    diags.append(&mut ck.diagnostics);
    let conditions = ck.conditions;
    drop(ck);
    diags.append(&mut groups.diagnostics);

    let default_deny = default.map(|(d, _)| d).unwrap_or(false);
    let default_at = default.map(|(_, s)| at(s)).unwrap_or_default().into();
    let exempting_rules = (0u16..)
        .zip(&rules)
        .filter(|(_, r)| r.has_exemptions)
        .map(|(i, _)| i)
        .collect();
    let ir = PolicyIr {
        exempting_rules,
        tier_names: tiers.iter().map(|t| Text::from(t.as_str())).collect(),
        tiers,
        tier_rules,
        default_deny,
        default_at,
        capacity: capacity.map(|(c, _)| c),
        groups: groups
            .names
            .iter()
            .map(|g| Text::from(g.as_str()))
            .collect(),
        change_ext,
        service_ext,
        rules,
        strategy,
        triggers,
        notify,
        calendars: calendar_set,
        conditions,
    };
    (Some(ir), diags)
}

/// Splits `"text {change.requester} more"` into parts, checking each interpolated path.
fn compile_message(
    m: &ast::StrLit,
    ck: &mut ExprChecker<'_, '_>,
    guard_has: &[(String, String)],
) -> Option<Vec<MessagePart>> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = m.value.char_indices().peekable();
    let mut ok = true;
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let rest = m.value.get(i + 1..).unwrap_or("");
                let Some(close) = rest.find('}') else {
                    ck.diagnostics.push(
                        Diagnostic::error(m.span, "unclosed `{` in message")
                            .with_label("write `{{` for a literal brace"),
                    );
                    return None;
                };
                let path = rest.get(..close).unwrap_or("").trim();
                // Point at the path inside the literal (exact when the string has no escapes).
                let start = m.span.start as usize + 1 + i + 1;
                let span = Span::new(m.span.file, start, start + close);
                match path_expr(path, span) {
                    Some(e) => {
                        ck.has_tests.clear();
                        ck.has_tests.extend_from_slice(guard_has);
                        match ck.expr(&e) {
                            Some((c, _)) => {
                                if !text.is_empty() {
                                    parts.push(MessagePart::Text(std::mem::take(&mut text)));
                                }
                                parts.push(MessagePart::Value(c));
                            }
                            None => ok = false,
                        }
                    }
                    None => {
                        ck.diagnostics.push(
                            Diagnostic::error(span, format!("`{path}` is not a path"))
                                .with_label("expected a path like change.requester"),
                        );
                        ok = false;
                    }
                }
                for _ in 0..=close {
                    chars.next();
                }
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(MessagePart::Text(text));
    }
    ok.then_some(parts)
}

/// `a.b.c` as an expression, every node spanning the whole path.
fn path_expr(path: &str, span: Span) -> Option<ast::Expr> {
    let mut segs = path.split('.');
    let first = segs.next()?;
    let ident_ok = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if !ident_ok(first) {
        return None;
    }
    let mut e = ast::Expr {
        kind: ast::ExprKind::Name(first.to_string()),
        span,
    };
    for s in segs {
        if !ident_ok(s) {
            return None;
        }
        e = ast::Expr {
            kind: ast::ExprKind::Field(
                Box::new(e),
                ast::Ident {
                    name: s.to_string(),
                    span,
                },
            ),
            span,
        };
    }
    Some(e)
}
