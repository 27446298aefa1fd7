//! The peers of the race: Cedar and regorus (interpreter and RVM bytecode VM), each with the
//! race policy in its own language, its inputs prepared in its native form, and a way to read
//! the violated rules out of its answer.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, EntityUid, PolicyId, PolicySet,
    Request,
};
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use serde_json::Value as Json;

use crate::race2::{Coverage, Race2, cedar2_request_json, model2_violations, race2_source};
use crate::{CatalogIndex, NOW, cedar_request_json, race_source};

/// The Rego rule the first race's queries ask for.
pub const REGO_QUERY: &str = "data.shipgate.release.violations";
/// The Rego rule the second race's queries ask for.
pub const REGO_QUERY2: &str = "data.shipgate.gate2.violations";

// --- Cedar ------------------------------------------------------------------------------------

/// The Cedar policy set, with each policy's id mapped to its `@id` rule name.
pub struct CedarPeer {
    pub policies: PolicySet,
    pub authorizer: Authorizer,
    names: HashMap<PolicyId, String>,
    action: EntityUid,
}

/// One request in Cedar's native form.
pub struct CedarInput {
    pub request: Request,
    pub entities: Entities,
}

fn euid(t: &str, id: &str) -> Result<EntityUid, String> {
    EntityUid::from_str(&format!("{t}::{}", Json::String(id.to_string())))
        .map_err(|e| e.to_string())
}

impl CedarPeer {
    /// Parses the Cedar policy text.
    pub fn compile(text: &str) -> Result<CedarPeer, String> {
        let policies = PolicySet::from_str(text).map_err(|e| e.to_string())?;
        let names = policies
            .policies()
            .map(|p| {
                let name = p.annotation("id").unwrap_or("?").to_string();
                (p.id().clone(), name)
            })
            .collect();
        Ok(CedarPeer {
            policies,
            authorizer: Authorizer::new(),
            names,
            action: euid("Action", "deploy")?,
        })
    }

    pub fn new() -> Result<CedarPeer, String> {
        CedarPeer::compile(&race_source("cedar").map_err(|e| e.to_string())?)
    }

    /// Builds the native request from Cedar's JSON form of a change (`cedar_request_json`).
    pub fn input(&self, mut json: Json) -> Result<CedarInput, String> {
        let mut take = |key: &str| json.get_mut(key).map(Json::take).unwrap_or_default();
        let principal = euid("User", take("principal").as_str().unwrap_or(""))?;
        let resource = euid("Change", take("resource").as_str().unwrap_or(""))?;
        let context = Context::from_json_value(take("context"), None).map_err(|e| e.to_string())?;
        let entities =
            Entities::from_json_value(take("entities"), None).map_err(|e| e.to_string())?;
        let request = Request::new(principal, self.action.clone(), resource, context, None)
            .map_err(|e| e.to_string())?;
        Ok(CedarInput { request, entities })
    }

    /// The same from the JSON text: the "from JSON" path.
    pub fn input_from_text(&self, text: &str) -> Result<CedarInput, String> {
        self.input(serde_json::from_str(text).map_err(|e| e.to_string())?)
    }

    /// Whether the request is allowed, and the rules that forbade it.
    pub fn decide(&self, input: &CedarInput) -> Result<(bool, Vec<String>), String> {
        let response =
            self.authorizer
                .is_authorized(&input.request, &self.policies, &input.entities);
        if let Some(e) = response.diagnostics().errors().next() {
            return Err(format!("cedar evaluation error: {e}"));
        }
        let allowed = response.decision() == CedarDecision::Allow;
        let mut violated: Vec<String> = if allowed {
            Vec::new()
        } else {
            response
                .diagnostics()
                .reason()
                .filter_map(|id| self.names.get(id).cloned())
                .collect()
        };
        violated.sort();
        Ok((allowed, violated))
    }
}

/// Cedar's JSON text for every change of a corpus.
pub fn cedar_texts(changes: &[Json], catalog: &CatalogIndex) -> Vec<String> {
    changes
        .iter()
        .map(|c| cedar_request_json(c, catalog).to_string())
        .collect()
}

// --- regorus ----------------------------------------------------------------------------------

/// `data` for the Rego policy: the catalog by service id, and `now`.
pub fn rego_data(catalog: &Json) -> Json {
    let by_id: serde_json::Map<String, Json> = catalog["services"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["id"].as_str()?.to_string(), s.clone())))
        .collect();
    serde_json::json!({ "catalog": by_id, "now": NOW })
}

/// Converts a serde_json value into regorus's value (through text: done once per input when
/// preparing, never in a timed loop).
pub fn rego_value(json: &Json) -> Result<regorus::Value, String> {
    regorus::Value::from_json_str(&json.to_string()).map_err(|e| e.to_string())
}

