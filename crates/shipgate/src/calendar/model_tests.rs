//! Model-based property tests: the compiled index against a brute-force model that walks
//! minute by minute, converts each UTC minute to wall-clock time with chrono-tz, and tests
//! the raw rules, for random calendars in random IANA zones over ranges around an offset
//! change of the zone.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike};
use chrono_tz::{TZ_VARIANTS, Tz};
use proptest::prelude::*;
use rrule::{RRule, RRuleSet, Unvalidated};

use super::compile::RRULE_ANCHOR;
use super::tests::{calendar, region, sp, strlit};
use super::zone::{segments, wall_clock};
use super::*;
use crate::syntax::ast::{
    BlackoutSpec, CalendarDecl, CalendarEntry, DateLit, DaySet, DurationLit, LocalDateTimeLit,
    LocalTime, RegionDecl, TimeRange, Weekday,
};

const TEMPLATES: &[&str] = &[
    "FREQ=WEEKLY;BYDAY=MO,WE,SA",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYDAY=-1SU",
    "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1,15",
    "FREQ=YEARLY;BYMONTH=3,4,9,10,11;BYDAY=1SU,-1SU",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=YEARLY;BYYEARDAY=1,60,100,200,300",
];

/// Minutes.
const RANGE_MINUTES: usize = 72 * 60;

#[derive(Debug, Clone)]
enum Spec {
    Window {
        days: Vec<(usize, usize)>,
        start: u32,
        end: u32,
    },
    Daily {
        start: u32,
        end: u32,
    },
    Weekly {
        fd: usize,
        ft: u32,
        td: usize,
        tt: u32,
    },
    Monthly {
        from: i32,
        to: i32,
        times: Option<(u32, u32)>,
    },
    /// Days relative to the range's first local date.
    Dates {
        from: i64,
        len: i64,
    },
    /// Quarter hours relative to the range's first local quarter hour.
    DateTimes {
        from: i64,
        len: i64,
    },
    Rrule {
        template: usize,
        at: u32,
        minutes: i64,
        except: Option<i64>,
    },
}

#[derive(Debug, Clone)]
struct CalSpec {
    zone: usize,
    entries: Vec<Spec>,
}

fn time_of_day() -> impl Strategy<Value = u32> {
    // Quarter hours, with extra weight on the hours where clocks jump.
    prop_oneof![
        3 => (0u32..96).prop_map(|q| q * 15),
        2 => (0u32..16).prop_map(|q| q * 15),
        1 => Just(0u32),
    ]
}

fn time_range() -> impl Strategy<Value = (u32, u32)> {
    (time_of_day(), prop_oneof![time_of_day(), Just(1440u32)])
        .prop_filter("non-empty", |(a, b)| a != b)
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (
            prop::collection::vec((0usize..7, 0usize..7), 1..3),
            time_range()
        )
            .prop_map(|(days, (start, end))| Spec::Window { days, start, end }),
        time_range().prop_map(|(start, end)| Spec::Daily { start, end }),
        (
            0usize..7,
            time_of_day(),
            0usize..7,
            prop_oneof![time_of_day(), Just(1440u32)]
        )
            .prop_filter("non-empty", |(fd, ft, td, tt)| (*fd as u32 * 1440 + ft)
                % 10080
                != (*td as u32 * 1440 + tt) % 10080)
            .prop_map(|(fd, ft, td, tt)| Spec::Weekly { fd, ft, td, tt }),
        (
            prop_oneof![
                (1i32..=31, 1i32..=31).prop_map(|(a, b)| (a.min(b), a.max(b))),
                (-5i32..=-1, -5i32..=-1).prop_map(|(a, b)| (a.min(b), a.max(b))),
                (25i32..=31, -3i32..=-1),
            ],
            prop::option::of(time_range())
        )
            .prop_map(|((from, to), times)| Spec::Monthly { from, to, times }),
        (-2i64..3, 0i64..3).prop_map(|(from, len)| Spec::Dates { from, len }),
        (-40i64..250, 1i64..200).prop_map(|(from, len)| Spec::DateTimes { from, len }),
        (
            0..TEMPLATES.len(),
            time_of_day().prop_filter("not 24:00", |t| *t < 1440),
            prop_oneof![Just(30i64), Just(120), Just(1440), Just(2880), 1i64..600],
            prop::option::of(0i64..3)
        )
            .prop_map(|(template, at, minutes, except)| Spec::Rrule {
                template,
                at,
                minutes,
                except
            }),
    ]
}

