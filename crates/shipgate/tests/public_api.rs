//! The public API, pinned: a listing of every public item reachable from `lib.rs` (re-exported
//! types with their public fields and variants, derives, trait impls and public methods, and the
//! items of `lib.rs` itself) must equal `tests/public-api.txt`, so that a change to the API is
//! always deliberate. After a deliberate change, update the file with
//! `UPDATE_SNAPSHOTS=1 cargo test -p shipgate --test public_api` and review its diff.
//!
//! The listing is read from the sources with `syn` (rustdoc's JSON needs a nightly toolchain):
//! `pub use module::{A, B}` in `lib.rs` names the items, which are looked up in that module's
//! file (following its own `pub use`s), and impl blocks for them are looked up in that module
//! and its submodules. Items under `#[cfg(test)]` or `#[cfg(doctest)]` are left out; items
//! under another `cfg` are listed with it.
//!
//! Item-level macro invocations are expanded first, by parsers that follow each macro's
//! matcher (`record!`, which makes the input types, and the impl-only `tree_by!` and
//! `seed_by_any!`); an invocation of any other macro fails the listing rather than hide the
//! items it makes. `record_shapes!` below checks, at compile time and against the listing,
//! that what the listing says a `record!` makes is what the compiler sees.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use quote::ToTokens;
use serde_json::Value;
use shipgate::{Approval, Check, CheckStatus, Incident, Instant, Waiver};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{
    Attribute, Expr, Fields, Ident, ImplItem, Item, Lit, Token, Type, UseTree, Visibility, braced,
    parenthesized, parse_quote,
};

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn snapshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/public-api.txt")
}

fn parse(path: &Path) -> syn::File {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Tokens as compact text: `Vec<Text>`, `&[Diagnostic]`, `impl AsRef<Path>`.
fn text(t: &impl ToTokens) -> String {
    let mut s = t.to_token_stream().to_string();
    for (from, to) in [
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" , ", ", "),
        ("& ", "&"),
        (" :: ", "::"),
        (":: ", "::"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
        ("' ", "'"),
        (" : ", ": "),
        (" ?", "?"),
        (" ,)", ")"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// A signature as `fn path(args) -> output`: the first ` (` is the argument list's.
fn signature(sig: &syn::Signature, path: &str) -> String {
    let s = text(sig).replacen(&format!("fn {}", sig.ident), &format!("fn {path}"), 1);
    s.replacen(" (", "(", 1)
}

fn is_pub(v: &Visibility) -> bool {
    matches!(v, Visibility::Public(_))
}

/// `None` for items left out (`cfg(test)`, `cfg(doctest)`); else the `cfg` to list, if any.
fn cfg_of(attrs: &[Attribute]) -> Option<String> {
    let mut out = String::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
        let args = text(&a.meta.require_list().unwrap().tokens);
        if args == "test" || args == "doctest" {
            return None;
        }
        out = format!(" #[cfg({args})]");
    }
    Some(out)
}

fn marks(attrs: &[Attribute]) -> String {
    let mut out = String::new();
    for a in attrs {
        if a.path().is_ident("non_exhaustive") {
            out.push_str(" #[non_exhaustive]");
        } else if a.path().is_ident("derive") {
            out.push_str(&format!(
                " #[derive({})]",
                text(&a.meta.require_list().unwrap().tokens)
            ));
        } else if a.path().is_ident("doc") && text(&a.meta).contains("hidden") {
            out.push_str(" #[doc(hidden)]");
        }
    }
    out
}

/// The file of a module path under `src/` (`["input"]` is `input.rs` or `input/mod.rs`).
fn module_file(module: &[String]) -> PathBuf {
    if module.is_empty() {
        return src_dir().join("lib.rs");
    }
    let base = module.iter().fold(src_dir(), |p, m| p.join(m));
    let flat = base.with_extension("rs");
    if flat.exists() {
        flat
    } else {
        base.join("mod.rs")
    }
}

/// Every file of a module and its submodules, following `mod` declarations (a module under
/// `#[cfg(test)]` is left out, as its items are).
fn module_files(module: &[String]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![module.to_vec()];
    while let Some(m) = stack.pop() {
        let file = module_file(&m);
        for item in &parse(&file).items {
            if let Item::Mod(sub) = item
                && sub.content.is_none()
                && cfg_of(&sub.attrs).is_some()
            {
                stack.push([&m[..], &[sub.ident.to_string()]].concat());
            }
        }
        files.push(file);
    }
    files.sort();
    files
}

/// The items of a file as the compiler sees them after expanding its item-level macros: a
/// known macro is replaced by what it makes, and an unknown one fails, since the public items
/// it may make would otherwise be missed.
/// Kept per file: the listing reads each file many times (once per exported name).
fn items_of(path: &Path) -> Rc<Vec<Item>> {
    thread_local! {
        static ITEMS: RefCell<HashMap<PathBuf, Rc<Vec<Item>>>> = RefCell::default();
    }
    if let Some(items) = ITEMS.with(|c| c.borrow().get(path).cloned()) {
        return items;
    }
    let items = Rc::new(expand_items(parse(path).items, path));
    ITEMS.with(|c| c.borrow_mut().insert(path.to_path_buf(), items.clone()));
    items
}

fn expand_items(items: Vec<Item>, path: &Path) -> Vec<Item> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Item::Macro(m) if cfg_of(&m.attrs).is_some() => out.extend(expand(&m, path)),
            Item::Macro(_) => {}
            other => out.push(other),
        }
    }
    out
}

