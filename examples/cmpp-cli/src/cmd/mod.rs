//! One module per subcommand.

pub mod cancel;
pub mod decode;
pub mod demo;
pub mod demo_traffic;
pub mod journal;
pub mod policy;
pub mod query;
pub mod reconcile;
pub mod report;
pub mod send;
pub mod serve;
pub mod settle;
pub mod trace;
