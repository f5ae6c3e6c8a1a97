//! The SP side of a CMPP link on the session core: [`CmppSp`] tells [`sms_session::Session`]
//! how CMPP numbers, sorts and answers packets; window, T/N re-sends, result-8 back-off,
//! heartbeats and drain are the core's.

use bytes::BytesMut;
use cmpp_codec::frame::CommandId;
use cmpp_codec::{
    encode, ActiveTestResp, CancelResp, Deliver, DeliverResp, DeliverResult, MsgId, Packet, Pdu,
    QueryResp, SubmitResp, SubmitResult, Version,
};
use sms_session::{Control, Incoming, Protocol};

pub use sms_session::{
    LostRequest, RejectReason, RequestId, ResendReason, SessionConfig, SubmitRejected,
};

use super::{command_id_of, set_sequence_id};

/// The SP-side CMPP session state machine (after a successful login).
pub type ClientSession = sms_session::Session<CmppSp>;
/// Something a [`ClientSession`] wants the caller to know.
pub type SessionEvent = sms_session::SessionEvent<CmppSp>;
/// Final outcome of a SUBMIT, QUERY or CANCEL.
pub type RequestOutcome = sms_session::RequestOutcome<Response>;

/// The gateway's answer to one of the SP's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// SUBMIT_RESP.
    Submit(SubmitResp),
    /// QUERY_RESP.
    Query(QueryResp),
    /// CANCEL_RESP.
    Cancel(CancelResp),
}

/// CMPP as seen from the SP: SUBMIT, QUERY and CANCEL are requests, DELIVER is inbound,
/// ACTIVE_TEST is the heartbeat and TERMINATE the close.
#[derive(Debug, Clone)]
pub struct CmppSp {
    version: Version,
    next_seq: u32,
}

impl CmppSp {
    /// The SP side of a `version` link whose Sequence_Ids start at `first_sequence_id`.
    pub fn new(version: Version, first_sequence_id: u32) -> Self {
        CmppSp {
            version,
            next_seq: first_sequence_id,
        }
    }

    /// The wire layout.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The Sequence_Id the next packet will get.
    pub fn next_sequence_id(&self) -> u32 {
        self.next_seq
    }
}

impl Protocol for CmppSp {
    type Seq = u32;
    type Packet = Packet;
    type Response = Response;
    type Inbound = Deliver;
    type InboundKey = MsgId;
    type Answer = DeliverResult;

    fn classify(&mut self, packet: Packet) -> Incoming<Self> {
        let seq = packet.sequence_id;
        let response = |answers: CommandId, name, response| Incoming::Response {
            seq,
            answers: answers.0,
            name,
            response,
        };
        match packet.pdu {
            Pdu::SubmitResp(r) => response(CommandId::SUBMIT, "SUBMIT_RESP", Response::Submit(r)),
            Pdu::QueryResp(r) => response(CommandId::QUERY, "QUERY_RESP", Response::Query(r)),
            Pdu::CancelResp(r) => response(CommandId::CANCEL, "CANCEL_RESP", Response::Cancel(r)),
            Pdu::Deliver(deliver) => Incoming::Inbound {
                seq,
                key: deliver.msg_id,
                inbound: deliver,
            },
            Pdu::ActiveTest => Incoming::Heartbeat { seq },
            Pdu::ActiveTestResp(_) => Incoming::HeartbeatResp,
            Pdu::Terminate => Incoming::Terminate { seq },
            Pdu::TerminateResp => Incoming::TerminateResp { seq },
            other => Incoming::Unexpected {
                seq,
                name: other.name(),
            },
        }
    }

    fn next_sequence(&mut self) -> u32 {
        let s = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        s
    }

    fn set_sequence(frame: &mut [u8], seq: u32) {
        set_sequence_id(frame, seq);
    }

    fn sequence_of(frame: &[u8]) -> Option<u32> {
        let b = frame.get(8..12)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn request_command(frame: &[u8]) -> Option<u32> {
        command_id_of(frame).filter(|&c| {
            c == CommandId::SUBMIT.0 || c == CommandId::QUERY.0 || c == CommandId::CANCEL.0
        })
    }

    fn is_flow_control(response: &Response) -> bool {
        matches!(response, Response::Submit(r) if r.result == SubmitResult::FlowControl)
    }

    fn encode_control(
        &mut self,
        control: &Control<Self>,
        buf: &mut BytesMut,
    ) -> Result<(), String> {
        let packet = match *control {
            Control::Heartbeat(s) => Packet::new(s, Pdu::ActiveTest),
            Control::HeartbeatResp(s) => Packet::new(s, ActiveTestResp::default()),
            Control::Terminate(s) => Packet::new(s, Pdu::Terminate),
            Control::TerminateResp(s) => Packet::new(s, Pdu::TerminateResp),
            Control::Answer { seq, key, answer } => Packet::new(
                seq,
                DeliverResp {
                    msg_id: key,
                    result: answer,
                },
            ),
            _ => return Err(format!("no CMPP packet for {control:?}")),
        };
        encode(&packet, self.version, buf).map_err(|e| e.to_string())
    }
}

impl sms_session::link::Wire for CmppSp {
    const HEADER_LEN: usize = cmpp_codec::frame::HEADER_LEN;

    fn decode(&self, frame: bytes::Bytes) -> Result<Packet, String> {
        cmpp_codec::decode(frame, self.version).map_err(|e| e.to_string())
    }

    fn plausible_command(command: u32) -> bool {
        crate::io::is_plausible(command)
    }
}

#[cfg(test)]
mod tests;