/// What an item-level macro invocation makes, read by the macro's own matcher (each parser
/// below follows its `macro_rules!` token for token; a mismatch fails).
fn expand(m: &syn::ItemMacro, path: &Path) -> Vec<Item> {
    let name = text(&m.mac.path);
    let outer = &m.attrs;
    let made = match name.as_str() {
        "macro_rules" => {
            assert!(
                !outer.iter().any(|a| a.path().is_ident("macro_export")),
                "{}: a `#[macro_export]` macro is public API: list it in tests/public_api.rs",
                path.display()
            );
            return Vec::new();
        }
        "record" => m.mac.parse_body::<RecordDef>().map(|r| r.items(outer)),
        "tree_by" => m.mac.parse_body::<TreeBy>().map(|t| t.items(outer)),
        "seed_by_any" => m.mac.parse_body::<SeedByAny>().map(|s| s.items(outer)),
        _ => panic!(
            "{}: `{name}!` at item level is a macro tests/public_api.rs does not know, so the \
             public items it makes would be missed: teach `expand` what it makes",
            path.display()
        ),
    };
    made.unwrap_or_else(|e| {
        panic!(
            "{}: a `{name}!` invocation does not match the matcher tests/public_api.rs reads it \
             with (update the parser to follow the macro): {e}",
            path.display()
        )
    })
}

/// An identifier the matcher spells literally (`reader`, `derived`, ...).
fn keyword(input: ParseStream, word: &str) -> syn::Result<()> {
    let id = Ident::parse_any(input)?;
    if id == word {
        Ok(())
    } else {
        Err(syn::Error::new(
            id.span(),
            format!("expected `{word}`, found `{id}`"),
        ))
    }
}

/// A `record!` invocation (`input/fields.rs`), by the macro's matcher:
///
/// ```text
/// $(#[$meta:meta])*
/// struct $Record:ident, enum $Field:ident, reader $Reader:ident ($what:literal, $of:literal)
/// $(, extra($extra_doc:literal))? { $( <stored field> )* }
/// derived { $( $(#[$dmeta:meta])* $dname:ident / $DVar:ident => $dty:ident; )* }
/// computed { $( $(#[$cmeta:meta])* $cname:ident / $CVar:ident => $cty:ident; )* }
/// ```
struct RecordDef {
    attrs: Vec<Attribute>,
    record: Ident,
    field: Ident,
    reader: Ident,
    what: Lit,
    extra_doc: Option<Lit>,
    source_doc: Option<Lit>,
    stored: Vec<StoredField>,
    derived: Vec<OtherField>,
    computed: Vec<OtherField>,
}

/// `$(#[$fmeta:meta])* $name:ident / $Var:ident : $T:ty = $seed:expr,
/// $presence:ident $(($default:expr))? => $ty:ident $(, $prepared:ident)?;`
struct StoredField {
    attrs: Vec<Attribute>,
    name: Ident,
    var: Ident,
    ty: Type,
}

/// `$(#[$dmeta:meta])* $dname:ident / $DVar:ident => $dty:ident;` (or `$cmeta`, ...).
struct OtherField {
    attrs: Vec<Attribute>,
    var: Ident,
}

