//! Billing and penalty engine for the SMS service contract (agreement 2025-TX17-056).
//!
//! Computes the settlement statement of a period exact to the fen: the
//! billable count (4.1.3), the fee at 0.041 CNY a message (4.2), the budget
//! cap over the term (4.1.5), every penalty of 6.4–6.12 offset against the fee
//! with any excess carried forward, exemptions (7.1–7.4) and Party A's
//! late-payment charge (2.4). All money is [`rust_decimal::Decimal`]; the
//! contract's numbers and readings are data ([`Terms`], TOML).
#![forbid(unsafe_code)]

pub mod counter;
pub mod engine;
pub mod error;
pub mod incidents;
pub mod money;
pub mod period;
pub mod render;
pub mod settle;
pub mod sla;
pub mod terms;
pub mod when;

pub use counter::BillableCounter;
pub use engine::{
    settle_period, settle_term, ClaimLine, LateCharge, Ledger, PenaltyLine, PeriodInput, Statement,
};
pub use error::BillingError;
pub use incidents::IncidentLog;
pub use period::Period;
pub use settle::Settlement;
pub use sla::SlaWindow;
pub use terms::Terms;
