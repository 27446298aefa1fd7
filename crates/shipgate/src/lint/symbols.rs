//! The names of a policy set and where they are defined and used, for editors: go to
//! definition, and hover on a field for its type.
//!
//! Built from the syntax trees alone, so it answers also while the policy has type errors.

use crate::check::expr::field_ty;
use crate::check::ir::{ChangeField, IncidentField, ServiceField};
use crate::error::SourceRange;
use crate::span::{SourceMap, Span};
use crate::syntax::ast::{Effect, ExtendTarget, Item, TypeExpr, Waived};

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SymbolKind {
    /// `rule NAME { ... }`
    Rule,
    /// `calendar NAME timezone ...`
    Calendar,
    /// `region NAME uses ...`
    Region,
    /// A group of the `groups` setting (or, without one, where it is first named).
    Group,
    /// A tier of the `tiers` setting.
    Tier,
    /// `blackout "NAME" ...` in a calendar (the first one of that name).
    Blackout,
    /// An `extend change` or `extend service` field.
    Field,
}

/// A defined name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// What it names.
    pub kind: SymbolKind,
    /// The name (for a field, `change.NAME` or `service.NAME`).
    pub name: String,
    /// Where it is defined (the name itself).
    pub definition: SourceRange,
    /// For a field, its type as written (`string?`); empty otherwise.
    pub detail: String,
}

/// Every name a policy set defines, and each place a name is used.
#[derive(Debug, Clone, Default)]
pub struct SymbolIndex {
    /// The definitions, in source order.
    pub symbols: Vec<Symbol>,
    /// Each use of a name: where it is written, and the index of its definition in
    /// `symbols`.
    pub references: Vec<(SourceRange, usize)>,
    sources: SourceMap,
}

impl SymbolIndex {
    /// The index of policy sources `(name, text)`; files that do not parse contribute what
    /// parsed of them.
    pub fn of_sources(files: &[(String, String)]) -> SymbolIndex {
        let mut sources = SourceMap::default();
        let mut items = Vec::new();
        for (name, text) in files {
            let id = sources.add(name.clone(), text.clone());
            let text = sources.get(id).map(|f| f.text.as_str()).unwrap_or("");
            items.extend(crate::syntax::parse(id, text).0.items);
        }
        let mut index = SymbolIndex {
            sources,
            ..SymbolIndex::default()
        };
        index.definitions(&items);
        index.uses(&items);
        index
    }

    fn define(&mut self, kind: SymbolKind, name: &str, span: Span, detail: String) {
        if self.find(kind, name).is_none() {
            self.symbols.push(Symbol {
                kind,
                name: name.to_string(),
                definition: SourceRange::of(&self.sources, span),
                detail,
            });
        }
    }

    fn find(&self, kind: SymbolKind, name: &str) -> Option<usize> {
        self.symbols
            .iter()
            .position(|s| s.kind == kind && s.name == name)
    }

    fn refer(&mut self, kind: SymbolKind, name: &str, span: Span) {
        if let Some(i) = self.find(kind, name) {
            self.references
                .push((SourceRange::of(&self.sources, span), i));
        }
    }

    fn definitions(&mut self, items: &[Item]) {
        for item in items {
            match item {
                Item::Tiers { names, .. } => {
                    for n in names {
                        self.define(SymbolKind::Tier, &n.name, n.span, String::new());
                    }
                }
                Item::Groups { names, .. } => {
                    for n in names {
                        self.define(SymbolKind::Group, &n.name, n.span, String::new());
                    }
                }
                Item::Rule(r) => {
                    self.define(SymbolKind::Rule, &r.name.name, r.name.span, String::new())
                }
                Item::Calendar(c) => {
                    self.define(
                        SymbolKind::Calendar,
                        &c.name.name,
                        c.name.span,
                        String::new(),
                    );
                    for e in &c.entries {
                        if let crate::syntax::ast::CalendarEntry::Blackout { name, .. } = e {
                            self.define(
                                SymbolKind::Blackout,
                                &name.value,
                                name.span,
                                String::new(),
                            );
                        }
                    }
                }
                Item::Region(r) => {
                    self.define(SymbolKind::Region, &r.name.name, r.name.span, String::new())
                }
                Item::Extend(x) => {
                    let owner = match x.target {
                        ExtendTarget::Change => "change",
                        ExtendTarget::Service => "service",
                    };
                    for f in &x.fields {
                        let name = format!("{owner}.{}", f.name.name);
                        self.define(SymbolKind::Field, &name, f.name.span, written(&f.ty));
                    }
                }
                _ => {}
            }
        }
        // Without a `groups` setting, a group is defined where it is first named.
        for item in items {
            if let Item::Rule(r) = item {
                for e in &r.effects {
                    if let Effect::RequireApproval { group, .. } = e {
                        self.define(SymbolKind::Group, &group.value, group.span, String::new());
                    }
                }
            }
        }
    }

