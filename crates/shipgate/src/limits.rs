//! The limits that bound the work of one compilation, one input and one decision, and the
//! options that change them (docs/security.md).
//!
//! The defaults are far above what a real organisation meets; each limit can be raised up to
//! a hard ceiling (past which a raised limit could overflow a counter or allocate without
//! bound) or lowered down to 1. One name per limit (`max-eval-steps`) is the option on every
//! surface: the CLI flag `--max-eval-steps`, the Python keyword `max_eval_steps`, the Node
//! option `maxEvalSteps`; the error of an exceeded limit names it.

use std::fmt;

/// One of the limits a [`Limits`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// The size of an input file or standard input read by shipgate (a change, a catalog),
    /// in bytes.
    InputBytes,
    /// The size of one policy file, in bytes.
    PolicyFileBytes,
    /// The size of a policy set, all its files together, in bytes.
    PolicyBytes,
    /// The start times one recurrence rule (a blackout's `rrule`, an imported RRULE) may give
    /// in a year.
    RruleStartsPerRule,
    /// The start times all the recurrence rules of a policy set may give in a year together.
    RruleStartsPerPolicy,
    /// The evaluation steps of one decision (docs/semantics.md, "The evaluation budget").
    EvalSteps,
}

/// Per limit: the option's names (CLI, Python, Node), its default and its hard ceiling.
struct Spec {
    name: &'static str,
    snake: &'static str,
    camel: &'static str,
    default: u64,
    ceiling: u64,
    /// What the limit bounds, for the error of a value out of range.
    what: &'static str,
}

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

impl Limit {
    /// Every limit, in the order the docs list them.
    pub const ALL: [Limit; 6] = [
        Limit::InputBytes,
        Limit::PolicyFileBytes,
        Limit::PolicyBytes,
        Limit::RruleStartsPerRule,
        Limit::RruleStartsPerPolicy,
        Limit::EvalSteps,
    ];

    const fn spec(self) -> Spec {
        match self {
            Limit::InputBytes => Spec {
                name: "max-input-bytes",
                snake: "max_input_bytes",
                camel: "maxInputBytes",
                default: 16 * MIB,
                // The text is held in memory whole: 64 GiB is more than any machine that runs
                // a gate reads, and far from overflowing a length.
                ceiling: 64 * GIB,
                what: "bytes of an input",
            },
            Limit::PolicyFileBytes => Spec {
                name: "max-policy-file-bytes",
                snake: "max_policy_file_bytes",
                camel: "maxPolicyFileBytes",
                default: 4 * MIB,
                // Locations in a policy file are 32-bit byte offsets.
                ceiling: GIB,
                what: "bytes of a policy file",
            },
            Limit::PolicyBytes => Spec {
                name: "max-policy-bytes",
                snake: "max_policy_bytes",
                camel: "maxPolicyBytes",
                default: 16 * MIB,
                ceiling: 4 * GIB,
                what: "bytes of a policy set",
            },
            Limit::RruleStartsPerRule => Spec {
                name: "max-rrule-starts-per-rule",
                snake: "max_rrule_starts_per_rule",
                camel: "maxRruleStartsPerRule",
                default: 10_000,
                // A year of one rule's starts is expanded in memory.
                ceiling: 1_000_000,
                what: "starts a year of one recurrence rule",
            },
            Limit::RruleStartsPerPolicy => Spec {
                name: "max-rrule-starts-per-policy",
                snake: "max_rrule_starts_per_policy",
                camel: "maxRruleStartsPerPolicy",
                default: 100_000,
                ceiling: 10_000_000,
                what: "starts a year of all the recurrence rules of a policy set",
            },
            Limit::EvalSteps => Spec {
                name: "max-eval-steps",
                snake: "max_eval_steps",
                camel: "maxEvalSteps",
                default: 10_000_000,
                // About an hour of work for one decision.
                ceiling: 1_000_000_000_000,
                what: "evaluation steps of one decision",
            },
        }
    }

