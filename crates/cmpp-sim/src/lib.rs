//! cmpp-sim: an ISMG (gateway) simulator with fault injection.
//!
//! * [`SimProfile`]: TOML-configured behaviour (result mix, Stat mix, report delays, flow
//!   control, faults, MO traffic); defaults answer every SUBMIT with Result 0 and a DELIVRD
//!   report 50–500 ms later.
//! * [`SimCore`]: the decisions as pure, seeded logic with an injected clock.
//! * [`ReportQueue`]: a timer queue of status reports keyed by due time.
//! * [`Simulator`]: the `cmpp-session` gateway handler that ties them to a running server;
//!   [`sgip::SgipSimulator`] and [`smgp::SmgpSimulator`] do the same over SGIP and SMGP, all
//!   three on one shared driver (report scheduler, restarts, MO traffic).
#![forbid(unsafe_code)]

pub mod core;
pub mod counts;
pub mod dist;
mod driver;
pub mod ids;
pub mod profile;
pub mod schedule;
pub mod sgip;

pub use crate::core::{Answer, Decision, PlannedReport, SimCore, SimStats};
pub use counts::{Counters, DayCounts};
pub use ids::MsgIdGen;
pub use profile::{ProfileError, SimProfile};
pub use schedule::ReportQueue;
pub mod sim;
pub mod smgp;

pub use sim::{RunError, Running, Simulator};
