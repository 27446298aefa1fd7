//! Name resolution and type checking: the parsed files of a policy set to its compiled IR.

mod calendars;
mod conditions;
mod delivery;
pub mod expr;
mod extend;
pub mod ir;
mod rules;
mod scopes;
mod settings;
mod tiers;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::decision::Text;
use crate::error::{Diagnostic, Error, PolicyError};
use crate::limits::{Limit, Limits};
use crate::span::{SourceMap, Span};
use crate::syntax::ast::Item;
use expr::{ExprChecker, Schema};
use ir::*;

/// A compiled policy set: the IR plus the sources its locations point into.
#[derive(Debug)]
pub struct Compiled {
    pub sources: SourceMap,
    pub warnings: Vec<Diagnostic>,
    pub ir: PolicyIr,
    /// `sha256:<hex>` of the policy files (a decision's `policy`), computed once here.
    pub policy_digest: crate::digest::PolicyDigest,
}

impl Compiled {
    pub fn region_names(&self) -> Vec<String> {
        self.ir.calendars.region_names()
    }
}

/// The `.gate` files under the given paths: folders are walked recursively; the result is sorted.
///
/// A file named twice (also through another path or a link) is read once, under the first
/// name. Links to folders are followed, but each real folder is walked once, so links that
/// form a cycle cost nothing; a `.gate` entry of a folder that is not a regular file (a pipe,
/// a device) is an error, since reading it could block or never end.
pub fn collect_gate_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    Ok(gate_files(paths)?.into_iter().map(|(p, _)| p).collect())
}

/// [`collect_gate_files`], each file with the name the policy digest gives it: its path
/// relative to the folder given that holds it (`/` between folders), or for a file given
/// itself, its file name.
fn gate_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, Error> {
    let mut out = Vec::new();
    let mut walked = HashSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::Io {
            path: p.display().to_string(),
            message: e.to_string(),
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, &mut walked)?;
            out.extend(found.into_iter().map(|f| {
                let name = digest_name(f.strip_prefix(p).unwrap_or(&f));
                (f, name)
            }));
        } else {
            let name = digest_name(p.file_name().map_or(p.as_path(), Path::new));
            out.push((p.clone(), name));
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    let mut seen = HashSet::new();
    out.retain(|(p, _)| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    if out.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::Io {
            path: shown.join(", "),
            message: "no .gate files found".into(),
        });
    }
    Ok(out)
}

/// A relative path as the policy digest names it: its components joined by `/`.
pub(crate) fn digest_name(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Adds the `.gate` files under `dir` unless its real folder is in `walked` already.
fn walk(dir: &Path, out: &mut Vec<PathBuf>, walked: &mut HashSet<PathBuf>) -> Result<(), Error> {
    let io = |path: &Path, e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let real = dir.canonicalize().map_err(|e| io(dir, e))?;
    if !walked.insert(real) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let is_gate = p.extension().is_some_and(|e| e == "gate");
        // A dangling link is not a folder; one named `.gate` is an error when read.
        let Ok(meta) = std::fs::metadata(&p) else {
            if is_gate {
                out.push(p);
            }
            continue;
        };
        if meta.is_dir() {
            walk(&p, out, walked)?;
        } else if is_gate {
            if !meta.is_file() {
                return Err(Error::Io {
                    path: p.display().to_string(),
                    message: "not a regular file (a policy folder holds files)".into(),
                });
            }
            out.push(p);
        }
    }
    Ok(())
}

/// Reads and compiles the policy files under `paths`. `ics` paths are relative to the first
/// folder given, or to the folder of the first file (`.` for a bare file name).
pub fn compile_paths(paths: &[PathBuf], limits: &Limits) -> Result<Compiled, Error> {
    let files = gate_files(paths)?;
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
    let mut names = Vec::with_capacity(files.len());
    let mut total = 0u64;
    for (f, digest) in &files {
        let name = f.display().to_string();
        let io = |e: std::io::Error| Error::Io {
            path: name.clone(),
            message: e.to_string(),
        };
        // Never more than the limits allow is read: `--policy /dev/zero` stops at them.
        let room = limits
            .get(Limit::PolicyFileBytes)
            .min(limits.get(Limit::PolicyBytes).saturating_sub(total));
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(std::fs::File::open(f).map_err(io)?, room + 1),
            &mut text,
        )
        .map_err(io)?;
        total = total.saturating_add(text.len() as u64);
        check_policy_size(&name, text.len(), total, limits)?;
        sources.push((name, text));
        names.push(digest.clone());
    }
    compile_named(sources, names, root, limits)
}

/// The error for a policy file of `len` bytes that brings the set to `total` bytes, when
/// either passes its limit (by default 4 MiB a file and 16 MiB a set: a hundred thousand
/// lines, far more than any real policy; docs/security.md).
fn check_policy_size(name: &str, len: usize, total: u64, limits: &Limits) -> Result<(), Error> {
    let file = limits.get(Limit::PolicyFileBytes);
    let set = limits.get(Limit::PolicyBytes);
    let message = if len as u64 > file {
        format!(
            "the policy file is larger than the limit of {file} bytes ({})",
            Limit::PolicyFileBytes.raise_hint()
        )
    } else if total > set {
        format!(
            "the policy set passes the limit of {set} bytes for all its files together with \
             this file ({})",
            Limit::PolicyBytes.raise_hint()
        )
    } else {
        return Ok(());
    };
    Err(Error::Io {
        path: name.to_string(),
        message,
    })
}

