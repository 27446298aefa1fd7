//! The VS Code package in `editors/vscode` matches the language: its TextMate grammar is
//! valid JSON whose rules all exist, and its keyword lists are exactly the keywords of the
//! one keyword table (`src/syntax/keywords.rs`), so the colouring cannot drift from the
//! parser. The package's manifest names the grammar and the configuration it ships.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid JSON: {e}"))
}

/// Every keyword of the language's table: the words of its `keyword!("word", ...)` entries.
fn table_keywords() -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(root().join("crates/shipgate/src/syntax/keywords.rs")).unwrap();
    text.split("keyword!(\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The words of a grammar rule's `\b(?:a|b|c)\b` alternation.
fn alternation(grammar: &Value, rule: &str) -> BTreeSet<String> {
    let pattern = grammar["repository"][rule]["match"].as_str().unwrap();
    let inner = pattern
        .strip_prefix("\\b(?:")
        .unwrap_or_else(|| panic!("{rule}: the keywords come first, as \\b(?:...)\\b"));
    let inner = &inner[..inner.find(")\\b").unwrap()];
    let words: Vec<&str> = inner.split('|').collect();
    for w in &words {
        assert!(
            w.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{rule}: {w:?} is not a plain word"
        );
    }
    words.into_iter().map(String::from).collect()
}

#[test]
fn the_grammar_colours_every_keyword_of_the_language_and_no_other() {
    let grammar = json("editors/vscode/syntaxes/shipgate.tmLanguage.json");
    assert_eq!(grammar["scopeName"], "source.gate");
    let rules = ["keyword", "operator", "constant"];
    let mut seen = BTreeSet::new();
    for rule in rules {
        for word in alternation(&grammar, rule) {
            assert!(
                seen.insert(word.clone()),
                "`{word}` is in two keyword rules"
            );
        }
    }
    let table = table_keywords();
    assert!(
        table.len() > 50,
        "the keyword table was not read: {table:?}"
    );
    let missing: Vec<_> = table.difference(&seen).collect();
    let extra: Vec<_> = seen.difference(&table).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the grammar's keywords differ from src/syntax/keywords.rs: missing {missing:?}, not keywords {extra:?}"
    );
}

#[test]
fn every_rule_the_grammar_includes_exists() {
    let grammar = json("editors/vscode/syntaxes/shipgate.tmLanguage.json");
    let repository = grammar["repository"].as_object().unwrap();
    let mut includes = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(i)) = m.get("include") {
                    out.push(i.clone());
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(&grammar, &mut includes);
    assert!(!includes.is_empty());
    for i in includes {
        let name = i.strip_prefix('#').unwrap();
        assert!(
            repository.contains_key(name),
            "#{name} is not in the repository"
        );
    }
    // Comments start with `#` as in the parser (`COMMENT` in grammar.pest).
    assert_eq!(grammar["repository"]["comment"]["match"], "#.*$");
}

#[test]
fn the_manifest_ships_the_grammar_and_the_configuration() {
    let package = json("editors/vscode/package.json");
    let grammar = &package["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.gate");
    let path = grammar["path"].as_str().unwrap();
    assert!(root().join("editors/vscode").join(path).is_file(), "{path}");
    let language = &package["contributes"]["languages"][0];
    assert_eq!(language["extensions"][0], ".gate");
    let config = json("editors/vscode/language-configuration.json");
    assert_eq!(config["comments"]["lineComment"], "#");
    let main = package["main"].as_str().unwrap();
    let client = std::fs::read_to_string(root().join("editors/vscode").join(main)).unwrap();
    assert!(
        client.contains("args: ['lsp']"),
        "the client starts `shipgate lsp`"
    );
}
