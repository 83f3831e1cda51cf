//! The hospital domain, under `policies/hospital.polar`: doctors, patients,
//! wards, and a year of timestamped visits around a fixed `now`.
//!
//! The policy grants access by time windows: a doctor attends (reads and
//! writes) a patient for 7 days after a visit and consults (reads) for 2
//! days before one; on-call doctors read the records of the patients of
//! their ward during their shift, restricted patients excepted; grants hold
//! until they expire. The store is materialized at one `now`
//! ([`super::NOW`]), so only the visits, shifts and grants whose window
//! holds `now` derive tuples: most of the history derives nothing.
//!
//! Every patient has one to three regular doctors; visits are drawn over
//! the past `history_days` (19 in 20) and the next `upcoming_days` (1 in
//! 20). Each ward has shifts of 12 hours around `now`, two doctors each.
//!
//! The stream: new visits (within the last 3 days or the next 2, so each
//! one matters now), admissions and discharges.

use engine::{Fact, Value};
use serde_json::json;

use super::{delete, entity, insert, scaled, shuffle, Domain, Epoch, NOW};
use crate::rng::Rng;

/// The policy.
pub const POLICY: &str = include_str!("../../../policies/hospital.polar");

const DAY: i64 = 86_400;
const SHIFT: i64 = 12 * 3_600;

/// Sizes of the world and its stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HospitalConfig {
    /// Doctors.
    pub doctors: usize,
    /// Patients.
    pub patients: usize,
    /// Visits.
    pub visits: usize,
    /// Wards.
    pub wards: usize,
    /// Days of visit history before `now`.
    pub history_days: i64,
    /// Days of scheduled visits after `now`.
    pub upcoming_days: i64,
    /// Patients admitted to a ward, in percent.
    pub admitted_percent: usize,
    /// New visits in the stream.
    pub new_visits: usize,
    /// Admissions in the stream.
    pub admissions: usize,
    /// Discharges in the stream.
    pub discharges: usize,
}

impl HospitalConfig {
    /// The sizes of a default run (1,000 doctors, 50,000 patients, 500,000
    /// visits) or a quick one, scaled by `scale`.
    pub fn sized(quick: bool, scale: f64) -> HospitalConfig {
        let (doctors, patients, visits, wards, stream) = if quick {
            (50, 1_000, 10_000, 4, 20)
        } else {
            (1_000, 50_000, 500_000, 20, 200)
        };
        HospitalConfig {
            doctors: scaled(doctors, scale, 1),
            patients: scaled(patients, scale, 1),
            visits: scaled(visits, scale, 1),
            wards: scaled(wards, scale, 1),
            history_days: 365,
            upcoming_days: 14,
            admitted_percent: 10,
            new_visits: stream,
            admissions: stream / 2,
            discharges: stream / 2,
        }
    }
}

fn doctor(i: usize) -> Value {
    entity("Doctor", "doc", i)
}
fn patient(i: usize) -> Value {
    entity("Patient", "p", i)
}
fn ward(i: usize) -> Value {
    entity("Ward", "w", i)
}
fn visit(d: usize, p: usize, t: i64) -> Fact {
    Fact::new("visit", vec![doctor(d), patient(p), Value::Int(t)])
}
fn admitted(p: usize, w: usize) -> Fact {
    Fact::new("admitted", vec![patient(p), ward(w)])
}
/// A time `0..span` seconds after `start`.
fn time_in(start: i64, span: i64, rng: &mut Rng) -> i64 {
    start + (rng.next_u64() % span.max(1) as u64) as i64
}

/// The generated world, kept up to date by the stream.
#[derive(Clone, Debug)]
pub struct World {
    /// The regular doctors of each patient.
    pub doctors_of: Vec<Vec<usize>>,
    /// The ward each patient lies in, if admitted.
    pub ward_of: Vec<Option<usize>>,
    /// Wards.
    pub wards: usize,
    /// The fixed `now`.
    pub now: i64,
}

