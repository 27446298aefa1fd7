//! The one table of the language's keywords; every keyword list in Rust is derived from it.
//!
//! The pest grammar cannot be generated from Rust, so `grammar.pest` spells the keywords
//! again (its `reserved`, `quantifier` and `kw_*` rules, and the first keyword of each item);
//! the tests at the end of this file fail when the grammar and this table disagree.

use super::grammar::Rule;

/// A keyword of the language and what it does outside its own rule.
pub(super) struct Keyword {
    /// The word as written.
    pub word: &'static str,
    /// The word in messages: "`tiers`".
    pub quoted: &'static str,
    /// The grammar rule that matches the word where a statement needs it (`kw_tiers`); `None`
    /// for the operators that `infix_symbol`, `quantifier` and `op_has` match themselves.
    pub rule: Option<Rule>,
    /// A set of the role bits below.
    pub roles: u8,
}

/// Cannot be a name in expressions (the grammar's `reserved` rule).
pub(super) const RESERVED: u8 = 1;
/// Starts a top-level item (each alternative of the grammar's `item` rule).
pub(super) const ITEM: u8 = 1 << 1;
/// Starts a statement or an expression: no quantifier of the same bracket level is still open
/// after it (error recovery's nesting count relies on this).
pub(super) const STATEMENT: u8 = 1 << 2;
/// Opens a quantifier (the grammar's `quantifier` rule).
pub(super) const QUANTIFIER: u8 = 1 << 3;

macro_rules! keyword {
    ($word:literal, -, $roles:expr) => {
        Keyword {
            word: $word,
            quoted: concat!("`", $word, "`"),
            rule: None,
            roles: $roles,
        }
    };
    ($word:literal, $rule:ident, $roles:expr) => {
        Keyword {
            word: $word,
            quoted: concat!("`", $word, "`"),
            rule: Some(Rule::$rule),
            roles: $roles,
        }
    };
}

