//! The fast parser against pest and the builder: on every policy of the repository (it must
//! answer, and answer the same), on generated policy sets like the scale bench's, and on
//! mutations of them (where it answers, it must answer the same; where pest accepts, it should
//! answer too).

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::super::parser::{fast_parse_difference, parse_with_pest};
use super::parse_items;
use crate::span::FileId;

/// The repository's root (two levels above this crate).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn collect_gate_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') && name != "node_modules" {
                collect_gate_files(&path, out);
            }
        } else if name.ends_with(".gate") {
            out.push(path);
        }
    }
}

/// The ```gate blocks of the documentation.
fn doc_examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut docs = vec![repo_root().join("README.md")];
    if let Ok(entries) = std::fs::read_dir(repo_root().join("docs")) {
        docs.extend(entries.flatten().map(|e| e.path()));
    }
    for path in docs {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut block: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            match &mut block {
                None if line.trim_start() == "```gate" => block = Some(String::new()),
                Some(b) if line.trim_start() == "```" => {
                    out.push((format!("{}:{n}", path.display()), std::mem::take(b)));
                    block = None;
                }
                Some(b) => {
                    b.push_str(line);
                    b.push('\n');
                }
                None => {}
            }
        }
    }
    out
}

/// Policy sets shaped like the scale bench's (`benches/src/scale.rs`): its settings, its six
/// rule shapes and the family's six shapes, over built-in and `extend` fields.
fn generated_sources() -> Vec<(String, String)> {
    let settings = "tiers low, medium, high, critical\ndefault allow\n\
        groups cab, dba, platform-lead, team-lead, incident-commander\n\
        tier critical when any s in change.services: s.tier == 0\n\
        tier high when \"infrastructure\" in change.kind\n\
        tier medium when change.size > 300\n\
        extend change { hotfix: bool, rollback_plan: bool, risk: int, environment: string,\n\
          ticket: string, tags: list<string>, roles: list<string>, steps: list<string> }\n\
        extend service { pci: bool, level: int }\n";
    let mut rules = String::new();
    for i in 0..120 {
        let group = [
            "cab",
            "dba",
            "platform-lead",
            "team-lead",
            "incident-commander",
        ][i % 5];
        rules.push_str(&match i % 12 {
            0 => format!(
                "rule r{i} {{\n  deny when change.size > {} and \"label-{}\" in change.labels\n  \
                 message \"change {{change.id}} is too large for label-{}\"\n}}\n",
                1000 + i,
                i % 50,
                i % 50
            ),
            1 => format!(
                "rule r{i} {{\n  when tier >= high and \"kind-{}\" in change.kind\n  \
                 require approval \"{group}\" count {}\n}}\n",
                i % 40,
                1 + i % 3
            ),
            2 => format!(
                "rule r{i} {{\n  deny when any s in change.services: s.tier == {} and \
                 s.error_budget < {}% and change.size > {}\n}}\n",
                i % 4,
                i % 10,
                i % 500
            ),
            3 => format!(
                "rule r{i} {{\n  when change.emergency and change has incident and \
                 change.incident.severity <= {}\n  require check \"check-{}\"\n}}\n",
                1 + i % 3,
                i % 20
            ),
            4 => format!(
                "rule r{i} {{\n  deny when len(change.services) > {} and not change.backward_compatible\n}}\n",
                2 + i % 4
            ),
            5 => format!(
                "rule r{i} {{\n  deny when starts_with(change.title, \"tmp-{i}\") or \
                 lower(change.requester) == \"bot-{i}\"\n}}\n"
            ),
            6 => format!(
                "rule r{i} {{\n  deny when change.hotfix and not change.rollback_plan and change.risk > {}\n}}\n",
                500 + i
            ),
            7 => format!(
                "rule r{i} {{\n  deny when change.risk > {} or change.risk < {}\n}}\n",
                1000 + i,
                i % 7
            ),
            8 => format!(
                "rule r{i} {{\n  deny when change.environment == \"bot-{i}\" or change.ticket == \"tmp-{i}\"\n}}\n"
            ),
            9 => format!(
                "rule r{i} {{\n  deny when \"label-{}\" in change.tags and \"kind-{}\" in change.roles\n}}\n",
                i % 50,
                i % 40
            ),
            10 => format!(
                "rule r{i} {{\n  deny when any s in change.services: s.pci and s.level == {}\n}}\n",
                i % 4
            ),
            _ => format!(
                "rule r{i} {{\n  deny when any k in change.steps: k == \"check-{}\"\n}}\n",
                i % 20
            ),
        });
    }
    vec![
        ("settings.gate".to_owned(), settings.to_owned()),
        ("rules.gate".to_owned(), rules),
    ]
}