/// The world `config` describes, and its facts.
pub fn generate(config: &HospitalConfig, seed: u64) -> (World, Vec<Fact>) {
    let mut rng = Rng::new(seed);
    let (doctors, wards) = (config.doctors.max(1), config.wards.max(1));
    let mut facts = Vec::new();
    let doctors_of: Vec<Vec<usize>> = (0..config.patients)
        .map(|_| (0..rng.range(1, 3)).map(|_| rng.below(doctors)).collect())
        .collect();
    let (past, ahead) = (config.history_days * DAY, config.upcoming_days * DAY);
    if config.patients > 0 {
        for _ in 0..config.visits {
            let p = rng.below(config.patients);
            let d = doctors_of[p][rng.below(doctors_of[p].len())];
            let t = if rng.below(20) == 0 {
                time_in(NOW, ahead, &mut rng)
            } else {
                time_in(NOW - past, past, &mut rng)
            };
            facts.push(visit(d, p, t));
        }
    }
    let mut ward_of = vec![None; config.patients];
    for (p, ward_of) in ward_of.iter_mut().enumerate() {
        if rng.below(100) < config.admitted_percent {
            let w = rng.below(wards);
            *ward_of = Some(w);
            facts.push(admitted(p, w));
        }
        if rng.below(100) == 0 {
            facts.push(Fact::new("restricted", vec![patient(p)]));
        }
        // A grant to a random doctor, expiring within 30 days of now.
        if rng.below(100) == 0 {
            let expires = time_in(NOW - 30 * DAY, 60 * DAY, &mut rng);
            let role = Value::str(if rng.below(2) == 0 {
                "consultant"
            } else {
                "attending"
            });
            let args = vec![
                doctor(rng.below(doctors)),
                role,
                patient(p),
                Value::Int(expires),
            ];
            facts.push(Fact::new("grant", args));
        }
    }
    // Shifts of 12 hours from 3 days before now to 3 days after, two
    // doctors each.
    for w in 0..wards {
        let mut start = NOW - 3 * DAY;
        while start < NOW + 3 * DAY {
            for _ in 0..2 {
                let args = vec![
                    doctor(rng.below(doctors)),
                    ward(w),
                    Value::Int(start),
                    Value::Int(start + SHIFT),
                ];
                facts.push(Fact::new("on_call", args));
            }
            start += SHIFT;
        }
    }
    let world = World {
        doctors_of,
        ward_of,
        wards,
        now: NOW,
    };
    (world, facts)
}

impl World {
    /// A visit by one of a patient's doctors in the last 3 days or the
    /// next 2.
    fn new_visit(&mut self, rng: &mut Rng) -> Option<Epoch> {
        let p = rng.below(self.doctors_of.len());
        let doctors = self.doctors_of.get(p)?;
        let d = *doctors.get(rng.below(doctors.len()))?;
        let t = time_in(self.now - 3 * DAY, 5 * DAY, rng);
        Some(Epoch::new("new visit", vec![insert(visit(d, p, t))]))
    }

    /// A patient not in a ward is admitted to one.
    fn admission(&mut self, rng: &mut Rng) -> Option<Epoch> {
        let p = rng.below(self.ward_of.len());
        if self.ward_of.get(p)?.is_some() {
            return None;
        }
        let w = rng.below(self.wards);
        self.ward_of[p] = Some(w);
        Some(Epoch::new("admission", vec![insert(admitted(p, w))]))
    }

    /// A patient in a ward is discharged.
    fn discharge(&mut self, rng: &mut Rng) -> Option<Epoch> {
        let p = rng.below(self.ward_of.len());
        let w = self.ward_of.get_mut(p)?.take()?;
        Some(Epoch::new("discharge", vec![delete(admitted(p, w))]))
    }
}

/// The change stream, shuffled; changes that cannot be made are redrawn
/// (up to 100 times), then dropped.
pub fn stream(world: &mut World, config: &HospitalConfig, rng: &mut Rng) -> Vec<Epoch> {
    let mut kinds = vec![0u8; config.new_visits];
    kinds.extend(std::iter::repeat_n(1u8, config.admissions));
    kinds.extend(std::iter::repeat_n(2u8, config.discharges));
    shuffle(&mut kinds, rng);
    let mut epochs = Vec::with_capacity(kinds.len());
    if world.doctors_of.is_empty() {
        return epochs;
    }
    for kind in kinds {
        let epoch = (0..100).find_map(|_| match kind {
            0 => world.new_visit(rng),
            1 => world.admission(rng),
            _ => world.discharge(rng),
        });
        epochs.extend(epoch);
    }
    epochs
}

/// The domain: the world's facts and its stream.
pub fn domain(config: &HospitalConfig, seed: u64) -> Domain {
    let (mut world, facts) = generate(config, seed);
    let mut rng = Rng::new(seed ^ 0x4059_17a1);
    let epochs = stream(&mut world, config, &mut rng);
    Domain {
        name: "hospital",
        policy_path: "policies/hospital.polar",
        policy: POLICY,
        now: NOW,
        config: json!({
            "doctors": config.doctors,
            "patients": config.patients,
            "visits": config.visits,
            "wards": config.wards,
            "history_days": config.history_days,
            "upcoming_days": config.upcoming_days,
            "admitted_percent": config.admitted_percent,
            "now": NOW,
            "new_visits": config.new_visits,
            "admissions": config.admissions,
            "discharges": config.discharges,
        }),
        facts,
        epochs,
    }
}