impl Parse for StoredField {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = Attribute::parse_outer(input)?;
        let name = Ident::parse_any(input)?;
        input.parse::<Token![/]>()?;
        let var = Ident::parse_any(input)?;
        input.parse::<Token![:]>()?;
        let ty = input.parse::<Type>()?;
        input.parse::<Token![=]>()?;
        input.parse::<Expr>()?; // $seed
        input.parse::<Token![,]>()?;
        Ident::parse_any(input)?; // $presence
        if input.peek(syn::token::Paren) {
            let default;
            parenthesized!(default in input);
            default.parse::<Expr>()?;
        }
        input.parse::<Token![=>]>()?;
        Ident::parse_any(input)?; // $ty
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            Ident::parse_any(input)?; // $prepared
        }
        input.parse::<Token![;]>()?;
        Ok(StoredField {
            attrs,
            name,
            var,
            ty,
        })
    }
}

impl Parse for OtherField {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = Attribute::parse_outer(input)?;
        Ident::parse_any(input)?; // $dname
        input.parse::<Token![/]>()?;
        let var = Ident::parse_any(input)?;
        input.parse::<Token![=>]>()?;
        Ident::parse_any(input)?; // $dty
        input.parse::<Token![;]>()?;
        Ok(OtherField { attrs, var })
    }
}

/// `keyword { $( item )* }`.
fn block<T: Parse>(input: ParseStream, word: &str) -> syn::Result<Vec<T>> {
    keyword(input, word)?;
    let body;
    braced!(body in input);
    let mut out = Vec::new();
    while !body.is_empty() {
        out.push(body.parse()?);
    }
    Ok(out)
}

impl Parse for RecordDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = Attribute::parse_outer(input)?;
        input.parse::<Token![struct]>()?;
        let record = Ident::parse_any(input)?;
        input.parse::<Token![,]>()?;
        input.parse::<Token![enum]>()?;
        let field = Ident::parse_any(input)?;
        input.parse::<Token![,]>()?;
        keyword(input, "reader")?;
        let reader = Ident::parse_any(input)?;
        let names;
        parenthesized!(names in input);
        let what = names.parse::<Lit>()?;
        names.parse::<Token![,]>()?;
        names.parse::<Lit>()?; // $of
        // `, extra("...")`, then `, source("...")`, each optional.
        let optional = |word: &str| -> syn::Result<Option<Lit>> {
            if !input.peek(Token![,]) || !input.peek2(syn::Ident) {
                return Ok(None);
            }
            let ahead = input.fork();
            ahead.parse::<Token![,]>()?;
            if Ident::parse_any(&ahead)? != word {
                return Ok(None);
            }
            input.parse::<Token![,]>()?;
            keyword(input, word)?;
            let doc;
            parenthesized!(doc in input);
            Ok(Some(doc.parse::<Lit>()?))
        };
        let extra_doc = optional("extra")?;
        let source_doc = optional("source")?;
        let body;
        braced!(body in input);
        let mut stored = Vec::new();
        while !body.is_empty() {
            stored.push(body.parse()?);
        }
        let derived = block(input, "derived")?;
        let computed = block(input, "computed")?;
        Ok(RecordDef {
            attrs,
            record,
            field,
            reader,
            what,
            extra_doc,
            source_doc,
            stored,
            derived,
            computed,
        })
    }
}

