//! Phase 1: the settings of a policy set (`tiers`, `default`, `capacity`, `groups`, `kinds`),
//! each given at most once.

use foldhash::{HashMap, HashMapExt};

use super::duplicate;
use super::expr::GroupResolver;
use crate::error::{Diagnostic, did_you_mean};
use crate::span::Span;
use crate::syntax::ast::{self, Item};

const DEFAULT_TIERS: [&str; 4] = ["low", "medium", "high", "critical"];

pub struct Groups {
    pub names: Vec<String>,
    pub declared: bool,
    pub diagnostics: Vec<Diagnostic>,
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

/// A tier name is compared against in conditions, where `-` is a minus: `tier-1` would read as
/// `tier - 1`, so a hyphenated tier could be declared but never named. Rejected where declared.
fn hyphenated_tier(n: &ast::Ident) -> Diagnostic {
    let fixed = n.name.replace('-', "_");
    Diagnostic::error(
        n.span,
        format!("a tier name cannot contain `-`: `{}`", n.name),
    )
    .with_label(format!(
        "in a condition this reads as `{}`",
        n.name.replace('-', " - ")
    ))
    .with_help(format!(
        "write `{fixed}`: tiers are named in conditions, where `-` subtracts"
    ))
}

/// The settings, with their defaults where absent.
pub struct Settings {
    /// Tier names, ascending.
    pub tiers: Vec<String>,
    /// `default deny`, and where it was written.
    pub default: Option<(bool, Span)>,
    /// `capacity N [per region]`: N, whether per region, and where it was written.
    pub capacity: Option<(u64, bool, Span)>,
    /// The declared groups (more are added as they are used when none are declared).
    pub groups: Groups,
    /// `kinds ...`: the closed set of change kinds, when declared.
    pub kinds: Option<Vec<String>>,
}

pub fn check(items: &[&Item], diags: &mut Vec<Diagnostic>) -> Settings {
    let mut tiers: Option<(Vec<String>, Span)> = None;
    let mut default: Option<(bool, Span)> = None;
    let mut capacity: Option<(u64, bool, Span)> = None;
    let mut groups = Groups {
        names: Vec::new(),
        declared: false,
        diagnostics: Vec::new(),
    };
    let mut groups_span: Option<Span> = None;
    let mut kinds: Option<(Vec<String>, Span)> = None;
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
                    if n.name.contains('-') {
                        diags.push(hyphenated_tier(n));
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
            Item::Capacity {
                value,
                per_region,
                span,
            } => {
                if let Some((_, _, first)) = &capacity {
                    diags.push(duplicate("setting", "capacity", *span, *first));
                    continue;
                }
                if *value == 0 {
                    diags.push(
                        Diagnostic::error(*span, "capacity must be at least 1")
                            .with_label("no change could ever deploy"),
                    );
                }
                capacity = Some((*value, *per_region, *span));
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
            Item::Kinds { names, span } => {
                if let Some((_, first)) = &kinds {
                    diags.push(duplicate("setting", "kinds", *span, *first));
                    continue;
                }
                let mut seen: HashMap<&str, Span> = HashMap::new();
                let mut list = Vec::with_capacity(names.len());
                for n in names {
                    if let Some(first) = seen.insert(n.name.as_str(), n.span) {
                        diags.push(duplicate("kind", &n.name, n.span, first));
                    } else {
                        list.push(n.name.clone());
                    }
                }
                kinds = Some((list, *span));
            }
            _ => {}
        }
    }
    let tiers: Vec<String> = tiers
        .map(|(t, _)| t)
        .unwrap_or_else(|| DEFAULT_TIERS.iter().map(|s| s.to_string()).collect());
    Settings {
        tiers,
        default,
        capacity,
        groups,
        kinds: kinds.map(|(k, _)| k),
    }
}
