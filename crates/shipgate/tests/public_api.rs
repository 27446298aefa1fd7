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

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::{Attribute, Fields, ImplItem, Item, UseTree, Visibility};

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
    let base = module.iter().fold(src_dir(), |p, m| p.join(m));
    let flat = base.with_extension("rs");
    if flat.exists() {
        flat
    } else {
        base.join("mod.rs")
    }
}

/// Every file of a module and its submodules.
fn module_files(module: &[String]) -> Vec<PathBuf> {
    let mut files = vec![module_file(module)];
    let dir = module.iter().fold(src_dir(), |p, m| p.join(m));
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && !files.contains(&p) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
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

    /// The impl blocks for `name` in `files`: trait impls, and the public methods of inherent ones.
    fn impls(&mut self, name: &str, path: &str, files: &[PathBuf]) {
        for file in files {
            for item in &parse(file).items {
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
                    let ImplItem::Fn(f) = it else { continue };
                    if !is_pub(&f.vis) {
                        continue;
                    }
                    let Some(fcfg) = cfg_of(&f.attrs) else {
                        continue;
                    };
                    let m = marks(&f.attrs);
                    let sig = signature(&f.sig, &format!("{path}::{}", f.sig.ident));
                    self.lines.insert(format!("pub {sig}{m}{cfg}{fcfg}"));
                }
            }
        }
    }

    /// A name re-exported from `module` as `path`: its definition (following `pub use`s) and impls.
    fn export(&mut self, module: &[String], name: &str, path: &str) {
        let file = module_file(module);
        let parsed = parse(&file);
        for item in &parsed.items {
            let Some(cfg) = cfg_of(item_attrs(item)) else {
                continue;
            };
            if item_ident(item).as_deref() == Some(name) && self.item(item, path, &cfg) {
                self.impls(name, path, &module_files(module));
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
    let lib = parse(&src_dir().join("lib.rs"));
    let mut listing = Listing {
        lines: BTreeSet::new(),
    };
    for item in &lib.items {
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