    /// The option's name, as the CLI flag spells it without `--`: `max-eval-steps`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The option's name as a Python keyword (`max_eval_steps`).
    pub fn python_name(self) -> &'static str {
        self.spec().snake
    }

    /// The option's name as a Node option (`maxEvalSteps`).
    pub fn node_name(self) -> &'static str {
        self.spec().camel
    }

    /// The limit named `name` in any of its spellings (`max-eval-steps`, `max_eval_steps`,
    /// `maxEvalSteps`).
    pub fn from_name(name: &str) -> Option<Limit> {
        Limit::ALL.into_iter().find(|l| {
            let s = l.spec();
            name == s.name || name == s.snake || name == s.camel
        })
    }

    /// The default value.
    pub const fn default_value(self) -> u64 {
        self.spec().default
    }

    /// The largest value the limit may be raised to.
    pub fn ceiling(self) -> u64 {
        self.spec().ceiling
    }

    /// Whether the limit bounds reading an input (a change or a catalog) rather than
    /// compiling or evaluating a policy.
    pub fn is_input_limit(self) -> bool {
        self == Limit::InputBytes
    }

    /// `value` when the limit may take it (1 to [`Limit::ceiling`]), else an error saying the
    /// range.
    pub fn check(self, value: u64) -> Result<u64, LimitError> {
        self.check_wide(i128::from(value))
    }

    /// [`Limit::check`] of any integer (a binding's argument may be negative).
    fn check_wide(self, value: i128) -> Result<u64, LimitError> {
        let s = self.spec();
        if (1..=i128::from(s.ceiling)).contains(&value) {
            return Ok(u64::try_from(value).unwrap_or(s.ceiling));
        }
        Err(LimitError {
            limit: Some(self),
            message: format!(
                "{} must be between 1 and {} ({}), not {value}",
                s.name, s.ceiling, s.what
            ),
        })
    }

    /// What an error for this limit being exceeded ends with: the option that raises it.
    pub(crate) fn raise_hint(self) -> String {
        format!("raise it with the {} option", self.name())
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A limit given a value out of its range, or an unknown option name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct LimitError {
    /// The limit, when the name was known.
    pub limit: Option<Limit>,
    /// What is wrong, naming the option and its range.
    pub message: String,
}

/// The limits of one engine and of the inputs read for it. [`Limits::default`] holds the
/// documented defaults; raise or lower one with [`Limits::with`] (or [`Limits::set`]):
///
/// ```
/// use shipgate::{Engine, Limit, Limits};
/// let limits = Limits::default().with(Limit::EvalSteps, 50_000_000).unwrap();
/// let engine = Engine::from_sources_with(
///     vec![("p.gate".into(), "tiers low\n".into())], None, &limits,
/// ).unwrap();
/// assert_eq!(engine.limits().get(Limit::EvalSteps), 50_000_000);
/// assert!(Limits::default().with(Limit::EvalSteps, 0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    values: [u64; Limit::ALL.len()],
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            values: Limit::ALL.map(Limit::default_value),
        }
    }
}

impl Limits {
    /// The value of one limit.
    pub fn get(&self, limit: Limit) -> u64 {
        self.values[limit as usize]
    }

    /// These limits with `limit` set to `value`; an error when `value` is 0 or above the
    /// limit's ceiling.
    pub fn with(mut self, limit: Limit, value: u64) -> Result<Limits, LimitError> {
        self.set(limit, value)?;
        Ok(self)
    }

    /// Sets `limit` to `value`; an error when `value` is 0 or above the limit's ceiling.
    pub fn set(&mut self, limit: Limit, value: u64) -> Result<&mut Limits, LimitError> {
        self.values[limit as usize] = limit.check(value)?;
        Ok(self)
    }

    /// These limits with each named option set (the bindings' keyword and option
    /// arguments): `name` in any spelling of [`Limit::from_name`]. `inputs` says whether the
    /// options are given where inputs are read (only input limits apply) or where a policy is
    /// compiled (only the others apply); an option that would have no effect there is an
    /// error, as is an unknown name.
    pub fn with_options<'a>(
        mut self,
        options: impl IntoIterator<Item = (&'a str, i128)>,
        inputs: bool,
    ) -> Result<Limits, LimitError> {
        for (name, value) in options {
            let Some(limit) = Limit::from_name(name) else {
                return Err(LimitError {
                    limit: None,
                    message: format!("unknown limit `{name}`"),
                });
            };
            if limit.is_input_limit() != inputs {
                let here = if inputs {
                    "where an input is read (it limits compiling or evaluating a policy)"
                } else {
                    "where a policy is compiled (it limits reading an input)"
                };
                return Err(LimitError {
                    limit: Some(limit),
                    message: format!("the limit `{name}` has no effect {here}"),
                });
            }
            self.values[limit as usize] = limit.check_wide(value)?;
        }
        Ok(self)
    }
}