impl RecordDef {
    /// The items the macro makes, with their attributes and signatures (bodies left out): the
    /// public struct, the public field enum and its inherent impl, the crate-private field
    /// access and the crate-private reader with its trait impls.
    fn items(&self, outer: &[Attribute]) -> Vec<Item> {
        let RecordDef {
            attrs,
            record,
            field,
            reader,
            what,
            ..
        } = self;
        let fmeta: Vec<&Vec<Attribute>> = self.stored.iter().map(|f| &f.attrs).collect();
        let names: Vec<&Ident> = self.stored.iter().map(|f| &f.name).collect();
        let tys: Vec<&Type> = self.stored.iter().map(|f| &f.ty).collect();
        let vars: Vec<&Ident> = self.stored.iter().map(|f| &f.var).collect();
        let extra: Vec<&Lit> = self.extra_doc.iter().collect();
        let source: Vec<&Lit> = self.source_doc.iter().collect();
        let dmeta: Vec<&Vec<Attribute>> = self.derived.iter().map(|f| &f.attrs).collect();
        let dvars: Vec<&Ident> = self.derived.iter().map(|f| &f.var).collect();
        let cmeta: Vec<&Vec<Attribute>> = self.computed.iter().map(|f| &f.attrs).collect();
        let cvars: Vec<&Ident> = self.computed.iter().map(|f| &f.var).collect();
        let file: syn::File = parse_quote! {
            #(#outer)*
            #(#attrs)*
            #[derive(Debug, Clone, PartialEq)]
            pub struct #record {
                #( #(#fmeta)* pub #names: #tys, )*
                #(
                    #[doc = #extra]
                    pub extra: BTreeMap<String, Value>,
                )*
                #(
                    #[doc = #source]
                    pub(crate) source: crate::digest::Source,
                )*
            }

            #(#outer)*
            #[doc = concat!("The built-in fields of ", #what, " in the policy language.")]
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub enum #field {
                #( #(#fmeta)* #vars, )*
                #( #(#dmeta)* #dvars, )*
                #( #(#cmeta)* #cvars, )*
            }

            #(#outer)*
            impl #field {
                pub const ALL: &'static [#field] = &[];
                pub const INPUT: &'static [&'static str] = &[];
                #[allow(dead_code)]
                pub const REFUSED: &'static [&'static str] = &[];
                pub const fn name(self) -> &'static str {}
                pub const fn ty(self) -> FieldTy {}
                pub fn from_name(name: &str) -> Option<#field> {}
                pub fn names() -> impl Iterator<Item = &'static str> {}
            }

            #(#outer)*
            impl #record {
                #[inline(always)]
                pub(crate) fn field(&self, f: #field) -> FieldRef<'_> {}
                #[inline(always)]
                #[allow(dead_code)]
                pub(crate) fn flag(&self, f: #field) -> Option<bool> {}
            }

            #(#outer)*
            #[derive(Clone, Copy)]
            pub(super) struct #reader;

            #(#outer)*
            impl Tree for #reader {}

            #(#outer)*
            impl<'de> DeserializeSeed<'de> for #reader {}

            #(#outer)*
            impl<'de> Visitor<'de> for #reader {}
        };
        file.items
    }
}

/// A `tree_by!` invocation (`input/fields.rs`):
/// `$($seed:ty => $out:ty, $of:literal, $read:path;)*`, making `impl Tree for $seed`.
struct TreeBy {
    seeds: Vec<Type>,
}

impl Parse for TreeBy {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut seeds = Vec::new();
        while !input.is_empty() {
            seeds.push(input.parse::<Type>()?);
            input.parse::<Token![=>]>()?;
            input.parse::<Type>()?;
            input.parse::<Token![,]>()?;
            input.parse::<Lit>()?;
            input.parse::<Token![,]>()?;
            input.parse::<syn::Path>()?;
            input.parse::<Token![;]>()?;
        }
        Ok(TreeBy { seeds })
    }
}

impl TreeBy {
    fn items(&self, outer: &[Attribute]) -> Vec<Item> {
        let impl_for = |seed: &Type| -> Item {
            parse_quote! { #(#outer)* impl Tree for #seed {} }
        };
        self.seeds.iter().map(impl_for).collect()
    }
}

/// A `seed_by_any!` invocation (`input/fast.rs`): `$($seed:ident),* $(,)?`, making
/// `impl<'de> DeserializeSeed<'de> for $seed`.
struct SeedByAny {
    seeds: Vec<Ident>,
}

impl Parse for SeedByAny {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let seeds = syn::punctuated::Punctuated::<Ident, Token![,]>::parse_terminated_with(
            input,
            Ident::parse_any,
        )?;
        Ok(SeedByAny {
            seeds: seeds.into_iter().collect(),
        })
    }
}

