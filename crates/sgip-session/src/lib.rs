//! sgip-session: SGIP 1.2 (China Unicom) sessions on the protocol-neutral `sms-session` core.
//!
//! SGIP splits a carrier connection into two client→server links: the SP opens the MT link
//! to the SMG (Bind type 1) to send Submit, and the SMG opens the MO link to the SP's own
//! listener (Bind type 2) to push Deliver (MO), Report (status reports) and UserRpt. This
//! crate supplies what the core needs for each end of each link:
//!
//! * [`proto`]: the four [`sms_session::Protocol`] implementations ([`SpMt`], [`SpMo`],
//!   [`SmgMt`], [`SmgMo`]), clock-free, and [`Numbering`] (the 12-byte sequence number from a
//!   node id, an injected time source and a shared counter);
//! * [`login`]: the Bind / Bind_Resp handshake for the side that opens a link ([`bind`],
//!   typed [`LoginError`] with permanent vs transient failures) and for the side that accepts
//!   it ([`accept_bind`] against [`Accounts`]);
//! * [`Client`]: the SP — a pool of MT links ([`Client::submit`] → [`SubmitOutcome`] with
//!   the Submit's sequence number) and the MO listener, whose reports and MO messages come
//!   on one event stream ([`ClientEvent`]) with an [`Ack`] each (answered only on accept);
//! * [`Server`]: the gateway — accepts MT links, asks a [`SubmitHandler`] about each Submit,
//!   and pushes Deliver / Report / UserRpt to the SP's listener ([`ServerHandle::push`]).
//!
//! Window, T/N re-sends, flow-control back-off, drain, reconnects, the event stream and the
//! at-least-once answer of inbound requests are the core's (`sms_session::link`); this crate
//! only says how SGIP logs in, numbers, sorts and answers packets.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use sgip_codec::{Pdu, Report, ReportState, ResultCode, SequenceNumber, Submit, Text};
//! use sgip_session::{
//!     Accounts, Client, ClientConfig, ClientEvent, Credentials, PeerInfo, Server, ServerConfig,
//!     SubmitDecision, SubmitHandler,
//! };
//!
//! /// A gateway that accepts every Submit.
//! struct AcceptAll;
//!
//! impl SubmitHandler for AcceptAll {
//!     fn on_submit(&self, _: &PeerInfo, _: SequenceNumber, _: &Submit) -> SubmitDecision {
//!         SubmitDecision::Respond(ResultCode::OK)
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! // The SP's listener address, registered with the operator (here: a free local port).
//! let sp_listen = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
//! let smg = Server::bind(
//!     "127.0.0.1:0".parse()?,
//!     ServerConfig::new(Accounts::new().with("sp1", "secret"))
//!         .with_push(sp_listen, Credentials::new("sp1", "secret")),
//!     Arc::new(AcceptAll),
//! )
//! .await?;
//!
//! let client = Client::connect(
//!     ClientConfig::new(smg.local_addr(), "sp1", "secret", sp_listen).with_node_id(3_010_012_345),
//! )
//! .await?;
//! let mut events = client.events().expect("the first subscriber");
//!
//! let submit = Submit {
//!     sp_number: Text::try_from("10690090")?,
//!     user_numbers: vec![Text::try_from("8617600000000")?],
//!     message_content: "hello".into(),
//!     ..Submit::default()
//! };
//! let outcome = client.submit("m-1", submit).await?;
//! assert!(outcome.result.is_ok());
//!
//! // The SMG reports over the MO link it opens to the SP's listener.
//! let report = Report {
//!     submit_sequence: outcome.sequence,
//!     report_type: 0,
//!     user_number: Text::try_from("8617600000000")?,
//!     state: ReportState::Delivered,
//!     error_code: ResultCode::OK,
//!     reserve: Text::EMPTY,
//! };
//! let handle = smg.handle();
//! let push = tokio::spawn(async move { handle.push(Pdu::Report(report)).await });
//! if let Some(ClientEvent::Report { report, local_id, ack }) = events.recv().await {
//!     assert_eq!(report.submit_sequence, outcome.sequence); // all 12 bytes
//!     assert_eq!(local_id.as_deref(), Some("m-1"));
//!     ack.accept(); // store it first: only now is Report_Resp sent
//! }
//! assert_eq!(push.await??, ResultCode::OK);
//!
//! client.close(Duration::from_secs(1)).await;
//! smg.shutdown().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A status report names its Submit by all 12 bytes of the Submit's sequence number
//! ([`sgip_codec::Report::submit_sequence`]), which is the `seq` the core reports for the
//! Submit; result codes and report states map to neutral cause classes in
//! [`sgip_codec::codes`].
#![forbid(unsafe_code)]

pub mod client;
pub mod login;
pub mod proto;
pub mod server;
pub mod wire;

pub use client::{Ack, Client, ClientConfig, ClientEvent, SubmitError, SubmitOutcome};
pub use login::{
    accept_bind, bind, read_packet, AcceptError, Accounts, BoundPeer, Credentials, LoginError,
    ReadError,
};
pub use proto::{
    Numbering, SmgMo, SmgMoSession, SmgMt, SmgMtSession, SpInbound, SpMo, SpMoSession, SpMt,
    SpMtSession, SpResponse,
};
pub use server::{
    PeerInfo, PushError, PushTarget, Server, ServerConfig, ServerHandle, SubmitDecision,
    SubmitHandler,
};
pub use sgip_codec::pdu::bind::{LOGIN_SMG_TO_SP, LOGIN_SP_TO_SMG};
/// The reconnect policy of [`ClientConfig`] and [`ServerConfig`], and their clock.
pub use sms_session::{Backoff, Clock, SystemClock};