/// Every keyword, grouped by the construct that introduces it. Item keywords stand in the
/// order messages list them ("expected a declaration (`tiers`, `default`, ...)").
#[rustfmt::skip]
pub(super) const KEYWORDS: &[Keyword] = &[
    // settings
    keyword!("tiers",     kw_tiers,     RESERVED | ITEM | STATEMENT),
    keyword!("default",   kw_default,   RESERVED | ITEM | STATEMENT),
    keyword!("capacity",  kw_capacity,  RESERVED | ITEM | STATEMENT),
    keyword!("per",       kw_per,       0),
    keyword!("groups",    kw_groups,    RESERVED | ITEM | STATEMENT),
    keyword!("kinds",     kw_kinds,     RESERVED | ITEM | STATEMENT),
    keyword!("extend",    kw_extend,    RESERVED | ITEM | STATEMENT),
    keyword!("change",    kw_change,    0),
    keyword!("service",   kw_service,   0),
    keyword!("list",      kw_list,      0),
    // tier conditions (`tier` is also a name in expressions)
    keyword!("tier",      kw_tier,      ITEM | STATEMENT),
    keyword!("when",      kw_when,      RESERVED | STATEMENT),
    // named conditions
    keyword!("condition", kw_condition, RESERVED | ITEM | STATEMENT),
    // calendars and regions
    keyword!("calendar",  kw_calendar,  RESERVED | ITEM | STATEMENT),
    keyword!("timezone",  kw_timezone,  0),
    keyword!("window",    kw_window,    0),
    keyword!("blackout",  kw_blackout,  0),
    keyword!("daily",     kw_daily,     0),
    keyword!("weekly",    kw_weekly,    0),
    keyword!("monthly",   kw_monthly,   0),
    keyword!("days",      kw_days,      0),
    keyword!("from",      kw_from,      0),
    keyword!("to",        kw_to,        0),
    keyword!("ics",       kw_ics,       0),
    keyword!("rrule",     kw_rrule,     0),
    keyword!("at",        kw_at,        0),
    keyword!("for",       kw_for,       RESERVED),
    keyword!("except",    kw_except,    0),
    keyword!("region",    kw_region,    RESERVED | ITEM | STATEMENT),
    keyword!("uses",      kw_uses,      0),
    // calendars of services and of changes (`services` and `changes` are also names in
    // expressions, as `tier` is; `use` ends the condition)
    keyword!("services",  kw_services,  ITEM | STATEMENT),
    keyword!("changes",   kw_changes,   ITEM | STATEMENT),
    keyword!("where",     kw_where,     STATEMENT),
    keyword!("use",       kw_use,       STATEMENT),
    // rules and waivers
    keyword!("rule",      kw_rule,      RESERVED | ITEM | STATEMENT),
    keyword!("deny",      kw_deny,      RESERVED | STATEMENT),
    keyword!("allow",     kw_allow,     RESERVED | STATEMENT),
    keyword!("require",   kw_require,   RESERVED | STATEMENT),
    keyword!("approval",  kw_approval,  0),
    keyword!("count",     kw_count,     RESERVED | QUANTIFIER),
    keyword!("check",     kw_check,     0),
    keyword!("within",    kw_within,    0),
    keyword!("after",     kw_after,     0),
    keyword!("exempt",    kw_exempt,    RESERVED | STATEMENT),
    keyword!("message",   kw_message,   RESERVED | STATEMENT),
    keyword!("waivable",  kw_waivable,  RESERVED | ITEM | STATEMENT),
    keyword!("by",        kw_by,        0),
    keyword!("max",       kw_max,       0),
    // strategy, rollback, notify (`notify` is followed by strings, and by `when` if guarded)
    keyword!("strategy",  kw_strategy,  RESERVED | ITEM | STATEMENT),
    keyword!("otherwise", kw_otherwise, RESERVED | STATEMENT),
    keyword!("rollback",  kw_rollback,  RESERVED | ITEM | STATEMENT),
    keyword!("trigger",   kw_trigger,   RESERVED | STATEMENT),
    keyword!("owner",     kw_owner,     0),
    keyword!("of",        kw_of,        RESERVED),
    keyword!("baseline",  kw_baseline,  0),
    keyword!("on",        kw_on,        RESERVED),
    keyword!("no_data",   kw_no_data,   0),
    keyword!("fire",      kw_fire,      0),
    keyword!("notify",    kw_notify,    RESERVED | ITEM),
    // expressions
    keyword!("and",        -,           RESERVED),
    keyword!("or",         -,           RESERVED),
    keyword!("not",        kw_not,      RESERVED),
    keyword!("in",         kw_in,       RESERVED),
    keyword!("has",        -,           RESERVED),
    keyword!("subset",     kw_subset,   RESERVED),
    keyword!("intersects", -,           RESERVED),
    keyword!("any",        -,           RESERVED | QUANTIFIER),
    keyword!("all",        -,           RESERVED | QUANTIFIER),
    keyword!("true",       kw_true,     RESERVED),
    keyword!("false",      kw_false,    RESERVED),
];

