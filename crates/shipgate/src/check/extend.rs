//! Phase 2: `extend change` and `extend service` fields: new names with resolved types.

use foldhash::{HashMap, HashMapExt};

use super::duplicate;
use super::expr;
use super::ir::{ExtField, Ty};
use crate::error::{Diagnostic, did_you_mean};
use crate::span::Span;
use crate::syntax::ast::{self, Item};

/// The extension fields of changes and of services, in declaration order.
pub fn check(items: &[&Item], diags: &mut Vec<Diagnostic>) -> (Vec<ExtField>, Vec<ExtField>) {
    let mut change_ext: Vec<ExtField> = Vec::new();
    let mut service_ext: Vec<ExtField> = Vec::new();
    let mut ext_spans: HashMap<(bool, String), Span> = HashMap::new();
    for item in items {
        let Item::Extend(ext) = item else { continue };
        let is_change = ext.target == ast::ExtendTarget::Change;
        if ext.fields.is_empty() {
            diags.push(super::delivery::empty_block(ext.span, "extend"));
        }
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
            let Some(ty) = resolve_type(&f.ty, diags) else {
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
    (change_ext, service_ext)
}

/// The types a field can have, for notes.
const FIELD_TYPES: [&str; 7] = [
    "bool", "int", "float", "string", "duration", "datetime", "date",
];

/// Types of the language that are not read from an input: a record of the engine's, or a
/// value computed by it.
const ENGINE_TYPES: [&str; 6] = [
    "service", "change", "approval", "incident", "waiver", "tier",
];

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
                other if ENGINE_TYPES.contains(&other) => {
                    diags.push(
                        Diagnostic::error(id.span, format!("`{other}` cannot be a field type"))
                            .with_label("not a field type")
                            .with_help(
                                "an `extend` field holds plain values read from the input: \
                                 store an id or a name as a `string`",
                            )
                            .with_note(field_types_note()),
                    );
                    return None;
                }
                other => {
                    let mut d = Diagnostic::error(id.span, format!("unknown type `{other}`"))
                        .with_label("not a field type");
                    match did_you_mean(other, FIELD_TYPES) {
                        Some(h) => d = d.with_help(h),
                        None => d = d.with_note(field_types_note()),
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
        ast::TypeExpr::Record(decls, span) => {
            if decls.is_empty() {
                diags.push(
                    Diagnostic::error(*span, "a record type needs at least one field")
                        .with_label("empty record")
                        .with_help("write its fields like `{service: string, taken_at: datetime}`"),
                );
                return None;
            }
            let mut fields: Vec<ExtField> = Vec::with_capacity(decls.len());
            let mut spans: HashMap<&str, Span> = HashMap::new();
            let mut ok = true;
            for f in decls {
                if let Some(first) = spans.insert(f.name.name.as_str(), f.name.span) {
                    diags.push(duplicate("field", &f.name.name, f.name.span, first));
                    ok = false;
                    continue;
                }
                match resolve_type(&f.ty, diags) {
                    Some(ty) => fields.push(ExtField {
                        name: f.name.name.clone(),
                        ty,
                    }),
                    None => ok = false,
                }
            }
            ok.then(|| Ty::Record(fields.into_boxed_slice()))
        }
    }
}

fn field_types_note() -> String {
    format!(
        "field types: {}, list<T>, T?, {{name: T, ...}}",
        FIELD_TYPES.join(", ")
    )
}