fn cal_spec() -> impl Strategy<Value = CalSpec> {
    (0..TZ_VARIANTS.len(), prop::collection::vec(spec(), 0..5))
        .prop_map(|(zone, entries)| CalSpec { zone, entries })
}

fn lt(minutes: u32) -> LocalTime {
    LocalTime { minutes }
}

fn tr((a, b): (u32, u32)) -> TimeRange {
    TimeRange {
        start: lt(a),
        end: lt(b),
        span: sp(),
    }
}

fn date_lit(d: NaiveDate) -> DateLit {
    DateLit {
        year: d.year(),
        month: d.month(),
        day: d.day(),
        span: sp(),
    }
}

fn datetime_lit(n: NaiveDateTime) -> LocalDateTimeLit {
    LocalDateTimeLit {
        date: date_lit(n.date()),
        minutes: n.hour() * 60 + n.minute(),
        second: 0,
        span: sp(),
    }
}

/// A rule resolved against the test range, for both the AST and the model.
#[derive(Debug, Clone)]
enum Rule {
    Window([bool; 7], u32, u32),
    Weekly(u32, u32),
    Monthly(i32, i32, Option<(u32, u32)>),
    Dates(NaiveDate, NaiveDate),
    DateTimes(NaiveDateTime, NaiveDateTime),
    /// Occurrence starts (from the rrule crate walking from the real anchor), minutes,
    /// excepted date.
    Occurrences(Vec<NaiveDateTime>, i64, Option<NaiveDate>),
}

struct ModelCal {
    tz: Tz,
    windows: Vec<Rule>,
    blackouts: Vec<(String, Rule)>,
}

fn mask(days: &[(usize, usize)]) -> [bool; 7] {
    let mut m = [false; 7];
    for &(a, b) in days {
        for k in 0..=((b + 7 - a) % 7) {
            m[(a + k) % 7] = true;
        }
    }
    m
}

fn day_set(days: &[(usize, usize)]) -> DaySet {
    DaySet {
        ranges: days
            .iter()
            .map(|&(a, b)| (Weekday::ALL[a], Weekday::ALL[b]))
            .collect(),
        span: sp(),
    }
}

