//! `shipgate test DIR`: table-driven policy tests (SPEC 8.7, 8.8; docs/testing.md).
//!
//! Every `*.yaml` under DIR holds one case, or `cases: [...]` with shared keys at the top.
//! A case names its `policy` (a path or a list, relative to the file), `catalog` and `change`
//! (a path, or the value inline), `now`, and what it `expected`: `verdict`, and optionally
//! `tier`, `reasons` (rule names), `requirements` (the unsatisfied ones, `approval GROUP`
//! or `check NAME`) and `schedule` (keys of the decision's `schedule`, each compared as JSON).
//! Each case is decided through the public API, with the trace, and
//! compared key by key; the rules and tier conditions no case exercised are listed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use shipgate::{Catalog, Change, Engine, Error, Format, InputError, Limit, Limits};

/// The keys a case (or the top of a file) may hold.
const CASE_KEYS: &[&str] = &["name", "policy", "catalog", "change", "now", "expected"];
/// The keys of `expected`.
const EXPECTED_KEYS: &[&str] = &["verdict", "tier", "reasons", "requirements", "schedule"];

/// One key whose value differs from what the case expected.
pub struct Mismatch {
    /// `verdict`, `tier`, `reasons`, `requirements`, or `schedule.KEY`.
    pub key: String,
    pub expected: Value,
    pub got: Value,
}

/// One case run: where it is written, its name, and what differed (nothing when it passed).
pub struct CaseResult {
    pub file: String,
    pub name: String,
    pub mismatches: Vec<Mismatch>,
}

/// A rule or tier condition that no case exercised.
pub struct Unexercised {
    /// `rule` or `tier`.
    pub kind: &'static str,
    pub name: String,
    pub at: String,
}

