//! Blackouts lifted by name (`exempt blackout "NAME"`, `waivable blackout "NAME"`): the bit of
//! each name in [`Lift::named`](super::Lift::named), given out while the policy is checked.

use super::CalendarSet;

/// The most blackout names a policy may lift by name (`exempt blackout "NAME"`, `waivable
/// blackout "NAME"`): one bit each in [`Lift::named`](super::Lift::named).
pub const MAX_LIFTABLE_NAMES: usize = 64;

/// Why a blackout name cannot be lifted by name ([`CalendarSet::make_liftable`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotLiftable {
    /// No calendar declares a blackout of that name; a suggestion when a declared name is
    /// close.
    Unknown(Option<String>),
    /// More than [`MAX_LIFTABLE_NAMES`] names are lifted by name.
    TooMany,
}

impl CalendarSet {
    /// Marks every blackout named `name` (in any calendar) as liftable by name, and gives the
    /// bit of that name in [`Lift::named`](super::Lift::named) (the same bit each time for one
    /// name).
    pub fn make_liftable(&mut self, name: &str) -> Result<u64, NotLiftable> {
        let known = self
            .calendars
            .iter()
            .flat_map(|c| &c.blackouts)
            .find(|b| b.name == name);
        match known {
            Some(b) if b.bit != 0 => return Ok(b.bit),
            Some(_) => {}
            None => {
                let mut names: Vec<&str> = self
                    .calendars
                    .iter()
                    .flat_map(|c| c.blackouts.iter().map(|b| b.name.as_str()))
                    .collect();
                names.sort_unstable();
                names.dedup();
                let help = crate::error::did_you_mean(name, names.iter().copied());
                return Err(NotLiftable::Unknown(help));
            }
        }
        let used = self
            .calendars
            .iter()
            .flat_map(|c| &c.blackouts)
            .fold(0u64, |acc, b| acc | b.bit);
        if used.count_ones() as usize >= MAX_LIFTABLE_NAMES {
            return Err(NotLiftable::TooMany);
        }
        let bit = 1u64 << used.count_ones();
        for cal in &mut self.calendars {
            for b in cal.blackouts.iter_mut().filter(|b| b.name == name) {
                b.bit = bit;
                cal.liftable |= bit;
            }
        }
        Ok(bit)
    }

    /// Does any calendar declare a blackout of that name?
    pub fn has_blackout(&self, name: &str) -> bool {
        self.calendars
            .iter()
            .flat_map(|c| &c.blackouts)
            .any(|b| b.name == name)
    }

    /// The bit of a blackout name in [`Lift::named`](super::Lift::named); 0 when it is not
    /// liftable by name.
    pub fn liftable_bit(&self, name: &str) -> u64 {
        self.calendars
            .iter()
            .flat_map(|c| &c.blackouts)
            .find(|b| b.name == name)
            .map_or(0, |b| b.bit)
    }
}