/// Builds the declaration and the model of a calendar, for a test range starting at `lo`.
fn build(spec: &CalSpec, name: &str, lo: i64) -> (CalendarDecl, ModelCal) {
    let tz = TZ_VARIANTS[spec.zone];
    let first_local = wall_clock(tz, lo).unwrap();
    let first_date = first_local.date();
    let first_quarter = first_local
        .with_minute(first_local.minute() / 15 * 15)
        .unwrap();
    let mut entries = Vec::new();
    let mut model = ModelCal {
        tz,
        windows: Vec::new(),
        blackouts: Vec::new(),
    };
    for (i, s) in spec.entries.iter().enumerate() {
        let bname = format!("b{i}");
        let (spec, rule) = match s {
            Spec::Window { days, start, end } => {
                entries.push(CalendarEntry::Window {
                    days: day_set(days),
                    times: tr((*start, *end)),
                    span: sp(),
                });
                model.windows.push(Rule::Window(mask(days), *start, *end));
                continue;
            }
            Spec::Daily { start, end } => (
                BlackoutSpec::Daily(tr((*start, *end))),
                Rule::Window([true; 7], *start, *end),
            ),
            Spec::Weekly { fd, ft, td, tt } => {
                let from = *fd as u32 * 1440 + ft;
                let to = *td as u32 * 1440 + tt;
                (
                    BlackoutSpec::Weekly {
                        from_day: Weekday::ALL[*fd],
                        from_time: lt(*ft),
                        to_day: Weekday::ALL[*td],
                        to_time: lt(*tt),
                        span: sp(),
                    },
                    Rule::Weekly(from, (to + 10080 - from) % 10080),
                )
            }
            Spec::Monthly { from, to, times } => (
                BlackoutSpec::Monthly {
                    from_day: *from,
                    to_day: *to,
                    times: times.map(tr),
                    span: sp(),
                },
                Rule::Monthly(*from, *to, *times),
            ),
            Spec::Dates { from, len } => {
                let a = first_date + TimeDelta::days(*from);
                let b = a + TimeDelta::days(*len);
                (
                    BlackoutSpec::DateRange {
                        from: date_lit(a),
                        to: date_lit(b),
                    },
                    Rule::Dates(a, b),
                )
            }
            Spec::DateTimes { from, len } => {
                let a = first_quarter + TimeDelta::minutes(15 * from);
                let b = a + TimeDelta::minutes(15 * len);
                (
                    BlackoutSpec::DateTimeRange {
                        from: datetime_lit(a),
                        to: datetime_lit(b),
                    },
                    Rule::DateTimes(a, b),
                )
            }
            Spec::Rrule {
                template,
                at,
                minutes,
                except,
            } => {
                let except = except.map(|k| first_date + TimeDelta::days(k));
                let text = TEMPLATES[*template];
                // The raw expansion: DTSTART at the documented anchor, walked from there.
                let (y, m, d) = RRULE_ANCHOR;
                let anchor = NaiveDate::from_ymd_opt(y, m, d)
                    .unwrap()
                    .and_hms_opt(at / 60, at % 60, 0)
                    .unwrap();
                let start = rrule::Tz::UTC.from_utc_datetime(&anchor);
                let rule: RRule<Unvalidated> = text.parse().unwrap();
                let set = RRuleSet::new(start).rrule(rule.validate(start).unwrap());
                let from = first_local - TimeDelta::minutes(*minutes) - TimeDelta::days(2);
                let to = first_local + TimeDelta::days(6);
                let occ: Vec<NaiveDateTime> = set
                    .after(rrule::Tz::UTC.from_utc_datetime(&from))
                    .before(rrule::Tz::UTC.from_utc_datetime(&to))
                    .all(u16::MAX)
                    .dates
                    .into_iter()
                    .map(|d| d.naive_utc())
                    .collect();
                (
                    BlackoutSpec::Rrule {
                        rule: strlit(text),
                        at: lt(*at),
                        duration: DurationLit {
                            seconds: minutes * 60,
                            span: sp(),
                        },
                        except: except.map(date_lit).into_iter().collect(),
                        span: sp(),
                    },
                    Rule::Occurrences(occ, *minutes, except),
                )
            }
        };
        entries.push(CalendarEntry::Blackout {
            name: strlit(&bname),
            spec,
            span: sp(),
        });
        model.blackouts.push((bname, rule));
    }
    (calendar(name, tz.name(), entries), model)
}

fn days_in_month(d: NaiveDate) -> u32 {
    let next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    (next.unwrap() - d.with_day(1).unwrap()).num_days() as u32
}

fn month_day_in(from: i32, to: i32, d: NaiveDate) -> bool {
    let len = days_in_month(d) as i32;
    let resolve = |x: i32| if x > 0 { x } else { len + 1 + x };
    let day = d.day() as i32;
    resolve(from) <= day && day <= resolve(to)
}

/// Does the raw rule hold at wall-clock time `n`?
fn holds(rule: &Rule, n: NaiveDateTime) -> bool {
    let tod = n.hour() * 60 + n.minute();
    let wd = n.weekday().num_days_from_monday() as usize;
    let yesterday = n.date() - TimeDelta::days(1);
    match rule {
        Rule::Window(days, s, e) => {
            if e > s {
                days[wd] && *s <= tod && tod < *e
            } else {
                (days[wd] && tod >= *s) || (days[(wd + 6) % 7] && tod < *e)
            }
        }
        Rule::Weekly(from, len) => {
            let wm = wd as u32 * 1440 + tod;
            (wm + 10080 - from) % 10080 < *len
        }
        Rule::Monthly(from, to, None) => month_day_in(*from, *to, n.date()),
        Rule::Monthly(from, to, Some((s, e))) => {
            if e > s {
                month_day_in(*from, *to, n.date()) && *s <= tod && tod < *e
            } else {
                (month_day_in(*from, *to, n.date()) && tod >= *s)
                    || (month_day_in(*from, *to, yesterday) && tod < *e)
            }
        }
        Rule::Dates(a, b) => *a <= n.date() && n.date() <= *b,
        Rule::DateTimes(a, b) => *a <= n && n < *b,
        Rule::Occurrences(occ, minutes, except) => occ
            .iter()
            .any(|o| *o <= n && n < *o + TimeDelta::minutes(*minutes) && Some(o.date()) != *except),
    }
}