const fn count(role: u8) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < KEYWORDS.len() {
        if KEYWORDS[i].roles & role != 0 {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The words of [`KEYWORDS`] that have `role`, in table order (evaluated at compile time).
const fn words<const N: usize>(role: u8) -> [&'static str; N] {
    let mut out = [""; N];
    let mut n = 0;
    let mut i = 0;
    while i < KEYWORDS.len() {
        if KEYWORDS[i].roles & role != 0 {
            out[n] = KEYWORDS[i].word;
            n += 1;
        }
        i += 1;
    }
    out
}

/// Words that cannot be names in expressions.
pub(super) const RESERVED_WORDS: [&str; count(RESERVED)] = words(RESERVED);
/// Words that start a top-level item.
pub(super) const ITEM_WORDS: [&str; count(ITEM)] = words(ITEM);
/// Words after which no quantifier of the same bracket level is still open.
pub(super) const STATEMENT_WORDS: [&str; count(STATEMENT)] = words(STATEMENT);
/// Words that open a quantifier.
pub(super) const QUANTIFIER_WORDS: [&str; count(QUANTIFIER)] = words(QUANTIFIER);

/// For each first letter `a` to `z`, the lengths of the reserved words that start with it (bit
/// `n` for length `n`): most names are told apart by one lookup instead of a scan of the list.
/// Built at compile time; a reserved word of 16 letters or more, or not in lowercase ASCII,
/// fails the build here.
const RESERVED_SHAPES: [u16; 26] = reserved_shapes();

const fn reserved_shapes() -> [u16; 26] {
    let mut out = [0u16; 26];
    let mut i = 0;
    while i < RESERVED_WORDS.len() {
        let w = RESERVED_WORDS[i].as_bytes();
        out[(w[0] - b'a') as usize] |= 1 << w.len();
        i += 1;
    }
    out
}

pub(super) fn is_reserved(word: &str) -> bool {
    let b = word.as_bytes();
    let shape = match b.first() {
        Some(&c @ b'a'..=b'z') => RESERVED_SHAPES.get(usize::from(c - b'a')).copied(),
        _ => None,
    };
    let maybe = shape.is_some_and(|s| b.len() < 16 && s & (1 << b.len()) != 0);
    maybe && RESERVED_WORDS.contains(&word)
}

/// A byte of a word (the grammar's `ident_char`): words end at the first other byte.
pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The keyword a `kw_*` rule matches.
pub(super) fn of_rule(rule: Rule) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.rule == Some(rule))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use pest::Parser as _;

    use super::super::grammar::GateParser;
    use super::*;

    const GRAMMAR: &str = include_str!("grammar.pest");

    /// The body of the grammar rule `name` (between its braces), comments removed.
    fn rule_body(name: &str) -> String {
        let start = GRAMMAR
            .lines()
            .position(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .unwrap_or_else(|| panic!("grammar has no rule `{name}`"));
        let mut depth = 0;
        let mut body = String::new();
        for line in GRAMMAR.lines().skip(start) {
            let line = line.split("//").next().unwrap_or("");
            for c in line.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return body;
                        }
                    }
                    _ if depth > 0 => body.push(c),
                    _ => {}
                }
            }
            body.push(' ');
        }
        panic!("rule `{name}` is not closed")
    }

    /// Every word a rule built from strings, `~`, `|` and parentheses matches (a trailing
    /// `~ !ident_char` is dropped).
    fn expand(body: &str) -> BTreeSet<String> {
        let body = body.replace("!ident_char", "");
        let tokens: Vec<String> = tokenize(&body);
        let mut pos = 0;
        let words = alternatives(&tokens, &mut pos);
        assert_eq!(
            pos,
            tokens.len(),
            "unexpected {:?} in {body}",
            tokens.get(pos)
        );
        words.into_iter().collect()
    }

    fn tokenize(body: &str) -> Vec<String> {
        let mut tokens = Vec::new();
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    let s: String = chars.by_ref().take_while(|&c| c != '"').collect();
                    tokens.push(format!("\"{s}"));
                }
                '(' | ')' | '|' => tokens.push(c.to_string()),
                // A sequence is written with `~`; a dangling `~` (before the dropped
                // `!ident_char`) adds nothing.
                '~' => {}
                c if c.is_whitespace() => {}
                other => panic!("unexpected `{other}` in {body}"),
            }
        }
        tokens
    }

    fn alternatives(tokens: &[String], pos: &mut usize) -> Vec<String> {
        let mut out = sequence(tokens, pos);
        while tokens.get(*pos).is_some_and(|t| t == "|") {
            *pos += 1;
            out.extend(sequence(tokens, pos));
        }
        out
    }

    fn sequence(tokens: &[String], pos: &mut usize) -> Vec<String> {
        let mut out = vec![String::new()];
        while let Some(t) = tokens.get(*pos) {
            let part = if t == "(" {
                *pos += 1;
                let inner = alternatives(tokens, pos);
                assert_eq!(tokens.get(*pos).map(String::as_str), Some(")"));
                inner
            } else if let Some(s) = t.strip_prefix('"') {
                vec![s.to_owned()]
            } else {
                break;
            };
            *pos += 1;
            out = out
                .iter()
                .flat_map(|a| part.iter().map(move |b| format!("{a}{b}")))
                .collect();
        }
        out
    }

    fn with_role(role: u8) -> BTreeSet<String> {
        KEYWORDS
            .iter()
            .filter(|k| k.roles & role != 0)
            .map(|k| k.word.to_owned())
            .collect()
    }

    #[test]
    fn expand_reads_nested_choices() {
        let words = expand(r#"( "a" ~ ("nd" | "ll") | "or" ) ~ !ident_char"#);
        let expected: BTreeSet<String> = ["and", "all", "or"].map(String::from).into();
        assert_eq!(words, expected);
    }

    #[test]
    fn reserved_rule_lists_the_reserved_keywords() {
        assert_eq!(expand(&rule_body("reserved")), with_role(RESERVED));
    }

    #[test]
    fn reserved_rule_matches_each_reserved_word_whole() {
        // A PEG choice stops at the first alternative that matches, so a shorter spelling
        // listed before a longer one (`all` before `allow`) would never reserve the longer.
        for k in KEYWORDS {
            let name_ok = GateParser::parse(Rule::name, k.word)
                .is_ok_and(|mut p| p.next().is_some_and(|n| n.as_str() == k.word));
            assert_eq!(
                name_ok,
                k.roles & RESERVED == 0,
                "`{}` is a name in the grammar: {name_ok}",
                k.word
            );
        }
    }

    #[test]
    fn quantifier_rule_lists_the_quantifier_keywords() {
        assert_eq!(expand(&rule_body("quantifier")), with_role(QUANTIFIER));
    }

    #[test]
    fn kw_rules_match_the_table() {
        let mut in_grammar = BTreeSet::new();
        for line in GRAMMAR.lines().filter(|l| l.starts_with("kw_")) {
            let (name, body) = line.split_once('=').unwrap();
            let name = name.trim();
            let words = expand(body.trim().trim_start_matches('@').trim_matches(['{', '}']));
            assert_eq!(words.len(), 1, "{line}");
            let word = words.into_iter().next().unwrap();
            let k = KEYWORDS.iter().find(|k| k.word == word);
            let k = k.unwrap_or_else(|| panic!("`{word}` ({name}) is not in KEYWORDS"));
            let rule = k.rule.map(|r| format!("{r:?}"));
            assert_eq!(rule.as_deref(), Some(name), "rule of `{word}`");
            in_grammar.insert(name.to_owned());
        }
        let in_table: BTreeSet<String> = KEYWORDS
            .iter()
            .filter_map(|k| k.rule.map(|r| format!("{r:?}")))
            .collect();
        assert_eq!(in_table, in_grammar);
        for k in KEYWORDS {
            if let Some(rule) = k.rule {
                assert_eq!(of_rule(rule).map(|o| o.word), Some(k.word));
            }
        }
    }

    #[test]
    fn item_rule_starts_each_declaration_with_an_item_keyword() {
        let mut firsts = BTreeSet::new();
        for decl in rule_body("item").split('|') {
            let body = rule_body(decl.trim());
            let first = body.split_whitespace().next().unwrap();
            let k = KEYWORDS
                .iter()
                .find(|k| k.rule.is_some_and(|r| format!("{r:?}") == first));
            let k = k.unwrap_or_else(|| panic!("{decl} starts with {first}, not a keyword"));
            firsts.insert(k.word.to_owned());
        }
        assert_eq!(firsts, with_role(ITEM));
    }

    #[test]
    fn is_reserved_answers_as_the_list_does() {
        for k in KEYWORDS {
            assert_eq!(is_reserved(k.word), k.roles & RESERVED != 0, "{}", k.word);
            assert!(!is_reserved(&format!("{}x", k.word)));
            assert!(!is_reserved(&k.word[1..]) || RESERVED_WORDS.contains(&&k.word[1..]));
        }
        for w in ["", "_", "A", "And", "change", "tier", "s", "len", "x"] {
            assert!(!is_reserved(w), "{w}");
        }
    }

    #[test]
    fn derived_lists_follow_the_table() {
        assert_eq!(RESERVED_WORDS.len(), 37);
        assert_eq!(
            ITEM_WORDS,
            [
                "tiers",
                "default",
                "capacity",
                "groups",
                "kinds",
                "extend",
                "tier",
                "condition",
                "calendar",
                "region",
                "services",
                "changes",
                "rule",
                "waivable",
                "strategy",
                "rollback",
                "notify",
            ]
        );
        assert!(STATEMENT_WORDS.contains(&"when") && !STATEMENT_WORDS.contains(&"notify"));
        assert!(is_reserved("waivable") && !is_reserved("tier") && !is_reserved("window"));
        let words: BTreeSet<&str> = KEYWORDS.iter().map(|k| k.word).collect();
        assert_eq!(words.len(), KEYWORDS.len(), "a keyword is listed twice");
    }
}