impl SeedByAny {
    fn items(&self, outer: &[Attribute]) -> Vec<Item> {
        let impl_for = |seed: &Ident| -> Item {
            parse_quote! { #(#outer)* impl<'de> DeserializeSeed<'de> for #seed {} }
        };
        self.seeds.iter().map(impl_for).collect()
    }
}

/// `(module path, name, exported as)` for each `pub use` leaf of a use tree.
fn use_leaves(
    tree: &UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, String, String)>,
) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => out.push((prefix.clone(), n.ident.to_string(), n.ident.to_string())),
        UseTree::Rename(r) => out.push((prefix.clone(), r.ident.to_string(), r.rename.to_string())),
        UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix, out);
            }
        }
        UseTree::Glob(_) => out.push((prefix.clone(), "*".into(), "*".into())),
    }
}

struct Listing {
    lines: BTreeSet<String>,
}

impl Listing {
    fn fields(&mut self, owner: &str, fields: &Fields, cfg: &str) {
        for (i, f) in fields.iter().enumerate() {
            if !is_pub(&f.vis) {
                continue;
            }
            let name = f.ident.as_ref().map_or(i.to_string(), |i| i.to_string());
            self.lines
                .insert(format!("pub {owner}::{name}: {}{cfg}", text(&f.ty)));
        }
    }

    /// An item defined in `file` under the public name `path`; false when it is not there.
    fn item(&mut self, item: &Item, path: &str, cfg: &str) -> bool {
        match item {
            Item::Struct(s) if is_pub(&s.vis) => {
                let m = marks(&s.attrs);
                self.lines
                    .insert(format!("pub struct {path}{}{m}{cfg}", text(&s.generics)));
                self.fields(path, &s.fields, cfg);
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                let m = marks(&e.attrs);
                self.lines
                    .insert(format!("pub enum {path}{}{m}{cfg}", text(&e.generics)));
                for v in &e.variants {
                    let types = |f: &Fields| -> Vec<String> {
                        f.iter()
                            .map(|f| match &f.ident {
                                Some(i) => format!("{i}: {}", text(&f.ty)),
                                None => text(&f.ty),
                            })
                            .collect()
                    };
                    let fields = match &v.fields {
                        Fields::Unit => String::new(),
                        f @ Fields::Named(_) => format!(" {{ {} }}", types(f).join(", ")),
                        f @ Fields::Unnamed(_) => format!("({})", types(f).join(", ")),
                    };
                    self.lines
                        .insert(format!("{path}::{}{fields}{cfg}", v.ident));
                }
            }
            Item::Fn(f) if is_pub(&f.vis) => {
                self.lines
                    .insert(format!("pub {}{cfg}", signature(&f.sig, path)));
            }
            Item::Type(t) if is_pub(&t.vis) => {
                self.lines
                    .insert(format!("pub type {path} = {}{cfg}", text(&t.ty)));
            }
            Item::Const(c) if is_pub(&c.vis) => {
                self.lines
                    .insert(format!("pub const {path}: {}{cfg}", text(&c.ty)));
            }
            Item::Trait(t) if is_pub(&t.vis) => {
                self.lines.insert(format!("pub trait {path}{cfg}"));
            }
            _ => return false,
        }
        true
    }

    /// The impl blocks for `name` in `files`: trait impls, and the public methods and
    /// associated consts of inherent ones.
    fn impls(&mut self, name: &str, path: &str, files: &[PathBuf]) {
        for file in files {
            self.impls_in(name, path, &items_of(file), file);
        }
    }

    fn impls_in(&mut self, name: &str, path: &str, items: &[Item], file: &Path) {
        for item in items {
            let Item::Impl(imp) = item else { continue };
            let Some(cfg) = cfg_of(&imp.attrs) else {
                continue;
            };
            let self_ty = text(&imp.self_ty);
            if self_ty != name && !self_ty.starts_with(&format!("{name}<")) {
                continue;
            }
            if let Some((_, tr, _)) = &imp.trait_ {
                self.lines
                    .insert(format!("impl {} for {path}{cfg}", text(tr)));
                continue;
            }
            for it in &imp.items {
                match it {
                    ImplItem::Fn(f) if is_pub(&f.vis) => {
                        let Some(fcfg) = cfg_of(&f.attrs) else {
                            continue;
                        };
                        let m = marks(&f.attrs);
                        let sig = signature(&f.sig, &format!("{path}::{}", f.sig.ident));
                        self.lines.insert(format!("pub {sig}{m}{cfg}{fcfg}"));
                    }
                    ImplItem::Const(c) if is_pub(&c.vis) => {
                        let Some(ccfg) = cfg_of(&c.attrs) else {
                            continue;
                        };
                        let m = marks(&c.attrs);
                        self.lines.insert(format!(
                            "pub const {path}::{}: {}{m}{cfg}{ccfg}",
                            c.ident,
                            text(&c.ty)
                        ));
                    }
                    ImplItem::Macro(mac) => panic!(
                        "{}: `{}!` in an impl block of `{name}` may make public methods that \
                         tests/public_api.rs cannot see",
                        file.display(),
                        text(&mac.mac.path)
                    ),
                    _ => {}
                }
            }
        }
    }

