//! Deterministic, clock-free protocol state machines.
//!
//! Nothing here performs I/O or reads a clock: the caller passes the current time in and
//! polls for packets to send, the next wake-up time and events (the `quinn-proto` pattern).
//! The async shells in [`crate::client`] and [`crate::server`] move bytes and time in and out.

pub mod client;
pub mod gateway;
pub mod login;
pub mod server;
pub mod submit_check;

pub use client::{
    ClientSession, CmppSp, LostRequest, RejectReason, RequestId, RequestOutcome, ResendReason,
    Response, SessionConfig, SessionEvent, SubmitRejected,
};
pub use gateway::{
    CmppGateway, GatewayAnswer, GatewayCore, GatewayInbound, GatewayPacket, InboundKind,
};
pub use login::{LoginGuard, LoginPolicy, LoginRefusal};
pub use server::{CloseReason, SendDeliver, ServerEvent, ServerSession, ServerSessionConfig};
pub use sms_session::{backoff, bucket, Backoff, TokenBucket};
pub use submit_check::{SubmitChecks, SubmitFault};

/// Writes `sequence_id` into bytes 8..12 of an encoded packet.
pub(crate) fn set_sequence_id(frame: &mut [u8], sequence_id: u32) {
    if let Some(slot) = frame.get_mut(8..12) {
        slot.copy_from_slice(&sequence_id.to_be_bytes());
    }
}

/// Command_Id of an encoded packet, if the header is present.
pub(crate) fn command_id_of(frame: &[u8]) -> Option<u32> {
    let b = frame.get(4..8)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}
