//! SGIP on the session core, clock-free: four [`sms_session::Protocol`] implementations, one
//! per end of each of SGIP's two links.
//!
//! SGIP has no bidirectional session: on every TCP link only the side that opened it (and
//! sent Bind) sends requests; the other side only answers. An SP therefore runs two links,
//! and so does the gateway (SMG):
//!
//! | Link | Opened by (Bind type) | Requests (window, T/N re-sends) | Inbound (answered after the application holds them) |
//! |---|---|---|---|
//! | MT | SP → SMG (1) | [`SpMt`]: Submit, Trace | [`SmgMt`]: Submit |
//! | MO | SMG → SP's listener (2) | [`SmgMo`]: Deliver, Report, UserRpt | [`SpMo`]: Deliver, Report, UserRpt |
//!
//! SGIP has no heartbeat (`HEARTBEAT = false`); Unbind / Unbind_Resp is the closing
//! handshake on every link, whichever side starts it. Every packet a side creates is
//! numbered by its [`Numbering`]: node id, the `MMDDhhmmss` time from an injected clock,
//! and a counter shared by all links that clone the same `Numbering`.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use bytes::BytesMut;
use sgip_codec::{encode, CommandId, Packet, Pdu, Resp, ResultCode, SequenceNumber, Unbind};
use sms_session::{Clock, Control, Incoming, Protocol};

mod smg;
mod sp;

pub use smg::{SmgMo, SmgMt};
pub use sp::{SpInbound, SpMo, SpMt, SpResponse};

/// The SP's MT-link session (after Bind type 1).
pub type SpMtSession = sms_session::Session<SpMt>;
/// The SP's session on one MO link the SMG opened to its listener (after Bind type 2).
pub type SpMoSession = sms_session::Session<SpMo>;
/// The gateway's session on one MT link an SP opened (after Bind type 1).
pub type SmgMtSession = sms_session::Session<SmgMt>;
/// The gateway's push session on the MO link it opened to an SP (after Bind type 2).
pub type SmgMoSession = sms_session::Session<SmgMo>;

/// Numbers the packets one node creates: `node id ‖ MMDDhhmmss ‖ counter`.
///
/// Clones share the counter, so every link of a pool (and every reconnect) numbers from one
/// sequence: two Submits never carry the same 12 bytes unless the counter wraps within one
/// second (2³² packets), which is what lets a Report be matched to its Submit on the
/// sequence number alone.
#[derive(Clone)]
pub struct Numbering {
    node_id: u32,
    counter: Arc<AtomicU32>,
    /// Where the time part comes from (the system clock in production, a fixed or stepped
    /// one in tests): the sans-IO code never reads a clock itself.
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Numbering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Numbering")
            .field("node_id", &self.node_id)
            .field("next_counter", &self.counter.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Numbering {
    /// Numbers packets of node `node_id` (an SP: `3AAAAQQQQQ`, see [`sgip_codec::sp_node_id`];
    /// 0 is accepted, as many SPs send it), stamped with `clock`'s time; the counter starts at 0.
    pub fn new(node_id: u32, clock: Arc<dyn Clock>) -> Self {
        Numbering {
            node_id,
            counter: Arc::new(AtomicU32::new(0)),
            clock,
        }
    }

    /// Starts the counter at `first` (e.g. to continue after a restart).
    pub fn starting_at(self, first: u32) -> Self {
        self.counter.store(first, Ordering::Relaxed);
        self
    }

    /// The node id in part 1.
    pub fn node_id(&self) -> u32 {
        self.node_id
    }

    /// The counter the next packet gets.
    pub fn next_counter(&self) -> u32 {
        self.counter.load(Ordering::Relaxed)
    }

    /// The next sequence number (the counter wraps after `u32::MAX`).
    pub fn next(&self) -> SequenceNumber {
        let counter = self.counter.fetch_add(1, Ordering::Relaxed);
        SequenceNumber::at(self.node_id, self.clock.now_utc(), counter)
    }
}

/// The command of an encoded packet (bytes 4–7).
pub fn command_of(frame: &[u8]) -> Option<CommandId> {
    let b = frame.get(4..8)?;
    Some(CommandId(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
}

fn set_sequence(frame: &mut [u8], seq: SequenceNumber) {
    if let Some(slot) = frame.get_mut(8..20) {
        slot.copy_from_slice(&seq.to_bytes());
    }
}

fn sequence_of(frame: &[u8]) -> Option<SequenceNumber> {
    let b: [u8; 12] = frame.get(8..20)?.try_into().ok()?;
    Some(SequenceNumber::from_bytes(b))
}

/// The request command of `frame` if it is one of `allowed`.
fn request_command(frame: &[u8], allowed: &[CommandId]) -> Option<u32> {
    command_of(frame)
        .filter(|c| allowed.contains(c))
        .map(|c| c.0)
}

/// The generic response answering request `request` with `result` (None when the command has
/// no generic response).
fn generic_resp(request: CommandId, result: ResultCode) -> Option<Pdu> {
    let r = Resp::new(result);
    Some(match request {
        CommandId::BIND => Pdu::BindResp(r),
        CommandId::SUBMIT => Pdu::SubmitResp(r),
        CommandId::DELIVER => Pdu::DeliverResp(r),
        CommandId::REPORT => Pdu::ReportResp(r),
        CommandId::USER_RPT => Pdu::UserRptResp(r),
        _ => return None,
    })
}

/// Unbind / Unbind_Resp and the rejection of everything the core never sends on SGIP.
fn encode_control<P>(control: &Control<P>, buf: &mut BytesMut) -> Result<(), String>
where
    P: Protocol<Seq = SequenceNumber, InboundKey = CommandId, Answer = ResultCode>,
{
    let packet = match *control {
        Control::Terminate(s) => Packet::new(s, Pdu::Unbind(Unbind::default())),
        Control::TerminateResp(s) => Packet::new(s, Pdu::UnbindResp(Unbind::default())),
        Control::Answer { seq, key, answer } => Packet::new(
            seq,
            generic_resp(key, answer).ok_or_else(|| format!("no SGIP response to {key}"))?,
        ),
        _ => return Err(format!("SGIP has no packet for {control:?}")),
    };
    encode(&packet, buf).map_err(|e| e.to_string())
}

/// The sorting every SGIP end shares: Unbind closes, Unbind_Resp answers our Unbind,
/// anything else the caller did not claim is unexpected.
fn classify_common<P: Protocol<Seq = SequenceNumber>>(packet: Packet) -> Incoming<P> {
    let seq = packet.sequence;
    match packet.pdu {
        Pdu::Unbind(_) => Incoming::Terminate { seq },
        Pdu::UnbindResp(_) => Incoming::TerminateResp { seq },
        other => Incoming::Unexpected {
            seq,
            name: other.name(),
        },
    }
}

#[cfg(test)]
mod tests;