/// The model at one UTC second: open, the blackouts holding, and whether windows allow.
/// `by_name`: the blackout names lifted by name (any calendar).
fn model_at<'a>(
    cals: impl IntoIterator<Item = &'a ModelCal>,
    t: i64,
    lift: Lift,
    by_name: &[String],
) -> (bool, Vec<String>, bool) {
    let instant = chrono::DateTime::from_timestamp(t, 0).unwrap();
    let mut names = Vec::new();
    let mut windows_ok = true;
    for c in cals {
        let n = c.tz.from_utc_datetime(&instant.naive_utc()).naive_local();
        if !c.windows.is_empty() && !c.windows.iter().any(|w| holds(w, n)) {
            windows_ok = false;
        }
        for (name, b) in &c.blackouts {
            if holds(b, n) && !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let open = (lift.windows || windows_ok)
        && (lift.blackouts || names.iter().all(|n| by_name.contains(n)));
    (open, names, windows_ok)
}

fn lift_of(i: u8) -> Lift {
    Lift {
        blackouts: i & 1 == 1,
        windows: i & 2 == 2,
        named: 0,
    }
}

/// An instant near a change of the zone's UTC offset after `base`, when there is one.
fn near_transition(tz: Tz, base: i64) -> i64 {
    let segs = segments(tz, base, base + 400 * 86_400);
    match segs.first() {
        Some(s) if segs.len() > 1 => s.end,
        _ => base,
    }
}

fn compile_model(specs: &[CalSpec], lo: i64) -> (CalendarSet, Vec<ModelCal>) {
    let mut decls = Vec::new();
    let mut models = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let (d, m) = build(s, &format!("c{i}"), lo);
        decls.push(d);
        models.push(m);
    }
    let names: Vec<String> = (0..specs.len()).map(|i| format!("c{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let regions: Vec<RegionDecl> = vec![region("r", &names)];
    let c: Vec<&CalendarDecl> = decls.iter().collect();
    let r: Vec<&RegionDecl> = regions.iter().collect();
    let (set, diags) = CalendarSet::compile(&c, &r, None);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    (set, models)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn index_agrees_with_minute_by_minute_model(
        specs in prop::collection::vec(cal_spec(), 1..3),
        year in 1995i32..2099,
        day in 0i64..365,
        lift in 0u8..4,
        named in 0u8..8,
        around_new_year in prop::bool::weighted(0.2),
        queries in prop::collection::vec((0usize..RANGE_MINUTES, 1i64..600), 6),
    ) {
        let mut lift = lift_of(lift);
        let base = NaiveDate::from_ymd_opt(year, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
            + day * 86_400;
        // Around an offset change of the first zone, or around New Year (UTC), where the
        // index splits stretches between years.
        let center = if around_new_year {
            base - day * 86_400
        } else {
            near_transition(TZ_VARIANTS[specs[0].zone], base)
        };
        let lo = (center - 36 * 3600).div_euclid(60) * 60;
        let hi = lo + RANGE_MINUTES as i64 * 60;
        let (mut set, models) = compile_model(&specs, lo);
        // Blackouts `b0`..`b2` lifted by name when their bit of `named` is set (a name no
        // calendar declares is refused, and lifts nothing in the model either).
        let mut by_name = Vec::new();
        for i in 0..3 {
            let name = format!("b{i}");
            if named & (1 << i) != 0 && let Ok(bit) = set.make_liftable(&name) {
                lift.named |= bit;
                by_name.push(name);
            }
        }
        let id = set.region("r").unwrap();
        let region = &set.regions[0];

        let mut open = Vec::with_capacity(RANGE_MINUTES);
        let mut prev = None;
        for m in 0..RANGE_MINUTES {
            let t = lo + m as i64 * 60;
            let (model_open, names, windows_ok) = model_at(&models, t, lift, &by_name);
            prop_assert_eq!(set.fits(Some(region), &region.calendars, t, t + 60, lift), model_open, "open at {}", instant(t));
            let hit = set.blackouts_meeting(&region.calendars, t, t + 60);
            let mut dedup: Vec<String> = Vec::new();
            for (n, _, _) in hit {
                if !dedup.contains(&n) {
                    dedup.push(n);
                }
            }
            prop_assert_eq!(&dedup, &names, "blackouts at {}", instant(t));
            // The public check, where the state changes and every 20 minutes.
            if prev != Some(model_open) || m % 20 == 0 {
                let c = set.check(id, instant(t), instant(t + 60), lift);
                let mut want = Vec::new();
                if !model_open {
                    if !lift.blackouts {
                        want.extend(names.iter().filter(|n| !by_name.contains(n)).cloned());
                    }
                    if !lift.windows && !windows_ok {
                        want.push(OUTSIDE_WINDOWS.to_string());
                    }
                }
                prop_assert_eq!(c.open, model_open);
                let lifted: Vec<String> = names
                    .iter()
                    .filter(|n| lift.blackouts || by_name.contains(n))
                    .cloned()
                    .collect();
                prop_assert_eq!(c.lifted, lifted, "lifted at {}", instant(t));
                prop_assert_eq!(c.blocked_by, want, "blocked_by at {}", instant(t));
            }
            prev = Some(model_open);
            open.push(model_open);
        }

        // next_window against a scan of the model's minutes.
        for (a, d) in queries {
            let d = d as usize;
            let got = set.next_window(id, instant(lo + a as i64 * 60), d as i64 * 60, lift);
            let found = (a..RANGE_MINUTES.saturating_sub(d - 1)).find(|&s| open[s..s + d].iter().all(|&o| o));
            match found {
                Some(s) => {
                    let end = (s + d..RANGE_MINUTES).find(|&i| !open[i]);
                    let (gs, ge) = got.expect("index finds the window the model finds");
                    prop_assert_eq!(gs, instant(lo + s as i64 * 60));
                    match end {
                        Some(e) => prop_assert_eq!(ge, instant(lo + e as i64 * 60)),
                        None => prop_assert!(ge >= instant(hi)),
                    }
                }
                None => {
                    if let Some((gs, _)) = got {
                        prop_assert!(gs + TimeDelta::minutes(d as i64) > instant(hi), "index found {gs} the model did not");
                    }
                }
            }
        }
    }
}

/// The proptest ranges are built around offset changes; make sure that is what happens.
#[test]
fn model_ranges_cover_offset_changes() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let base = chrono::DateTime::parse_from_rfc3339("2026-01-10T00:00:00Z")
        .unwrap()
        .timestamp();
    assert_eq!(
        instant(near_transition(berlin, base)),
        "2026-03-29T01:00:00Z".parse::<Instant>().unwrap()
    );
}

// ---- the whole change: every calendar of every region at once ----------------------------

/// Zones with 30- and 45-minute offsets, and zones whose clocks change (Lord Howe by 30
/// minutes), for the calendars of a change that spans regions.
const GROUP_ZONES: &[&str] = &[
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "Australia/Eucla",
    "America/St_Johns",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Singapore",
];
/// The zones above whose offset changes: the test range is centred on one of their changes.
const DST_ZONES: &[&str] = &[
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "America/St_Johns",
];

fn zone_index(name: &str) -> usize {
    TZ_VARIANTS.iter().position(|z| z.name() == name).unwrap()
}

fn group_cal_spec() -> impl Strategy<Value = CalSpec> {
    (
        prop::sample::select(GROUP_ZONES),
        prop::collection::vec(spec(), 0..3),
    )
        .prop_map(|(zone, entries)| CalSpec {
            zone: zone_index(zone),
            entries,
        })
}

/// Calendars `c0..`, and regions `r0..` each using the calendars assigned to it (`assign[i]`
/// is calendar `i`'s region), in order.
fn compile_regions(specs: &[CalSpec], assign: &[usize], lo: i64) -> (CalendarSet, Vec<ModelCal>) {
    let mut decls = Vec::new();
    let mut models = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let (d, m) = build(s, &format!("c{i}"), lo);
        decls.push(d);
        models.push(m);
    }
    let mut members: Vec<Vec<String>> = Vec::new();
    for (i, &r) in assign.iter().enumerate() {
        while members.len() <= r {
            members.push(Vec::new());
        }
        members[r].push(format!("c{i}"));
    }
    let regions: Vec<RegionDecl> = members
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .map(|(k, m)| {
            let names: Vec<&str> = m.iter().map(String::as_str).collect();
            region(&format!("r{k}"), &names)
        })
        .collect();
    let c: Vec<&CalendarDecl> = decls.iter().collect();
    let r: Vec<&RegionDecl> = regions.iter().collect();
    let (set, diags) = CalendarSet::compile(&c, &r, None);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    (set, models)
}

/// What a region says at a minute, from the model: open, and `blocked_by`.
fn model_blocked(models: &[&ModelCal], t: i64, lift: Lift) -> (bool, Vec<String>) {
    let (open, names, windows_ok) = model_at(models.iter().copied(), t, lift, &[]);
    let mut want = Vec::new();
    if !open {
        if !lift.blackouts {
            want.extend(names);
        }
        if !lift.windows && !windows_ok {
            want.push(OUTSIDE_WINDOWS.to_string());
        }
    }
    (open, want)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// A change touching every region: each region's check, `allowed` (every region open),
    /// the whole group's `blocked_by`, and the whole change's next window equal a
    /// minute-by-minute model over all the calendars in their zones, around an offset change
    /// of one of them.
    #[test]
    fn whole_change_agrees_with_minute_by_minute_model(
        specs in prop::collection::vec(group_cal_spec(), 2..5),
        assign_seed in prop::collection::vec(0usize..4, 4),
        year in 2000i32..2090,
        day in 0i64..365,
        dst in 0..DST_ZONES.len(),
        lift in 0u8..4,
        queries in prop::collection::vec((0usize..RANGE_MINUTES, 1i64..300), 8),
    ) {
        let lift = lift_of(lift);
        let assign: Vec<usize> = (0..specs.len()).map(|i| assign_seed[i] % specs.len()).collect();
        let base = NaiveDate::from_ymd_opt(year, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
            + day * 86_400;
        let center = near_transition(DST_ZONES[dst].parse().unwrap(), base);
        let lo = (center - 36 * 3600).div_euclid(60) * 60;
        let hi = lo + RANGE_MINUTES as i64 * 60;
        let (set, models) = compile_regions(&specs, &assign, lo);
        let regions: Vec<RegionId> = (0..set.regions.len()).map(|i| RegionId(i as u32)).collect();
        // The whole change's calendars, as the decision gathers them: region by region.
        let group: CalendarGroup = regions
            .iter()
            .flat_map(|&r| set.region_calendars(r).iter().copied())
            .collect();
        prop_assert_eq!(group.ids().len(), specs.len());
        let models_of = |ids: &[CalendarId]| -> Vec<&ModelCal> {
            ids.iter().map(|c| &models[c.0 as usize]).collect()
        };
        let all = models_of(group.ids());

        let mut open = Vec::with_capacity(RANGE_MINUTES);
        let mut prev = None;
        for m in 0..RANGE_MINUTES {
            let t = lo + m as i64 * 60;
            let (whole_open, whole_blocked) = model_blocked(&all, t, lift);
            if prev != Some(whole_open) || m % 30 == 0 {
                let (s, e) = (instant(t), instant(t + 60));
                let mut allowed = true;
                let mut ends = Vec::new();
                for &r in &regions {
                    let c = set.check(r, s, e, lift);
                    let (want_open, want) = model_blocked(&models_of(set.region_calendars(r)), t, lift);
                    prop_assert_eq!(c.open, want_open, "region {} at {}", set.region_name(r), s);
                    prop_assert_eq!(&c.blocked_by, &want, "region {} at {}", set.region_name(r), s);
                    allowed &= c.open;
                    ends.extend(c.next_window.filter(|w| w.0 == s).map(|w| w.1));
                }
                prop_assert_eq!(allowed, whole_open, "allowed at {}", s);
                let g = set.check_group(group.ids(), s, e, lift, None);
                prop_assert_eq!(g.open, whole_open);
                prop_assert_eq!(&g.blocked_by, &whole_blocked, "whole change at {}", s);
                // When every region allows the change, the decision takes the common
                // stretch's end as the earliest of the regions' ends: the same as the search.
                if allowed {
                    prop_assert_eq!(g.next_window, Some((s, ends.iter().copied().min().unwrap())));
                }
            }
            prev = Some(whole_open);
            open.push(whole_open);
        }

        for (a, d) in queries {
            let d = d as usize;
            // A run that does not fit but starts in an open stretch: where that stretch
            // ends, as the model says and as a search for one second from the start finds.
            let (s, e) = (instant(lo + a as i64 * 60), instant(lo + (a + d) as i64 * 60));
            let g = set.check_group(group.ids(), s, e, lift, None);
            let one = set.group_next_window(group.ids(), s, 1, lift).filter(|w| w.0 == s).map(|w| w.1);
            prop_assert_eq!(g.open_until, if g.open { None } else { one }, "whole change at {}", s);
            if !g.open {
                match (open[a], g.open_until) {
                    (false, got) => prop_assert_eq!(got, None, "closed at {}", s),
                    (true, None) => prop_assert!(false, "open at {s}, but no stretch end"),
                    (true, Some(until)) => match (a..RANGE_MINUTES).find(|&i| !open[i]) {
                        Some(i) => prop_assert_eq!(until, instant(lo + i as i64 * 60)),
                        None => prop_assert!(until >= instant(hi)),
                    },
                }
            }
            for &r in &regions {
                let c = set.check(r, s, e, lift);
                let one = set.next_window(r, s, 1, lift).filter(|w| w.0 == s).map(|w| w.1);
                prop_assert_eq!(c.open_until, if c.open { None } else { one }, "region {} at {}", set.region_name(r), s);
            }
            let got = set.group_next_window(group.ids(), instant(lo + a as i64 * 60), d as i64 * 60, lift);
            let found = (a..RANGE_MINUTES.saturating_sub(d - 1)).find(|&s| open[s..s + d].iter().all(|&o| o));
            match found {
                Some(s) => {
                    let end = (s + d..RANGE_MINUTES).find(|&i| !open[i]);
                    let (gs, ge) = got.expect("the search finds the window the model finds");
                    prop_assert_eq!(gs, instant(lo + s as i64 * 60));
                    match end {
                        Some(e) => prop_assert_eq!(ge, instant(lo + e as i64 * 60)),
                        None => prop_assert!(ge >= instant(hi)),
                    }
                }
                None => {
                    if let Some((gs, _)) = got {
                        prop_assert!(gs + TimeDelta::minutes(d as i64) > instant(hi), "the search found {gs}, the model nothing");
                    }
                }
            }
        }
    }
}

/// The group test's ranges are centred on offset changes of zones it names; Lord Howe's is
/// half an hour.
#[test]
fn group_model_zones_change_offsets() {
    let lord_howe: Tz = "Australia/Lord_Howe".parse().unwrap();
    let base = chrono::DateTime::parse_from_rfc3339("2026-01-10T00:00:00Z")
        .unwrap()
        .timestamp();
    let t = near_transition(lord_howe, base);
    let segs = segments(lord_howe, t - 3600, t + 3600);
    assert_eq!(segs.len(), 2);
    assert_eq!((segs[0].offset - segs[1].offset).abs(), 1800);
    for z in GROUP_ZONES.iter().chain(DST_ZONES) {
        zone_index(z);
    }
}
