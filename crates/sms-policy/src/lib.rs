//! Checks a short message must pass before it leaves: the sender's duties of the contract.
//!
//! A [`Policy`] runs, in this order, stopping at the first refusal ([`Check::ALL`]):
//!
//! | name | rule |
//! |---|---|
//! | `calling_number` | clause 2.6: the calling number starts with the access number (`121231100`) and fits Src_Id (21 bytes) |
//! | `destination_format` | an 11-digit mainland mobile number; `86`, `+86`, `0086` prefixes removed |
//! | `carrier` | a route exists: the routing table ([`Routes`]: ranges by MIIT allocation, ported numbers) gives the destination a carrier the SP has a contract with (China Mobile only by default) |
//! | `subscription` | clause 2.9: opted in (when an opt-in list is given) and not opted out |
//! | `content` | clause 2.9: no refused keyword (width- and case-insensitive); clause 2.2: advertising only when permitted |
//! | `rate` | at most N messages of a category to one destination per sliding window |
//!
//! [`Policy::check`] takes `&self`, allocates nothing on acceptance and does not count the
//! message; [`Policy::record_sent`] counts it once it is handed to the gateway
//! ([`Policy::admit`] does both). A refusal becomes a journal event with
//! [`refusal_event`]. Unsubscribe replies go through [`Policy::handle_user_message`].
//!
//! The crate is protocol-neutral: no CMPP, no I/O besides its own list and state files.
#![forbid(unsafe_code)]

pub mod carrier;
pub mod config;
pub mod content;
pub mod dryrun;
pub mod error;
pub mod number;
pub mod numberset;
pub mod policy;
pub mod rate;
pub mod text;

pub use carrier::{PrefixTable, Routes};
pub use content::KeywordMatcher;
pub use error::PolicyError;
pub use number::{MobileNumber, NumberError, NumberFormat};
pub use numberset::NumberSet;
pub use policy::{
    refusal_event, Accepted, Check, OptOutChange, OutgoingMessage, Policy, Refusal,
    CONTRACT_ACCESS_NUMBER, DEFAULT_UNSUBSCRIBE_WORDS, SRC_ID_LEN,
};
pub use rate::{RateLimit, RateLimiter};
pub use sms_records::{Carrier, Category};
