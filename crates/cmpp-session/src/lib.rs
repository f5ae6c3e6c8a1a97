//! CMPP session layer over tokio: the SP client and the ISMG (gateway) server role.
//!
//! * [`proto`]: deterministic, clock-free state machines (window, T/N resends, result-8
//!   back-off, heartbeats, drain). Unit-tested on a simulated clock.
//! * [`client`]: the SP client ([`Client`]): login, connection pool, back-pressure,
//!   reconnects, status reports and MO messages as a stream of [`ClientEvent`]s.
//! * [`server`]: the gateway role ([`Server`]) used by the simulator.
#![forbid(unsafe_code)]

pub mod io;
pub mod proto;
pub mod server;

/// Wall-clock sources (the session core's).
pub mod clock {
    pub use sms_session::clock::*;
}
pub use server::{
    Account, AccountStore, ConnectionInfo, DeliverError, GatewayHandler, InMemoryAccounts, Server,
    ServerConfig, ServerHandle, ServerStats, SubmitDecision,
};
pub use sms_session::{Clock, SystemClock, TokioClock};
pub mod client;

pub use client::{
    Client, ClientConfig, ClientEvent, ClientEvents, DeliverAck, LifecycleEvent, LifecycleKind,
    LinkLoss, LoginError, QueryError, SubmitError, SubmitOutcome, SubmitRequest, TextOptions,
};
pub use proto::{Backoff, ResendReason};