    /// A name re-exported from `module` as `path`: its definition (following `pub use`s) and
    /// impls, which are looked up in every file of the crate: a type defined in
    /// `input::fields` has methods in `input`, and `plan` adds `Drawing::of_changes` to
    /// `graph`'s `Drawing` (a same-named type elsewhere would show up as extra lines).
    fn export(&mut self, module: &[String], name: &str, path: &str) {
        let file = module_file(module);
        for item in items_of(&file).iter() {
            let Some(cfg) = cfg_of(item_attrs(item)) else {
                continue;
            };
            if item_ident(item).as_deref() == Some(name) && self.item(item, path, &cfg) {
                thread_local! {
                    static ALL: Vec<PathBuf> = module_files(&[]);
                }
                ALL.with(|all| self.impls(name, path, all));
                return;
            }
            if let Item::Use(u) = item
                && is_pub(&u.vis)
            {
                let mut leaves = Vec::new();
                use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
                for (from, orig, alias) in leaves {
                    if alias != name {
                        continue;
                    }
                    let inner = from.first().map(String::as_str);
                    if matches!(inner, Some("crate" | "self" | "super")) || module_is(module, &from)
                    {
                        let mut m: Vec<String> = match inner {
                            Some("crate") => from[1..].to_vec(),
                            Some("self") => [module, &from[1..]].concat(),
                            _ => [module, &from[..]].concat(),
                        };
                        m.retain(|s| s != "self");
                        self.export(&m, &orig, path);
                    } else {
                        let target = from.join("::");
                        self.lines
                            .insert(format!("pub use {path} = {target}::{orig}{cfg}"));
                    }
                    return;
                }
            }
        }
        panic!("`{name}` is not defined in {}", file.display());
    }
}