/// The rules in a `violations` set, sorted.
pub fn rego_violations(v: &regorus::Value) -> Result<Vec<String>, String> {
    let set = v.as_set().map_err(|e| format!("{e}: {v}"))?;
    let mut out: Vec<String> = set
        .iter()
        .map(|x| x.as_string().map(|s| s.to_string()))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    out.sort();
    Ok(out)
}

/// The regorus interpreter with the policy and data loaded.
pub struct RegoInterpreter {
    pub engine: regorus::Engine,
    query: &'static str,
}

impl RegoInterpreter {
    /// Parses the first race's policy and loads the data.
    pub fn compile(text: &str, data: &regorus::Value) -> Result<RegoInterpreter, String> {
        RegoInterpreter::compile_query(text, data, REGO_QUERY)
    }

    /// Parses a policy and loads the data; `eval` asks for `query`.
    pub fn compile_query(
        text: &str,
        data: &regorus::Value,
        query: &'static str,
    ) -> Result<RegoInterpreter, String> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("policy.rego".into(), text.to_string())
            .map_err(|e| e.to_string())?;
        engine.add_data(data.clone()).map_err(|e| e.to_string())?;
        Ok(RegoInterpreter { engine, query })
    }

    pub fn set_input(&mut self, input: regorus::Value) {
        self.engine.set_input(input);
    }

    pub fn set_input_json(&mut self, text: &str) -> Result<(), String> {
        self.engine.set_input_json(text).map_err(|e| e.to_string())
    }

    pub fn eval(&mut self) -> Result<regorus::Value, String> {
        self.engine
            .eval_rule(self.query.to_string())
            .map_err(|e| e.to_string())
    }
}

/// The first race's policy compiled to an RVM program.
pub fn rego_program(text: &str, data: &regorus::Value) -> Result<Arc<Program>, String> {
    rego_program_query(text, data, REGO_QUERY)
}

/// A policy compiled to an RVM program whose entry point is `query`.
pub fn rego_program_query(
    text: &str,
    data: &regorus::Value,
    query: &str,
) -> Result<Arc<Program>, String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("policy.rego".into(), text.to_string())
        .map_err(|e| e.to_string())?;
    engine.add_data(data.clone()).map_err(|e| e.to_string())?;
    let entry: regorus::Rc<str> = query.into();
    let compiled = engine
        .compile_with_entrypoint(&entry)
        .map_err(|e| e.to_string())?;
    Compiler::compile_from_policy(&compiled, &[query]).map_err(|e| e.to_string())
}

/// An RVM with the program and data loaded.
pub fn rego_vm(program: &Arc<Program>, data: &regorus::Value) -> Result<RegoVM, String> {
    let mut vm = RegoVM::new();
    vm.load_program(program.clone());
    vm.set_data(data.clone()).map_err(|e| e.to_string())?;
    Ok(vm)
}

/// Runs the VM on one input.
pub fn rego_vm_eval(vm: &mut RegoVM, input: regorus::Value) -> Result<regorus::Value, String> {
    vm.set_input(input);
    vm.execute().map_err(|e| e.to_string())
}

// --- the agreement check ----------------------------------------------------------------------

/// Counts per outcome of the agreement check.
#[derive(Debug, Default)]
pub struct Agreement {
    pub requests: usize,
    pub allowed: usize,
    pub rules_fired: BTreeSet<String>,
}

/// Decides every change of the corpus with the Rust model, shipgate, Cedar, the regorus
/// interpreter and the regorus VM, and fails on the first change where any two differ in the
/// set of violated rules.
pub fn check_agreement(race: &crate::Race) -> Result<Agreement, String> {
    let index = CatalogIndex::new(&race.catalog_json);
    let cedar = CedarPeer::new()?;
    let rego_text = race_source("rego").map_err(|e| e.to_string())?;
    let data = rego_value(&rego_data(&race.catalog_json))?;
    let mut interp = RegoInterpreter::compile(&rego_text, &data)?;
    let program = rego_program(&rego_text, &data)?;
    let mut vm = rego_vm(&program, &data)?;
    let mut agreement = Agreement::default();
    for (i, change) in race.changes_json.iter().enumerate() {
        let model = crate::model_violations(change, &index);
        let shipgate = race.shipgate(i)?;
        let cedar_input = cedar.input(cedar_request_json(change, &index))?;
        let (cedar_allowed, cedar_rules) = cedar.decide(&cedar_input)?;
        let input = rego_value(change)?;
        interp.set_input(input.clone());
        let interp_rules = rego_violations(&interp.eval()?)?;
        let vm_rules = rego_violations(&rego_vm_eval(&mut vm, input)?)?;
        let answers = [
            ("shipgate", &shipgate),
            ("cedar", &cedar_rules),
            ("regorus", &interp_rules),
            ("regorus-vm", &vm_rules),
        ];
        for (who, got) in answers {
            if *got != model {
                return Err(format!(
                    "disagreement on change {i} ({}): the model says {model:?}, {who} says {got:?}\n{change}",
                    change["id"]
                ));
            }
        }
        if cedar_allowed != model.is_empty() {
            return Err(format!("cedar's decision disagrees on change {i}"));
        }
        agreement.requests += 1;
        agreement.allowed += usize::from(model.is_empty());
        agreement.rules_fired.extend(model);
    }
    Ok(agreement)
}