/// Every policy text of the repository, named.
fn corpus() -> Vec<(String, String)> {
    let mut files = Vec::new();
    collect_gate_files(&repo_root(), &mut files);
    files.sort();
    let mut out: Vec<(String, String)> = files
        .into_iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
        .collect();
    out.extend(doc_examples());
    out.extend(generated_sources());
    out
}

/// Equal item lists, or a panic that shows the first item that differs.
fn assert_same_items(
    fast: &[crate::syntax::ast::Item],
    pest: &[crate::syntax::ast::Item],
    name: &str,
) {
    for (f, p) in fast.iter().zip(pest) {
        assert_eq!(f, p, "{name}: the first item that differs (fast, pest)");
    }
    assert_eq!(fast.len(), pest.len(), "{name}: item count");
}

#[test]
fn every_clean_policy_takes_the_fast_path_and_matches_pest() {
    let corpus = corpus();
    assert!(corpus.len() > 150, "only {} policies found", corpus.len());
    let mut fast = 0;
    for (name, text) in &corpus {
        let (pest, diags) = parse_with_pest(FileId(0), text);
        let base = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let got = parse_items(FileId(0), text.get(base..).unwrap_or(""), base);
        if diags.is_empty() {
            let Some(items) = got else {
                panic!("{name}: pest parses it cleanly, the fast parser declined it");
            };
            assert_same_items(&items, &pest.items, name);
            fast += 1;
        } else {
            assert_eq!(got, None, "{name}: pest reports {:?}", diags.first());
        }
    }
    assert!(fast > 150, "only {fast} policies took the fast path");
}

#[test]
fn a_byte_order_mark_offsets_the_spans() {
    let text = "\u{feff}tiers low, high\nrule r { deny when tier >= high }\n";
    assert_eq!(fast_parse_difference(text), None);
    assert!(parse_items(FileId(0), &text[3..], 3).is_some());
}

/// Texts pest accepts cleanly that exercise the rarer corners of the grammar: the fast parser
/// must answer, and answer as pest does.
#[test]
fn corners_of_the_grammar_match_pest() {
    let texts = [
        "capacity 2   # trailing comment\n",
        "capacity 2 per region\ntiers a , b,c\n",
        "groups team-lead, a-1any, x-y-z\nkinds application",
        "extend change { a: int, b: list<list<string>>?, c: {x: int y: string?}, }\n",
        "extend service {}\nextend change { list: list }",
        "tier deny-x when tier >= high\ntier t when a.b has c",
        "condition c = -a.b - - 2 + 3",
        "rule r { when a exempt blackout exempt window exempt rule q }",
        "rule r { exempt blackout \"a\", \"b\"  message \"m\\\"\\n\\t\\\\\" }",
        "rule r { require approval \"cab\" count 2 within 48h after require check \"c\" within 3d }",
        "rule r { require approval \"cab\" within 48h require check \"c\" }",
        "waivable blackout by \"g\" max 1h\nwaivable blackout \"x\" by \"g\" max 2d3h",
        "strategy { canary when a and b or c  rolling otherwise }",
        "rollback owner \"sre\"\nrollback owner \"x\" { trigger e > 2% for 5m }",
        "rollback { trigger e >= -1.5 of baseline for 1m when x on no_data fire trigger f < 3 for 1s }",
        "notify \"a\", \"b\"\nnotify \"c\" when x",
        "calendar c-1 timezone \"UTC\" { window mon-fri, sun 9:00 - 17:00 window daily 00:00-24:00 }",
        "calendar c timezone \"UTC\" { blackout \"a\" daily 01:00-02:00 blackout \"b\" weekly fri 18:00 - mon 06:00 }",
        "calendar c timezone \"UTC\" { blackout \"a\" monthly days -3..-1 blackout \"b\" monthly days 1 09:00-12:00 }",
        "calendar c timezone \"UTC\" { blackout \"a\" from 2026-12-19 to 2027-01-04 blackout \"b\" from 2026-11-26T18:00 to 2026-11-27T06:00:30 }",
        "calendar c timezone \"UTC\" { blackout \"a\" ics \"x.ics\" blackout \"b\" rrule \"FREQ=DAILY\" at 00:00 for 2d except 2026-12-31, 2027-01-01 }",
        "region eu-west uses emea, global\nservices where s.legacy use batch\nchanges where use use c",
        "tier t when not any x in [1, 2,]: x > 1 or y",
        "tier t when not not a == b and not c in d",
        "tier t when a not in b or c subset of d or e intersects f",
        "tier t when all x in f(a, b,): count y in x: y",
        "tier t when 2026-01-01T10:00+1 > 2026-01-01T10:00:00Z and d == 2026-02-28",
        "tier t when 1.5 + 2% - 3 < 1h30m",
        "tier t when (a or b) and (c)\n.d",
        "tier t when f (x)\n",
        "tier t when a and b and c and d and e or f or g",
        "tier t when a . b . c has d",
        "tier t when -(-a) - -b",
        "tier t when 1.x",
        "tier t when notable or anything or counter or inside or order",
        "tier t when [] == [[]]",
        "rule r {\r\n\tdeny when a # note\r\n}\r\n# end\r\n",
        "tiers low,\thigh # c\n# c2\n\ndefault deny",
        "tier t when \"\u{e9}t\u{e9} \\\"q\\\"\" == x",
        "# only a comment",
        "",
    ];
    for text in texts {
        let (_, diags) = parse_with_pest(FileId(0), text);
        assert!(diags.is_empty(), "{text}: {:?}", diags.first());
        assert!(
            parse_items(FileId(0), text, 0).is_some(),
            "declined: {text}"
        );
        assert_eq!(fast_parse_difference(text), None, "{text}");
    }
}