/// Whether `from` starts with a submodule of `module` (a `pub use sub::X` inside it).
fn module_is(module: &[String], from: &[String]) -> bool {
    from.first().is_some_and(|first| {
        let dir = module.iter().fold(src_dir(), |p, m| p.join(m));
        dir.join(format!("{first}.rs")).exists() || dir.join(first).join("mod.rs").exists()
    })
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Struct(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Const(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        _ => &[],
    }
}

fn item_ident(item: &Item) -> Option<String> {
    match item {
        Item::Struct(i) => Some(i.ident.to_string()),
        Item::Enum(i) => Some(i.ident.to_string()),
        Item::Fn(i) => Some(i.sig.ident.to_string()),
        Item::Type(i) => Some(i.ident.to_string()),
        Item::Const(i) => Some(i.ident.to_string()),
        Item::Trait(i) => Some(i.ident.to_string()),
        _ => None,
    }
}

/// The listing of the crate's public API, one item a line, sorted.
fn public_api() -> String {
    let lib = items_of(&src_dir().join("lib.rs"));
    let mut listing = Listing {
        lines: BTreeSet::new(),
    };
    for item in lib.iter() {
        let Some(cfg) = cfg_of(item_attrs(item)) else {
            continue;
        };
        match item {
            Item::Use(u) if is_pub(&u.vis) => {
                let mut leaves = Vec::new();
                use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
                for (module, name, alias) in leaves {
                    assert_ne!(name, "*", "a glob re-export cannot be listed");
                    listing.export(&module, &name, &format!("shipgate::{alias}"));
                }
            }
            Item::Mod(m) => assert!(!is_pub(&m.vis), "a public module: list its items here"),
            other => {
                if let Some(name) = item_ident(other)
                    && listing.item(other, &format!("shipgate::{name}"), &cfg)
                {
                    listing.impls(
                        &name,
                        &format!("shipgate::{name}"),
                        &[src_dir().join("lib.rs")],
                    );
                }
            }
        }
    }
    listing.lines.into_iter().map(|l| l + "\n").collect()
}

#[test]
fn the_public_api_is_the_snapshot() {
    let got = public_api();
    let path = snapshot_path();
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if got == want {
        return;
    }
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want_lines: BTreeSet<&str> = want.lines().collect();
    let got_lines: BTreeSet<&str> = got.lines().collect();
    let mut diff = String::new();
    for l in want_lines.difference(&got_lines) {
        diff.push_str(&format!("- {l}\n"));
    }
    for l in got_lines.difference(&want_lines) {
        diff.push_str(&format!("+ {l}\n"));
    }
    panic!(
        "the public API differs from tests/public-api.txt:\n{diff}\n\
         If the change is deliberate, run `UPDATE_SNAPSHOTS=1 cargo test -p shipgate --test \
         public_api` and commit the file."
    );
}

#[test]
fn the_listing_sees_fields_variants_methods_and_cfgs() {
    let api = public_api();
    for line in [
        "pub struct shipgate::Decision #[derive(Debug, Clone, PartialEq, Serialize)] #[non_exhaustive]",
        "pub shipgate::Decision::verdict: Verdict",
        "shipgate::Lifted::Rule(Text)",
        "shipgate::Error::Io { path: String, message: String }",
        "pub fn shipgate::Engine::evaluate_reference(&self, change: &Change, catalog: &Catalog, now: Instant, explain: bool) -> Result<Decision, Error> #[cfg(feature = \"testing\")]",
        "pub use shipgate::Text = smol_str::SmolStr",
        "impl std::error::Error for shipgate::PolicyError",
    ] {
        assert!(api.lines().any(|l| l == line), "not listed: {line}\n{api}");
    }
    assert!(
        !api.contains("evaluate_with") && !api.contains("RustGuide"),
        "private and doctest-only items are not listed"
    );
}

/// The public shape of each `record!` (`input/fields.rs`), spelled out once: the listing must
/// say exactly this (`the_listing_of_each_record_is_its_real_shape`), and the types must have
/// exactly these fields, with these types and derives (`record_shapes_compile`: a field added,
/// removed, renamed or retyped, by the macro or by a declaration, stops this file compiling).
macro_rules! record_shapes {
    ($($Record:ident { $($field:ident: $T:ty,)* $(.. $private:literal)? })*) => {
        #[test]
        fn record_shapes_compile() {
            fn derives<T: std::fmt::Debug + Clone + PartialEq>() {}
            $(
                derives::<shipgate::$Record>();
                // Exhaustive: no `..` (but for a record with a private field, which says why),
                // so every public field is named, and each has its type.
                let _ = |r: shipgate::$Record| {
                    record_shapes!(@fields r, $Record, [$($field),*] $(, $private)?);
                    $( let _: $T = $field; )*
                };
            )*
        }

        /// `(record, its listed lines: the struct and its fields)`.
        fn record_shapes() -> Vec<(&'static str, BTreeSet<String>)> {
            let ty = |t: &str| text(&syn::parse_str::<Type>(t).unwrap());
            vec![$((
                stringify!($Record),
                [
                    format!(
                        "pub struct shipgate::{} #[derive(Debug, Clone, PartialEq)]",
                        stringify!($Record)
                    ),
                    $(format!(
                        "pub shipgate::{}::{}: {}",
                        stringify!($Record),
                        stringify!($field),
                        ty(stringify!($T))
                    ),)*
                ]
                .into_iter()
                .collect(),
            )),*]
        }
    };
    (@fields $r:ident, $Record:ident, [$($field:ident),*]) => {
        let shipgate::$Record { $($field),* } = $r;
    };
    (@fields $r:ident, $Record:ident, [$($field:ident),*], $private:literal) => {
        let shipgate::$Record { $($field,)* .. } = $r;
    };
}

record_shapes! {
    Change {
        id: String,
        title: String,
        kind: Vec<String>,
        services: Vec<String>,
        requester: String,
        implementer: String,
        approvals: Vec<Approval>,
        checks: Vec<Check>,
        emergency: bool,
        incident: Option<Incident>,
        start: Option<Instant>,
        duration: i64,
        regions: Option<Vec<String>>,
        size: i64,
        labels: Vec<String>,
        backward_compatible: bool,
        contract_verified: bool,
        after: Vec<String>,
        waivers: Vec<Waiver>,
        rollout: String,
        soak: i64,
        extra: BTreeMap<String, Value>,
        .. "the source of the inputs digest: a change is read, never built field by field"
    }
    Service {
        id: String,
        team: String,
        tier: i64,
        depends_on: Vec<String>,
        regions: Vec<String>,
        stateful: bool,
        automated_rollback: bool,
        legacy: bool,
        monitored: bool,
        error_budget: f64,
        calendars: Vec<String>,
        extra: BTreeMap<String, Value>,
    }
    Approval {
        by: String,
        group: String,
        at: Instant,
    }
    Check {
        name: String,
        status: CheckStatus,
        at: Option<Instant>,
        url: Option<String>,
    }
    Incident {
        id: String,
        severity: i64,
        opened: Option<Instant>,
    }
    Waiver {
        rule: String,
        blackout: String,
        by: String,
        group: String,
        reason: String,
        granted_at: Instant,
        expires_at: Instant,
    }
}

#[test]
fn the_listing_of_each_record_is_its_real_shape() {
    let api = public_api();
    for (record, want) in record_shapes() {
        let got: BTreeSet<String> = api
            .lines()
            .filter(|l| {
                l.starts_with(&format!("pub shipgate::{record}::"))
                    || l.starts_with(&format!("pub struct shipgate::{record} "))
            })
            .map(String::from)
            .collect();
        assert_eq!(got, want, "the listing of `{record}` is not its shape");
        assert!(
            !api.contains(&format!("{record}Field")) && !api.contains(&format!("{record}Record")),
            "the field enum and reader of `{record}` are crate-private, so not listed\n{api}"
        );
    }
}

#[test]
fn a_record_field_enum_would_be_listed_with_its_variants_consts_and_fns() {
    let file = src_dir().join("input/fields.rs");
    let items = items_of(&file);
    let mut listing = Listing {
        lines: BTreeSet::new(),
    };
    let field = items
        .iter()
        .find(|i| item_ident(i).as_deref() == Some("ChangeField"))
        .unwrap();
    assert!(listing.item(field, "x::ChangeField", ""));
    listing.impls_in("ChangeField", "x::ChangeField", &items, &file);
    let api: String = listing.lines.iter().map(|l| l.clone() + "\n").collect();
    for line in [
        "pub enum x::ChangeField #[derive(Debug, Clone, Copy, PartialEq, Eq)]",
        "x::ChangeField::Id",
        "x::ChangeField::End",
        "x::ChangeField::BlastRadius",
        "pub const x::ChangeField::INPUT: &'static [&'static str]",
        "pub fn x::ChangeField::from_name(name: &str) -> Option<ChangeField>",
        "pub const fn x::ChangeField::ty(self) -> FieldTy",
    ] {
        assert!(api.lines().any(|l| l == line), "not listed: {line}\n{api}");
    }
    // 21 stored fields, 1 derived, 3 computed; 3 consts and 4 fns.
    assert_eq!(
        api.lines().filter(|l| !l.starts_with("pub")).count(),
        25,
        "{api}"
    );
    let count = |prefix: &str| api.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("pub const x::"), 3, "{api}");
    assert_eq!(count("pub fn x::") + count("pub const fn x::"), 4, "{api}");
    // The record's own `field` and `flag` are `pub(crate)`.
    let mut record = Listing {
        lines: BTreeSet::new(),
    };
    record.impls_in("Change", "x::Change", &items, &file);
    assert!(record.lines.is_empty(), "{:?}", record.lines);
}

#[test]
#[should_panic(expected = "`hidden!` at item level is a macro tests/public_api.rs does not know")]
fn an_unknown_item_macro_fails_the_listing() {
    let file = syn::parse_file("hidden! { pub struct Invisible; }").unwrap();
    expand_items(file.items, Path::new("lib.rs"));
}

#[test]
#[should_panic(expected = "does not match the matcher")]
fn a_record_that_does_not_follow_the_matcher_fails_the_listing() {
    // No `computed { ... }`.
    let file = syn::parse_file(
        "record! { struct A, enum AField, reader ARecord (\"an a\", \"as\") { \
             x / X: i64 = Int, required => Int; } derived {} }",
    )
    .unwrap();
    expand_items(file.items, Path::new("fields.rs"));
}