/// Runs `f` on the limits of the compilation running on this thread (`None` outside one).
fn current<T>(f: impl FnOnce(&std::cell::Cell<Option<Limits>>) -> T) -> T {
    thread_local! {
        static CURRENT: std::cell::Cell<Option<Limits>> = const { std::cell::Cell::new(None) };
    }
    CURRENT.with(f)
}

/// Runs `f` (a compilation) with `limits` as the limits of the compilation running on this
/// thread, read by [`compiling`] where the calendars are checked.
pub(crate) fn compile_with<T>(limits: &Limits, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Limits>);
    impl Drop for Restore {
        fn drop(&mut self) {
            current(|c| c.set(self.0));
        }
    }
    let _restore = Restore(current(|c| c.replace(Some(*limits))));
    f()
}

/// The limits of the compilation running on this thread (the defaults outside one).
pub(crate) fn compiling() -> Limits {
    current(|c| c.get()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_values() {
        let l = Limits::default();
        assert_eq!(l.get(Limit::InputBytes), 16 * 1024 * 1024);
        assert_eq!(l.get(Limit::PolicyFileBytes), 4 * 1024 * 1024);
        assert_eq!(l.get(Limit::PolicyBytes), 16 * 1024 * 1024);
        assert_eq!(l.get(Limit::RruleStartsPerRule), 10_000);
        assert_eq!(l.get(Limit::RruleStartsPerPolicy), 100_000);
        assert_eq!(l.get(Limit::EvalSteps), 10_000_000);
    }

    #[test]
    fn zero_and_values_over_the_ceiling_are_refused() {
        for limit in Limit::ALL {
            let e = Limits::default().with(limit, 0).unwrap_err();
            assert!(e.message.starts_with(limit.name()), "{e}");
            assert!(Limits::default().with(limit, limit.ceiling() + 1).is_err());
            assert_eq!(
                Limits::default()
                    .with(limit, limit.ceiling())
                    .unwrap()
                    .get(limit),
                limit.ceiling()
            );
            assert!(limit.ceiling() >= limit.default_value());
        }
        assert_eq!(
            Limits::default()
                .with(Limit::EvalSteps, 0)
                .unwrap_err()
                .to_string(),
            "max-eval-steps must be between 1 and 1000000000000 (evaluation steps of one \
             decision), not 0"
        );
    }

    #[test]
    fn every_spelling_names_the_limit() {
        for limit in Limit::ALL {
            for name in [limit.name(), limit.python_name(), limit.node_name()] {
                assert_eq!(Limit::from_name(name), Some(limit));
            }
        }
        assert_eq!(Limit::from_name("max-steps"), None);
    }

    #[test]
    fn options_apply_where_they_have_an_effect() {
        let l = Limits::default()
            .with_options([("maxEvalSteps", 5), ("max_policy_bytes", 7)], false)
            .unwrap();
        assert_eq!(l.get(Limit::EvalSteps), 5);
        assert_eq!(l.get(Limit::PolicyBytes), 7);
        let e = Limits::default()
            .with_options([("max_input_bytes", 5)], false)
            .unwrap_err();
        assert!(e.message.contains("no effect"), "{e}");
        let e = Limits::default()
            .with_options([("max_eval_steps", 5)], true)
            .unwrap_err();
        assert!(e.message.contains("no effect"), "{e}");
        let e = Limits::default()
            .with_options([("max_nothing", 5)], true)
            .unwrap_err();
        assert_eq!(e.message, "unknown limit `max_nothing`");
        let e = Limits::default()
            .with_options([("max_input_bytes", -3)], true)
            .unwrap_err();
        assert!(e.message.ends_with("not -3"), "{e}");
    }
}