/// Texts pest or the builder report: the fast parser must decline every one.
#[test]
fn texts_with_diagnostics_are_declined() {
    let texts = [
        "capacity 99999999999999999999",
        "tier t when 99999999999999999999 > 1",
        "tier t when a == b == c",
        "tier t when a == not b",
        "tier t when 2026-02-30 > x",
        "tier t when 2026-01-01T24:00Z > x",
        "tier t when 2026-01-01T10:00+24:00 > x",
        "tier t when 99999999999999999999w > x",
        "tier t when \"a\\q\" == x",
        "tier t when \"a",
        "rule r { when a when b }",
        "rule r { message \"a\" message \"b\" }",
        "calendar c timezone \"UTC\" { window mon 10:00-25:00 }",
        "calendar c timezone \"UTC\" { window mon 24:00-10:00 }",
        "calendar c timezone \"UTC\" { blackout \"a\" monthly days 0 }",
        "calendar c timezone \"UTC\" { blackout \"a\" from 2026-01-01 to 2026-01-02T10:00 }",
        "calendar c timezone \"UTC\" { blackout \"a\" from 2026-01-01T10:00Z to 2026-01-02T10:00Z }",
        "tier t when a -",
        "tier any when x",
        "condition when = x",
        "rule r { deny x }",
    ];
    for text in texts {
        let (_, diags) = parse_with_pest(FileId(0), text);
        assert!(!diags.is_empty(), "pest accepts {text}");
        assert_eq!(parse_items(FileId(0), text, 0), None, "{text}");
    }
}