/// Compiles named sources as one policy set; `ics` paths are relative to `root`, and an `ics`
/// import is an error without one. The policy digest names each file as given.
pub fn compile_sources(
    files: Vec<(String, String)>,
    root: Option<PathBuf>,
    limits: &Limits,
) -> Result<Compiled, Error> {
    let names = files.iter().map(|(name, _)| name.clone()).collect();
    compile_named(files, names, root, limits)
}

/// Compiles `files` (display name, text); `digest_names` are the names the policy digest gives
/// them, in the same order.
fn compile_named(
    files: Vec<(String, String)>,
    digest_names: Vec<String>,
    root: Option<PathBuf>,
    limits: &Limits,
) -> Result<Compiled, Error> {
    // The same limits for policy text given as strings as for policy files.
    let mut total = 0u64;
    for (name, text) in &files {
        total = total.saturating_add(text.len() as u64);
        check_policy_size(name, text.len(), total, limits)?;
    }
    // However many names are misspelt, "did you mean" does a bounded amount of work in all;
    // the calendars read the recurrence limits from the compilation.
    crate::limits::compile_with(limits, || {
        crate::error::suggestion_budget(|| compile_files(files, digest_names, root))
    })
}

fn compile_files(
    files: Vec<(String, String)>,
    digest_names: Vec<String>,
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
        Some(ir) if !diagnostics.iter().any(Diagnostic::is_error) => {
            // Every file that shapes decisions: the `.gate` files and the `ics` they import.
            let gate = digest_names
                .iter()
                .zip(&sources.files)
                .map(|(name, file)| (name.as_str(), file.text.as_bytes()));
            let policy_digest = crate::digest::policy(gate.chain(ir.calendars.imported_files()));
            Ok(Compiled {
                sources,
                warnings: diagnostics,
                ir,
                policy_digest,
            })
        }
        _ => {
            diagnostics.sort_by_key(|d| (d.severity == crate::error::Severity::Warning, d.span));
            Err(PolicyError::new(diagnostics, sources).into())
        }
    }
}

fn duplicate(kind: &str, name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::error(span, format!("{kind} `{name}` is defined twice"))
        .with_label("second definition")
        .with_secondary(first, "first defined here")
}

/// Checks every item of the set and builds the IR, one phase after the other. Returns `None`
/// when it cannot be built.
fn check_items(
    items: &[&Item],
    sources: &SourceMap,
    root: Option<&Path>,
) -> (Option<PolicyIr>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let settings::Settings {
        tiers,
        default,
        capacity,
        mut groups,
        kinds,
    } = settings::check(items, &mut diags);
    let (change_ext, service_ext) = extend::check(items, &mut diags);
    let rule_index = rules::RuleIndex::new(items, &mut diags);
    let mut calendar_set = calendars::check(items, root, sources, &mut diags);
    let (waivable, waivable_blackouts) = rules::waivable(
        items,
        &rule_index,
        &mut calendar_set,
        &mut groups,
        sources,
        &mut diags,
    );

    let named = conditions::collect(items, &tiers, &mut diags);

    // --- expressions: every condition, checked against one schema ---------------------------
    let schema = Schema {
        tiers: &tiers,
        change_ext: &change_ext,
        service_ext: &service_ext,
        kinds: kinds.as_deref(),
        conditions: &named,
    };
    let at = |span: Span| sources.location_text(span);
    let mut ck = ExprChecker::new(schema, sources, &mut groups);
    conditions::check_bodies(&named, &mut ck);
    let tier_rules = tiers::check(items, &tiers, &mut ck);
    let default_deny = default.map(|(d, _)| d).unwrap_or(false);
    let rules = rules::check(
        &rule_index,
        &waivable,
        &mut calendar_set,
        &mut ck,
        sources,
        default_deny,
    );
    let strategy = delivery::strategy(items, &mut ck, sources);
    let triggers = delivery::triggers(items, &mut ck, sources);
    let rollback_owner = delivery::rollback_owner(items, &mut ck);
    let notify = delivery::notify(items, &mut ck, sources);
    let (service_scopes, change_scopes) = scopes::check(items, &calendar_set, &mut ck, sources);

    conditions::unused(&named, &ck.named_used, &mut ck.diagnostics);
    diags.append(&mut ck.diagnostics);
    let conditions = ck.conditions;
    drop(ck);
    diags.append(&mut groups.diagnostics);

    let default_at = default.map(|(_, s)| at(s)).unwrap_or_default();
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
        capacity: capacity.map(|(c, _, _)| c),
        capacity_per_region: capacity.is_some_and(|(_, per_region, _)| per_region),
        groups: groups
            .names
            .iter()
            .map(|g| Text::from(g.as_str()))
            .collect(),
        kinds: kinds
            .as_ref()
            .map(|k| k.iter().map(|k| Text::from(k.as_str())).collect()),
        change_ext,
        service_ext,
        rules,
        waivable_blackouts,
        strategy,
        triggers,
        rollback_owner,
        notify,
        calendars: calendar_set,
        service_scopes,
        change_scopes,
        conditions,
    };
    (Some(ir), diags)
}
