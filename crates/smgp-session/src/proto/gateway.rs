//! The gateway (SMGW) side of an SMGP link on the session core: [`SmgpGateway`] makes the
//! gateway's Deliver pushes (MO messages and status reports) the requests — with the core's
//! window, T/N re-sends and back-off — and the SP's Submit and Query the inbound requests,
//! answered with the gateway's decision once it has taken them.

use bytes::BytesMut;
use smgp_codec::{
    encode, Bodiless, CommandId, Deliver, DeliverResp, EncodeError, MsgId, Packet, Pdu, Query,
    QueryResp, Status, Submit, SubmitResp, Tlvs, Version,
};
use sms_session::{Control, Incoming, Protocol};

use super::{request_id_of, sequence_id_of, set_sequence_id, Counter};

/// The gateway-side SMGP session state machine (after the SP's Login was accepted).
pub type GatewaySession = sms_session::Session<SmgpGateway>;

/// A request from the SP that the gateway must decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GatewayInbound {
    /// Submit: an MT message to accept or refuse.
    Submit(Submit),
    /// Query: traffic statistics.
    Query(Query),
}

/// Which kind of request an inbound one was (what its answer must be).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboundKind {
    /// Answered with Submit_Resp.
    Submit,
    /// Answered with Query_Resp.
    Query,
}

/// The gateway's decision on an inbound request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GatewayAnswer {
    /// Submit_Resp: the MsgID given to the message (reports will name it) and the Status.
    Submit {
        /// MsgID (all zeros when refused).
        msg_id: MsgId,
        /// Status: 0 accepted, else why not (1 asks the SP to send it again later).
        status: Status,
    },
    /// Query_Resp.
    Query(QueryResp),
}

impl GatewayAnswer {
    /// Accepts a Submit under `msg_id`.
    pub fn accept(msg_id: MsgId) -> Self {
        GatewayAnswer::Submit {
            msg_id,
            status: Status::OK,
        }
    }

    /// Refuses a Submit with `status` (MsgID zero).
    pub fn refuse(status: Status) -> Self {
        GatewayAnswer::Submit {
            msg_id: MsgId::default(),
            status,
        }
    }
}

/// SMGP as seen from the gateway: Deliver is the request it sends; Submit and Query are
/// inbound; Active_Test is the heartbeat (either side sends it) and Exit the close.
#[derive(Debug, Clone)]
pub struct SmgpGateway {
    version: Version,
    seq: Counter,
}

impl SmgpGateway {
    /// The gateway side of a link in `version`'s layout (the account's, §7) whose
    /// SequenceIDs start at `first_sequence_id`.
    pub fn new(version: Version, first_sequence_id: u32) -> Self {
        SmgpGateway {
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

    /// Encodes a Deliver push for [`sms_session::Session::submit`], which puts its own
    /// SequenceID in.
    pub fn encode_deliver(&self, deliver: Deliver) -> Result<BytesMut, EncodeError> {
        let packet = Packet::new(0, deliver);
        let mut buf = BytesMut::with_capacity(packet.encoded_len());
        encode(&packet, self.version, &mut buf)?;
        Ok(buf)
    }
}

impl Protocol for SmgpGateway {
    type Seq = u32;
    type Packet = Packet;
    type Response = DeliverResp;
    type Inbound = GatewayInbound;
    type InboundKey = InboundKind;
    type Answer = GatewayAnswer;

    fn classify(&mut self, packet: Packet) -> Incoming<Self> {
        let seq = packet.sequence_id;
        let inbound = |key, inbound| Incoming::Inbound { seq, key, inbound };
        match packet.pdu {
            Pdu::DeliverResp(response) => Incoming::Response {
                seq,
                answers: CommandId::DELIVER.0,
                name: "DELIVER_RESP",
                response,
            },
            Pdu::Submit(s) => inbound(InboundKind::Submit, GatewayInbound::Submit(s)),
            Pdu::Query(q) => inbound(InboundKind::Query, GatewayInbound::Query(q)),
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
        request_id_of(frame).filter(|&c| c == CommandId::DELIVER.0)
    }

    /// The SP answering a Deliver with Status 1 ("system busy") asks for it again later.
    fn is_flow_control(response: &DeliverResp) -> bool {
        response.status.is_retry_later()
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
            Control::Answer { seq, key, answer } => match (key, answer) {
                (InboundKind::Submit, GatewayAnswer::Submit { msg_id, status }) => Packet::new(
                    seq,
                    Pdu::SubmitResp(SubmitResp {
                        msg_id,
                        status,
                        tlvs: Tlvs::new(),
                    }),
                ),
                (InboundKind::Query, GatewayAnswer::Query(r)) => Packet::new(seq, r),
                (kind, answer) => {
                    return Err(format!(
                        "answer {answer:?} does not fit a {kind:?} request (sequence {seq})"
                    ))
                }
            },
            _ => return Err(format!("no SMGP packet for {control:?}")),
        };
        encode(&packet, self.version, buf).map_err(|e| e.to_string())
    }
}

impl sms_session::link::Wire for SmgpGateway {
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