// --- the second race -------------------------------------------------------------------------

/// The second race's peers, compiled: Cedar, the regorus interpreter and the regorus VM (whose
/// `data` is empty: the request carries everything).
pub struct Peers2 {
    pub cedar: CedarPeer,
    pub interp: RegoInterpreter,
    pub program: Arc<Program>,
    pub vm: RegoVM,
    pub rego_text: String,
    pub cedar_text: String,
    pub data: regorus::Value,
}

impl Peers2 {
    pub fn new() -> Result<Peers2, String> {
        let cedar_text = race2_source("cedar").map_err(|e| e.to_string())?;
        let rego_text = race2_source("rego").map_err(|e| e.to_string())?;
        let data = rego_value(&serde_json::json!({}))?;
        let program = rego_program_query(&rego_text, &data, REGO_QUERY2)?;
        Ok(Peers2 {
            cedar: CedarPeer::compile(&cedar_text)?,
            interp: RegoInterpreter::compile_query(&rego_text, &data, REGO_QUERY2)?,
            vm: rego_vm(&program, &data)?,
            program,
            rego_text,
            cedar_text,
            data,
        })
    }
}

/// Decides every request of the second race's corpus with the Rust model, shipgate, Cedar,
/// the regorus interpreter and the regorus VM, and fails on the first request where any of
/// them differs from the model in the set of denying rules (Cedar: also in its verdict). Then
/// fails unless every rule denied some requests and not others.
pub fn check_agreement2(race: &Race2) -> Result<Coverage, String> {
    let mut peers = Peers2::new()?;
    let mut coverage = Coverage::default();
    for (i, request) in race.requests_json.iter().enumerate() {
        let model = model2_violations(request);
        let shipgate = race.shipgate(i)?;
        let (cedar_allowed, cedar_rules) = peers
            .cedar
            .decide(&peers.cedar.input(cedar2_request_json(request))?)?;
        let input = rego_value(request)?;
        peers.interp.set_input(input.clone());
        let interp_rules = rego_violations(&peers.interp.eval()?)?;
        let vm_rules = rego_violations(&rego_vm_eval(&mut peers.vm, input)?)?;
        let answers = [
            ("shipgate", &shipgate),
            ("cedar", &cedar_rules),
            ("regorus", &interp_rules),
            ("regorus-vm", &vm_rules),
        ];
        for (who, got) in answers {
            if *got != model {
                return Err(format!(
                    "disagreement on request {i}: the model says {model:?}, {who} says {got:?}\n{request}"
                ));
            }
        }
        if cedar_allowed != model.is_empty() {
            return Err(format!("cedar's decision disagrees on request {i}"));
        }
        coverage.add(&model);
    }
    coverage.check()?;
    Ok(coverage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_engines_agree_on_a_small_corpus() {
        let race = crate::Race::new(1_000).unwrap();
        let a = check_agreement(&race).unwrap();
        assert_eq!(a.requests, 1_000);
        assert_eq!(a.rules_fired.len(), 20);
    }

    #[test]
    fn a_wrong_peer_policy_is_caught_in_the_second_race() {
        // The regorus VM with one threshold changed must disagree with the model somewhere.
        let text = race2_source("rego")
            .unwrap()
            .replace("input.risk_score > 90", "input.risk_score > 95");
        let data = rego_value(&serde_json::json!({})).unwrap();
        let program = rego_program_query(&text, &data, REGO_QUERY2).unwrap();
        let mut vm = rego_vm(&program, &data).unwrap();
        let race = Race2::new(2_000).unwrap();
        let differs = race.requests_json.iter().any(|r| {
            let got = rego_violations(&rego_vm_eval(&mut vm, rego_value(r).unwrap()).unwrap());
            got.unwrap() != model2_violations(r)
        });
        assert!(differs);
    }

    #[test]
    fn a_wrong_peer_policy_is_caught() {
        // Cedar with one rule's threshold changed must disagree with the model somewhere.
        let text = race_source("cedar")
            .unwrap()
            .replace("context.size > 2000", "context.size > 2100");
        let cedar = CedarPeer::compile(&text).unwrap();
        let race = crate::Race::new(2_000).unwrap();
        let index = CatalogIndex::new(&race.catalog_json);
        let differs = race.changes_json.iter().any(|c| {
            let (_, got) = cedar
                .decide(&cedar.input(cedar_request_json(c, &index)).unwrap())
                .unwrap();
            got != crate::model_violations(c, &index)
        });
        assert!(differs);
    }
}
