//! Billing and penalty engine for the SMS service contract (agreement 2025-TX17-056).
//!
//! Computes the settlement statement of a period exact to the fen: the
//! billable count (4.1.3), the fee at 0.041 CNY a message (4.2), the budget
//! cap over the term (4.1.5), every penalty of 6.4–6.12 offset against the fee
//! with any excess carried forward (owed at the term's end), exemptions
//! (7.1–7.4: their windows' messages leave the 6.9/6.10 rates) and Party A's
//! late-payment charge (2.4). A whole term settles as one chain, recorded in a
//! [`TermLedger`] file so a later single-period run continues it. All money is [`rust_decimal::Decimal`]; the
//! contract's numbers and readings are data ([`Terms`], TOML).
#![forbid(unsafe_code)]

pub mod clauses;
pub mod counter;
pub mod engine;
pub mod error;
pub mod exempt;
pub mod incidents;
pub mod ledger;
pub mod money;
pub mod period;
pub mod render;
pub mod settle;
pub mod sla;
pub mod terms;
pub mod when;

pub use counter::BillableCounter;
pub use engine::{
    settle_period, settle_term, ClaimLine, LateCharge, Ledger, OutsideLine, PenaltyLine,
    PeriodInput, Statement, TermSummary,
};
pub use error::BillingError;
pub use incidents::IncidentLog;
pub use ledger::{LedgerEntry, TermLedger};
pub use period::Period;
pub use settle::Settlement;
pub use sla::SlaWindow;
pub use terms::Terms;