pub struct Report {
    pub cases: Vec<CaseResult>,
    pub unexercised: Vec<Unexercised>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| !c.mismatches.is_empty())
            .count()
    }

    pub fn passed(&self) -> usize {
        self.cases.len() - self.failed()
    }

    pub fn to_json(&self) -> Value {
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|c| {
                json!({
                    "file": c.file,
                    "name": c.name,
                    "passed": c.mismatches.is_empty(),
                    "mismatches": c.mismatches.iter().map(|m| json!({
                        "key": m.key, "expected": m.expected, "got": m.got,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let unexercised: Vec<Value> = self
            .unexercised
            .iter()
            .map(|u| json!({"kind": u.kind, "name": u.name, "at": u.at}))
            .collect();
        json!({
            "cases": cases,
            "not_exercised": unexercised,
            "passed": self.passed(),
            "failed": self.failed(),
        })
    }
}

/// An error in a case file: the file and the YAML path of the value.
fn bad(file: &str, path: &str, message: impl Into<String>) -> Error {
    Error::Input(InputError::new(format!("{file}: {path}"), message))
}

/// The case files under `dir` (or `dir` itself when it is a file), sorted.
fn case_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let io = |p: &Path, e: std::io::Error| Error::Io {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(dir).map_err(|e| io(dir, e))?;
    if !meta.is_dir() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    let mut seen = BTreeSet::new();
    while let Some(d) = pending.pop() {
        let real = d.canonicalize().map_err(|e| io(&d, e))?;
        if !seen.insert(real) {
            continue;
        }
        for entry in std::fs::read_dir(&d).map_err(|e| io(&d, e))? {
            let p = entry.map_err(|e| io(&d, e))?.path();
            if p.is_dir() {
                pending.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(Error::Io {
            path: dir.display().to_string(),
            message: "no .yaml case files found".into(),
        });
    }
    Ok(out)
}

/// What a case file's top and each of its cases give, merged (a case's keys win).
struct CaseSpec {
    file: String,
    /// `cases[2]`, or `` for a file that is one case.
    path: String,
    fields: Map<String, Value>,
}

fn check_keys(
    file: &str,
    path: &str,
    map: &Map<String, Value>,
    allowed: &[&str],
) -> Result<(), Error> {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            return Err(bad(
                file,
                &at,
                format!("unknown key (expected one of: {})", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

fn specs(file: &Path) -> Result<Vec<CaseSpec>, Error> {
    let name = file.display().to_string();
    let limit = Limits::default().get(Limit::InputBytes);
    let f = std::fs::File::open(file).map_err(|e| Error::Io {
        path: name.clone(),
        message: e.to_string(),
    })?;
    let text = shipgate::read_input_text(f, &name, limit)?;
    let doc = shipgate::parse_document(&text, Format::Yaml, &name)?;
    let Value::Object(mut top) = doc else {
        return Err(bad(&name, "(top)", "a case file is a mapping of keys"));
    };
    let cases = top.remove("cases");
    let mut allowed = CASE_KEYS.to_vec();
    allowed.push("cases");
    check_keys(&name, "", &top, &allowed)?;
    let Some(cases) = cases else {
        return Ok(vec![CaseSpec {
            file: name,
            path: String::new(),
            fields: top,
        }]);
    };
    let Value::Array(cases) = cases else {
        return Err(bad(&name, "cases", "expected a list of cases"));
    };
    if cases.is_empty() {
        return Err(bad(
            &name,
            "cases",
            "the list is empty: a file tests something",
        ));
    }
    let mut out = Vec::with_capacity(cases.len());
    for (i, case) in cases.into_iter().enumerate() {
        let path = format!("cases[{i}]");
        let Value::Object(own) = case else {
            return Err(bad(&name, &path, "a case is a mapping of keys"));
        };
        check_keys(&name, &path, &own, CASE_KEYS)?;
        let mut fields = top.clone();
        fields.extend(own);
        out.push(CaseSpec {
            file: name.clone(),
            path,
            fields,
        });
    }
    Ok(out)
}

impl CaseSpec {
    /// The YAML path of `key` in this case: where the case gives it, else at the top.
    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn need(&self, key: &str) -> Result<&Value, Error> {
        self.fields.get(key).ok_or_else(|| {
            let at = if self.path.is_empty() {
                "(top)".to_owned()
            } else {
                self.path.clone()
            };
            bad(
                &self.file,
                &at,
                format!("`{key}` is missing (in the case or at the top of the file)"),
            )
        })
    }

    fn name(&self) -> String {
        match self.fields.get("name").and_then(Value::as_str) {
            Some(n) => n.to_owned(),
            None if self.path.is_empty() => "(the file's case)".to_owned(),
            None => self.path.clone(),
        }
    }

    /// A path of the case resolved against the case file's folder, `..` taken out where
    /// it can be (so that locations read `policies/payments/rules.gate`).
    fn relative(&self, p: &str) -> PathBuf {
        let joined = Path::new(&self.file)
            .parent()
            .map_or_else(|| PathBuf::from(p), |d| d.join(p));
        let mut out = PathBuf::new();
        for c in joined.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir
                    if matches!(
                        out.components().next_back(),
                        Some(std::path::Component::Normal(_))
                    ) =>
                {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        if out.as_os_str().is_empty() {
            out.push(".");
        }
        out
    }

    fn policy(&self) -> Result<Vec<PathBuf>, Error> {
        let v = self.need("policy")?;
        let list: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        if list.is_empty() {
            return Err(bad(&self.file, &self.at("policy"), "names no policy"));
        }
        list.into_iter()
            .map(|p| match p.as_str() {
                Some(s) => Ok(self.relative(s)),
                None => Err(bad(
                    &self.file,
                    &self.at("policy"),
                    "expected a path or a list of paths",
                )),
            })
            .collect()
    }

    /// `catalog` or `change`: a path (read by extension) or the value inline.
    fn document(&self, key: &str) -> Result<(Value, String), Error> {
        match self.need(key)? {
            Value::String(p) => {
                let path = self.relative(p);
                let shown = path.display().to_string();
                let limit = Limits::default().get(Limit::InputBytes);
                let f = std::fs::File::open(&path).map_err(|e| Error::Io {
                    path: shown.clone(),
                    message: e.to_string(),
                })?;
                let text = shipgate::read_input_text(f, &shown, limit)?;
                let v = shipgate::parse_document(&text, Format::from_path(&shown), key)?;
                Ok((v, shown))
            }
            inline @ Value::Object(_) => {
                Ok((inline.clone(), format!("{}: {}", self.file, self.at(key))))
            }
            _ => Err(bad(
                &self.file,
                &self.at(key),
                "expected a path or the value inline (a mapping)",
            )),
        }
    }

    fn expected(&self) -> Result<Expected, Error> {
        let at = self.at("expected");
        let Value::Object(e) = self.need("expected")? else {
            return Err(bad(&self.file, &at, "expected a mapping with `verdict`"));
        };
        check_keys(&self.file, &at, e, EXPECTED_KEYS)?;
        let verdict = match e.get("verdict").and_then(Value::as_str) {
            Some(v @ ("allow" | "deny" | "pending")) => v.to_owned(),
            _ => {
                return Err(bad(
                    &self.file,
                    &format!("{at}.verdict"),
                    "expected allow, deny or pending",
                ));
            }
        };
        let tier = match e.get("tier") {
            None => None,
            Some(Value::String(t)) => Some(t.clone()),
            Some(_) => {
                return Err(bad(
                    &self.file,
                    &format!("{at}.tier"),
                    "expected a tier name",
                ));
            }
        };
        let names = |key: &str| -> Result<Option<BTreeSet<String>>, Error> {
            match e.get(key) {
                None => Ok(None),
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.as_str().map(str::to_owned).ok_or_else(|| {
                            bad(&self.file, &format!("{at}.{key}[{i}]"), "expected a string")
                        })
                    })
                    .collect::<Result<BTreeSet<_>, _>>()
                    .map(Some),
                Some(_) => Err(bad(&self.file, &format!("{at}.{key}"), "expected a list")),
            }
        };
        // `schedule`: the keys given, each compared with the same key of the decision's
        // `schedule` as JSON (instants as the decision writes them, in UTC).
        let schedule = match e.get("schedule") {
            None => None,
            Some(Value::Object(m)) => Some(m.clone()),
            Some(_) => {
                return Err(bad(
                    &self.file,
                    &format!("{at}.schedule"),
                    "expected a mapping of schedule keys (next_window, blocked_by, ...)",
                ));
            }
        };
        Ok(Expected {
            verdict,
            tier,
            reasons: names("reasons")?,
            requirements: names("requirements")?,
            schedule,
        })
    }
}

struct Expected {
    verdict: String,
    tier: Option<String>,
    reasons: Option<BTreeSet<String>>,
    requirements: Option<BTreeSet<String>>,
    schedule: Option<serde_json::Map<String, Value>>,
}

fn set_json(s: &BTreeSet<String>) -> Value {
    Value::Array(s.iter().map(|x| Value::String(x.clone())).collect())
}

/// The unsatisfied requirements of a decision, as `approval GROUP` / `check NAME`.
fn missing(decision: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in decision["requirements"].as_array().into_iter().flatten() {
        if r["satisfied"].as_bool() == Some(true) {
            continue;
        }
        match r["kind"].as_str() {
            Some("approval") => {
                out.insert(format!("approval {}", r["group"].as_str().unwrap_or("?")))
            }
            Some("check") => out.insert(format!("check {}", r["check"].as_str().unwrap_or("?"))),
            _ => false,
        };
    }
    out
}

/// Runs every case under `dir`.
pub fn run(dir: &Path) -> Result<Report, Error> {
    let mut engines: HashMap<Vec<PathBuf>, Engine> = HashMap::new();
    let mut cases = Vec::new();
    // Per rule or tier condition, by (kind, name, at): whether a case exercised it.
    let mut coverage: BTreeMap<(String, &'static str, String), bool> = BTreeMap::new();
    for file in case_files(dir)? {
        for spec in specs(&file)? {
            let policy = spec.policy()?;
            let expected = spec.expected()?;
            let (catalog, catalog_at) = spec.document("catalog")?;
            let (change, change_at) = spec.document("change")?;
            let catalog = Catalog::from_json(&catalog).map_err(|e| located(e, &catalog_at))?;
            let change = Change::from_json(&change).map_err(|e| located(e, &change_at))?;
            let now = match spec.need("now")?.as_str().map(shipgate::parse_instant) {
                Some(Ok(t)) => t,
                _ => {
                    return Err(bad(
                        &spec.file,
                        &spec.at("now"),
                        "expected an instant like 2026-12-01T09:00:00Z",
                    ));
                }
            };
            let engine = match engines.get(&policy) {
                Some(e) => e,
                None => {
                    let e = Engine::from_paths(&policy)?;
                    engines.entry(policy.clone()).or_insert(e)
                }
            };
            let decision = engine
                .evaluate(&change, &catalog, now, true)?
                .to_json_value();
            record(&decision, &mut coverage);
            cases.push(CaseResult {
                file: spec.file.clone(),
                name: spec.name(),
                mismatches: compare(&expected, &decision),
            });
        }
    }
    let mut unexercised: Vec<Unexercised> = coverage
        .into_iter()
        .filter(|(_, hit)| !hit)
        .map(|((at, kind, name), _)| Unexercised { kind, name, at })
        .collect();
    // In the order of the policy's files and lines (`rules.gate:3:6` before `rules.gate:18:6`).
    unexercised.sort_by_cached_key(|u| {
        let mut parts = u.at.rsplitn(3, ':');
        let col: u64 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        let line: u64 = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        (parts.next().unwrap_or("").to_owned(), line, col)
    });
    Ok(Report { cases, unexercised })
}

/// An input error of an inline or referenced document, named by where the case gives it.
fn located(e: InputError, at: &str) -> Error {
    Error::Input(InputError::new(format!("{at}: {}", e.path), e.message))
}

/// Notes which rules and tier conditions a decision exercised: a rule that it lists in
/// `reasons`, `requirements` or `exemptions`, or whose `deny`/`allow` fired; a tier
/// condition that held. Every rule and tier condition is in the trace, exercised or not.
fn record(decision: &Value, coverage: &mut BTreeMap<(String, &'static str, String), bool>) {
    let mut listed = BTreeSet::new();
    for key in ["reasons", "requirements", "exemptions"] {
        for item in decision[key].as_array().into_iter().flatten() {
            if let Some(rule) = item["rule"].as_str() {
                listed.insert(rule.to_owned());
            }
        }
    }
    let mut rules_at: BTreeMap<String, String> = BTreeMap::new();
    let mut fired = BTreeSet::new();
    for t in decision["trace"].as_array().into_iter().flatten() {
        let (Some(kind), Some(name), Some(outcome)) = (
            t["kind"].as_str(),
            t["name"].as_str(),
            t["outcome"].as_str(),
        ) else {
            continue;
        };
        let at = t["at"].as_str().unwrap_or("").to_owned();
        match kind {
            "tier" => {
                let hit = coverage
                    .entry((at, "tier", name.to_owned()))
                    .or_insert(false);
                *hit |= outcome == "holds";
            }
            "rule" => {
                rules_at.insert(name.to_owned(), at);
            }
            "effect" if outcome.ends_with(" fires") => {
                fired.insert(name.to_owned());
            }
            _ => {}
        }
    }
    for (name, at) in rules_at {
        let hit = listed.contains(&name) || fired.contains(&name);
        *coverage.entry((at, "rule", name)).or_insert(false) |= hit;
    }
}

fn compare(expected: &Expected, decision: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let got_verdict = decision["verdict"].as_str().unwrap_or("").to_owned();
    if got_verdict != expected.verdict {
        out.push(Mismatch {
            key: "verdict".into(),
            expected: Value::String(expected.verdict.clone()),
            got: Value::String(got_verdict),
        });
    }
    if let Some(tier) = &expected.tier {
        let got = decision["tier"].as_str().unwrap_or("").to_owned();
        if *tier != got {
            out.push(Mismatch {
                key: "tier".into(),
                expected: Value::String(tier.clone()),
                got: Value::String(got),
            });
        }
    }
    if let Some(reasons) = &expected.reasons {
        let got: BTreeSet<String> = decision["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["rule"].as_str().map(str::to_owned))
            .collect();
        if *reasons != got {
            out.push(Mismatch {
                key: "reasons".into(),
                expected: set_json(reasons),
                got: set_json(&got),
            });
        }
    }
    if let Some(requirements) = &expected.requirements {
        let got = missing(decision);
        if *requirements != got {
            out.push(Mismatch {
                key: "requirements".into(),
                expected: set_json(requirements),
                got: set_json(&got),
            });
        }
    }
    for (key, want) in expected.schedule.iter().flatten() {
        let got = decision["schedule"]
            .get(key)
            .cloned()
            .unwrap_or(Value::Null);
        if got != *want {
            out.push(Mismatch {
                key: format!("schedule.{key}"),
                expected: want.clone(),
                got,
            });
        }
    }
    out
}

/// The report as text: a line per case (with a diff per failing key), the rules and tier
/// conditions no case exercised, and last `N passed, N failed`.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for c in &report.cases {
        let status = if c.mismatches.is_empty() {
            "ok  "
        } else {
            "FAIL"
        };
        out.push_str(&format!("{status}  {}  {}\n", c.file, c.name));
        for m in &c.mismatches {
            out.push_str(&format!("        {}:\n", m.key));
            out.push_str(&format!("          - expected {}\n", compact(&m.expected)));
            out.push_str(&format!("          + got      {}\n", compact(&m.got)));
        }
    }
    if !report.unexercised.is_empty() {
        out.push_str("\nNot exercised by any case:\n");
        for u in &report.unexercised {
            out.push_str(&format!("  {:<5} {:<28} {}\n", u.kind, u.name, u.at));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "{} passed, {} failed\n",
        report.passed(),
        report.failed()
    ));
    out
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
