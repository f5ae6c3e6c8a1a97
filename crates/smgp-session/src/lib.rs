//! smgp-session: SMGP 3.0 (China Telecom) sessions on the protocol-neutral core of
//! [`sms_session`].
//!
//! * [`proto::SmgpSp`]: the SP side of a link as an [`sms_session::Protocol`] — Submit and
//!   Query are requests with a window slot; Deliver (MO messages and status reports) is
//!   inbound, answered with Deliver_Resp only once the application holds it; Active_Test is
//!   the heartbeat; Exit the close. Submit_Resp Status 1 ("system busy") is flow control.
//! * [`proto::SmgpGateway`]: the gateway side — Deliver pushes are the requests; Submit and
//!   Query are inbound, answered with the gateway's decision.
//! * [`mod@login`]: the Login / Login_Resp handshake over a TCP stream, for both sides.
//! * [`Client`]: the SP role on the core's async driver — a pool of links, submit → outcome
//!   with the gateway's MsgID, status reports matched to their submit and MO messages, each
//!   with a [`DeliverAck`], close with drain.
//! * [`Server`]: the gateway role — Login check against [`Accounts`], a [`Handler`] per
//!   Submit, Deliver pushes ([`ServerHandle::deliver`]) re-pushed until the SP answers them.
//!
//! Window, T/N re-sends, flow-control back-off, heartbeats, reconnects, drain and the event
//! stream are the core's; this crate supplies SMGP's numbering, packet sorting, control
//! packets, login and codes. See `docs/smgp.md` ("Session").
#![forbid(unsafe_code)]

pub mod client;
pub mod login;
pub mod proto;
pub mod server;

pub use client::{
    Client, ClientConfig, ClientEvent, DeliverAck, LifecycleKind, SubmitError, SubmitOutcome,
};
pub use login::{
    accept_login, connect, login, Accepted, Account, Accounts, GatewayLoginConfig, LoggedIn,
    LoginError, LoginMode, LoginRefusal, SpLoginConfig,
};
pub use proto::{
    GatewayAnswer, GatewayInbound, GatewaySession, InboundKind, SmgpGateway, SmgpSp, SpResponse,
    SpSession,
};
pub use server::{
    ConnInfo, DeliverError, Handler, Server, ServerConfig, ServerHandle, ServerStats,
    SubmitDecision,
};