#[test]
fn deep_nesting_is_declined_without_deep_recursion() {
    for n in [30, 32, 33, 63, 64, 65, 100, 10_000] {
        let text = format!("tier t when {}a{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(fast_parse_difference(&text), None, "{n} brackets");
        // Up to half the guard's limit the fast path answers; deeper text is pest's.
        assert_eq!(
            parse_items(FileId(0), &text, 0).is_some(),
            n <= 32,
            "{n} brackets"
        );
        let text = format!("tier t when {}a", "any x in y: ".repeat(n));
        assert_eq!(fast_parse_difference(&text), None, "{n} quantifiers");
        let text = format!(
            "extend change {{ a: {}int{} }}",
            "list<".repeat(n),
            ">".repeat(n)
        );
        assert_eq!(fast_parse_difference(&text), None, "{n} lists");
        // Words the guard counts as levels though they nest nothing.
        let text = format!("groups {}\n", vec!["any"; n].join(", "));
        assert_eq!(fast_parse_difference(&text), None, "{n} group names");
        let text = format!("tier t when {}a", "- ".repeat(n * 10));
        assert_eq!(fast_parse_difference(&text), None, "{n} minus signs");
        // `notify` is no statement word: the guard's count of quantifiers runs on across it.
        let text = "notify \"a\" when any x in y: x\n".repeat(n);
        assert_eq!(fast_parse_difference(&text), None, "{n} notify quantifiers");
        let text = format!("tier t when true\n{text}");
        assert_eq!(fast_parse_difference(&text), None, "{n} notify quantifiers");
    }
}

/// Tokens to insert into a policy: keywords, operators, odd numbers and broken literals.
const TOKENS: &[&str] = &[
    " any x in y: ",
    " not ",
    " and ",
    " or ",
    " in ",
    " - ",
    "-",
    ".",
    "..",
    ",",
    ":",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    "?",
    "\"",
    "\\",
    "#",
    "\n",
    " rule ",
    " when ",
    " deny ",
    " tier ",
    " count ",
    " list<",
    " has ",
    " 0 ",
    " 99999999999999999999 ",
    " 1.5 ",
    " 2% ",
    " 24:00 ",
    " 9:5 ",
    " 2026-02-30 ",
    " 2026-01-01T10:00+1 ",
    " 5m3 ",
    " -0 ",
    " -32 ",
    " mon ",
    " daily ",
    " true ",
    " subset of ",
    " not in ",
    "\u{e9}",
    "((((((((((",
    "))))",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Replace(usize, u8),
    SwapWords(usize, usize),
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Delete(at, n) => {
                let at = at % len;
                let end = (at + n % 8 + 1).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Mutation::Insert(at, t) => {
                let at = (at % (bytes.len() + 1)).min(bytes.len());
                let token = TOKENS[t % TOKENS.len()].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            Mutation::Replace(at, b) => {
                if let Some(x) = bytes.get_mut(at % len) {
                    const BYTES: &[u8] = b" -.,:(){}[]<>=!\"#0123456789anyltx_\n";
                    *x = BYTES[usize::from(b) % BYTES.len()];
                }
            }
            Mutation::SwapWords(a, b) => {
                let s = String::from_utf8_lossy(&bytes).into_owned();
                let mut words: Vec<&str> = s.split(' ').collect();
                let n = words.len();
                words.swap(a % n, b % n);
                bytes = words.join(" ").into_bytes();
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, t)| Mutation::Insert(a, t)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Replace(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapWords(a, b)),
    ]
}

/// Clean policies of the corpus, small enough to mutate many times.
fn seeds() -> Vec<String> {
    corpus()
        .into_iter()
        .map(|(_, t)| t)
        .filter(|t| t.len() < 4000 && parse_with_pest(FileId(0), t).1.is_empty())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Where the fast parser answers on a mutated policy, pest accepts it with the same items.
    #[test]
    fn mutated_policies_never_disagree(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        thread_local!(static SEEDS: Vec<String> = seeds());
        let text = SEEDS.with(|s| mutate(&s[seed.index(s.len())], &mutations));
        prop_assert_eq!(fast_parse_difference(&text), None, "{}", text);
    }
}

/// How often the fast parser answers where pest accepts a mutated policy cleanly, over a fixed
/// sample of mutations: the rest goes to pest (correct, only slower).
#[test]
fn fast_parser_answers_most_clean_mutations() {
    let seeds = seeds();
    let mut rng: u64 = 0x5eed;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        usize::try_from(rng % (1 << 31)).unwrap_or(0)
    };
    let (mut clean, mut answered, mut declined) = (0, 0, Vec::new());
    for _ in 0..4000 {
        let seed = &seeds[next() % seeds.len()];
        let m = match next() % 4 {
            0 => Mutation::Delete(next(), next()),
            1 => Mutation::Insert(next(), next()),
            2 => Mutation::Replace(next(), (next() % 256) as u8),
            _ => Mutation::SwapWords(next(), next()),
        };
        let text = mutate(seed, &[m]);
        let (_, diags) = parse_with_pest(FileId(0), &text);
        let fast = parse_items(FileId(0), &text, 0);
        if diags.is_empty() && !text.starts_with('\u{feff}') {
            clean += 1;
            if fast.is_some() {
                answered += 1;
            } else {
                declined.push(text);
            }
        } else {
            assert!(fast.is_none() || text.starts_with('\u{feff}'), "{text}");
        }
    }
    eprintln!(
        "the fast parser answered {answered} of {clean} mutated policies pest accepts cleanly"
    );
    for text in declined.iter().take(3) {
        eprintln!("declined:\n{text}\n---");
    }
    assert!(clean > 500, "only {clean} clean mutations");
    assert!(answered * 1000 >= clean * 995, "{answered} of {clean}");
}