    fn uses(&mut self, items: &[Item]) {
        for item in items {
            match item {
                Item::Tier(t) => self.refer(SymbolKind::Tier, &t.tier.name, t.tier.span),
                Item::Region(r) => {
                    for c in &r.calendars {
                        self.refer(SymbolKind::Calendar, &c.name, c.span);
                    }
                }
                Item::Scope(s) => {
                    for c in &s.calendars {
                        self.refer(SymbolKind::Calendar, &c.name, c.span);
                    }
                }
                Item::Rule(r) => {
                    for e in &r.effects {
                        match e {
                            Effect::ExemptRule { rule, .. } => {
                                self.refer(SymbolKind::Rule, &rule.name, rule.span)
                            }
                            Effect::RequireApproval { group, .. } => {
                                self.refer(SymbolKind::Group, &group.value, group.span)
                            }
                            Effect::ExemptBlackout { names, .. } => {
                                for n in names {
                                    self.refer(SymbolKind::Blackout, &n.value, n.span);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Item::Waivable(w) => {
                    match &w.target {
                        Waived::Rule(r) => self.refer(SymbolKind::Rule, &r.name, r.span),
                        Waived::Blackout(n) => self.refer(SymbolKind::Blackout, &n.value, n.span),
                    }
                    self.refer(SymbolKind::Group, &w.group.value, w.group.span);
                }
                _ => {}
            }
        }
    }

    /// The definition of the name written at byte `offset` of file `path` (a use or the
    /// definition itself).
    pub fn definition_at(&self, path: &str, offset: usize) -> Option<&Symbol> {
        let inside = |r: &SourceRange| r.path == path && r.start <= offset && offset < r.end;
        if let Some((_, i)) = self.references.iter().find(|(r, _)| inside(r)) {
            return self.symbols.get(*i);
        }
        if let Some(s) = self.symbols.iter().find(|s| inside(&s.definition)) {
            return Some(s);
        }
        // A field read such as `change.ticket`: its `extend` declaration.
        let (owner, field, _) = self.field_at(path, offset)?;
        self.find(SymbolKind::Field, &format!("{owner}.{field}"))
            .and_then(|i| self.symbols.get(i))
    }

    /// What a hover over byte `offset` of file `path` shows: a field's type (`change.size:
    /// int`), built in or declared with `extend`; `None` elsewhere.
    pub fn hover_at(&self, path: &str, offset: usize) -> Option<String> {
        let (owner, field, range) = self.field_at(path, offset)?;
        let builtin = match owner {
            "change" => ChangeField::from_name(&field).map(|f| f.ty()),
            "service" => ServiceField::from_name(&field).map(|f| f.ty()),
            _ => IncidentField::from_name(&field).map(|f| f.ty()),
        };
        if let Some(ty) = builtin {
            return Some(format!("{range}: {} (built in)", field_ty(ty).describe()));
        }
        let s = self
            .find(SymbolKind::Field, &format!("{owner}.{field}"))
            .and_then(|i| self.symbols.get(i))?;
        Some(format!("{range}: {} (extend {owner})", s.detail))
    }

    /// The field read under `offset`: (`change`, `service` or `incident`, the field's name,
    /// the path as written up to the field).
    fn field_at(&self, path: &str, offset: usize) -> Option<(&'static str, String, String)> {
        let file = self.sources.files.iter().find(|f| f.name == path)?;
        let text = file.text.as_str();
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
        let offset = offset.min(text.len());
        let start = text
            .get(..offset)?
            .rfind(|c: char| !word(c))
            .map_or(0, |i| i + 1);
        // The segment under the cursor ends the path: `change.incident.severity` hovered on
        // `incident` is the incident itself.
        let end = text
            .get(offset..)?
            .find(|c: char| !word(c) || c == '.')
            .map_or(text.len(), |i| offset + i);
        let written = text.get(start..end)?;
        let parts: Vec<&str> = written.split('.').collect();
        let [.., parent, field] = parts.as_slice() else {
            return None;
        };
        let owner = match *parent {
            "change" => "change",
            "incident" => "incident",
            // A quantifier's variable over services (`any s in change.services: s.pci`).
            p if !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                "service"
            }
            _ => return None,
        };
        Some((owner, (*field).to_string(), written.to_string()))
    }

    /// The byte offset of a 0-based line and UTF-16 column in file `path` (LSP positions).
    pub fn offset_of(&self, path: &str, line: u32, utf16_column: u32) -> Option<usize> {
        let file = self.sources.files.iter().find(|f| f.name == path)?;
        utf16_offset(&file.text, line, utf16_column)
    }
}

/// The byte offset of a 0-based line and UTF-16 column in `text`; the end of the line when the
/// column is past it.
pub fn utf16_offset(text: &str, line: u32, utf16_column: u32) -> Option<usize> {
    let mut start = 0;
    for _ in 0..line {
        start += text.get(start..)?.find('\n')? + 1;
    }
    let line_text = text.get(start..)?;
    let line_text = &line_text[..line_text.find('\n').unwrap_or(line_text.len())];
    let mut units = 0u32;
    for (i, c) in line_text.char_indices() {
        if units >= utf16_column {
            return Some(start + i);
        }
        units += u32::try_from(c.len_utf16()).unwrap_or(2);
    }
    Some(start + line_text.len())
}

/// The 0-based line and UTF-16 column of byte `offset` in `text` (LSP positions).
pub fn utf16_position(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column: usize = before
        .get(line_start..)
        .unwrap_or("")
        .chars()
        .map(char::len_utf16)
        .sum();
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// A field type as written: `list<string>`, `int?`, `{service: string}`.
fn written(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(id) => id.name.clone(),
        TypeExpr::List(inner, _) => format!("list<{}>", written(inner)),
        TypeExpr::Optional(inner, _) => format!("{}?", written(inner)),
        TypeExpr::Record(fields, _) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.name.name, written(&f.ty)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}
