//! The SP side of an SMGP link on the session core: [`SmgpSp`] tells
//! [`sms_session::Session`] how SMGP numbers, sorts and answers packets.

use bytes::BytesMut;
use smgp_codec::{
    encode, Bodiless, CommandId, Deliver, DeliverResp, EncodeError, MsgId, Packet, Pdu, QueryResp,
    Status, SubmitResp, Tlvs, Version,
};
use sms_session::{Control, Incoming, Protocol};

use super::{request_id_of, sequence_id_of, set_sequence_id, Counter};

/// The SP-side SMGP session state machine (after a successful Login).
pub type SpSession = sms_session::Session<SmgpSp>;

/// The gateway's answer to one of the SP's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpResponse {
    /// Submit_Resp: the MsgID the gateway gave the message (status reports name it) and Status.
    Submit(SubmitResp),
    /// Query_Resp: the statistics asked for.
    Query(QueryResp),
}

impl SpResponse {
    /// The Status of a Submit_Resp (a Query_Resp has none: success).
    pub fn status(&self) -> Status {
        match self {
            SpResponse::Submit(r) => r.status,
            SpResponse::Query(_) => Status::OK,
        }
    }
}

/// SMGP as seen from the SP: Submit and Query are requests, Deliver (MO messages and status
/// reports) is inbound, Active_Test is the heartbeat and Exit the close.
///
/// Inbound Delivers are answered with Deliver_Resp repeating their MsgID; the answer is the
/// Status to put in it (0 when the SP holds the message).
#[derive(Debug, Clone)]
pub struct SmgpSp {
    version: Version,
    seq: Counter,
}

impl SmgpSp {
    /// The SP side of a link in `version`'s layout whose SequenceIDs start at
    /// `first_sequence_id`.
    pub fn new(version: Version, first_sequence_id: u32) -> Self {
        SmgpSp {
            version,
            seq: Counter(first_sequence_id),
        }
    }

    /// The wire layout.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The SequenceID the next packet will get.
    pub fn next_sequence_id(&self) -> u32 {
        self.seq.0
    }

    /// Encodes a request (Submit or Query) for [`sms_session::Session::submit`], which puts
    /// its own SequenceID in.
    pub fn encode_request(&self, pdu: impl Into<Pdu>) -> Result<BytesMut, EncodeError> {
        let packet = Packet::new(0, pdu);
        let mut buf = BytesMut::with_capacity(packet.encoded_len());
        encode(&packet, self.version, &mut buf)?;
        Ok(buf)
    }
}

impl Protocol for SmgpSp {
    type Seq = u32;
    type Packet = Packet;
    type Response = SpResponse;
    type Inbound = Deliver;
    type InboundKey = MsgId;
    type Answer = Status;

    fn classify(&mut self, packet: Packet) -> Incoming<Self> {
        let seq = packet.sequence_id;
        let response = |answers: CommandId, name, response| Incoming::Response {
            seq,
            answers: answers.0,
            name,
            response,
        };
        match packet.pdu {
            Pdu::SubmitResp(r) => response(CommandId::SUBMIT, "SUBMIT_RESP", SpResponse::Submit(r)),
            Pdu::QueryResp(r) => response(CommandId::QUERY, "QUERY_RESP", SpResponse::Query(r)),
            Pdu::Deliver(deliver) => Incoming::Inbound {
                seq,
                key: deliver.msg_id,
                inbound: deliver,
            },
            Pdu::ActiveTest(_) => Incoming::Heartbeat { seq },
            Pdu::ActiveTestResp(_) => Incoming::HeartbeatResp,
            Pdu::Exit(_) => Incoming::Terminate { seq },
            Pdu::ExitResp(_) => Incoming::TerminateResp { seq },
            other => Incoming::Unexpected {
                seq,
                name: other.name(),
            },
        }
    }

    fn next_sequence(&mut self) -> u32 {
        self.seq.next()
    }

    fn set_sequence(frame: &mut [u8], seq: u32) {
        set_sequence_id(frame, seq);
    }

    fn sequence_of(frame: &[u8]) -> Option<u32> {
        sequence_id_of(frame)
    }

    fn request_command(frame: &[u8]) -> Option<u32> {
        request_id_of(frame).filter(|&c| c == CommandId::SUBMIT.0 || c == CommandId::QUERY.0)
    }

    /// Status 1 ("system busy") is the only code that asks for the same request later
    /// (quirk 9: SMGP has no throttle code; 74/75 must not be retried today).
    fn is_flow_control(response: &SpResponse) -> bool {
        matches!(response, SpResponse::Submit(r) if r.status.is_retry_later())
    }

    fn encode_control(
        &mut self,
        control: &Control<Self>,
        buf: &mut BytesMut,
    ) -> Result<(), String> {
        let packet = match *control {
            Control::Heartbeat(s) => Packet::new(s, Pdu::ActiveTest(Bodiless::default())),
            Control::HeartbeatResp(s) => Packet::new(s, Pdu::ActiveTestResp(Bodiless::default())),
            Control::Terminate(s) => Packet::new(s, Pdu::Exit(Bodiless::default())),
            Control::TerminateResp(s) => Packet::new(s, Pdu::ExitResp(Bodiless::default())),
            Control::Answer { seq, key, answer } => Packet::new(
                seq,
                Pdu::DeliverResp(DeliverResp {
                    msg_id: key,
                    status: answer,
                    tlvs: Tlvs::new(),
                }),
            ),
            _ => return Err(format!("no SMGP packet for {control:?}")),
        };
        encode(&packet, self.version, buf).map_err(|e| e.to_string())
    }
}

impl sms_session::link::Wire for SmgpSp {
    const HEADER_LEN: usize = smgp_codec::HEADER_LEN;

    /// Lenient: a packet whose TLV tail is broken keeps its fixed part (and the TLVs before
    /// the break) instead of being dropped unanswered, which would make the peer send it
    /// again forever.
    fn decode(&self, frame: bytes::Bytes) -> Result<Packet, String> {
        let decoded = smgp_codec::decode_lenient(frame, self.version).map_err(|e| e.to_string())?;
        if let Some(e) = decoded.tlv_error {
            tracing::warn!(error = %e, "broken TLV tail; the fixed part is used");
        }
        Ok(decoded.packet)
    }

    fn plausible_command(command: u32) -> bool {
        super::is_plausible(command)
    }
}

#[cfg(test)]
mod tests;
