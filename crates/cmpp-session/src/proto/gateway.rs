//! The ISMG (gateway) side of a CMPP link on the session core: [`CmppGateway`] makes the
//! gateway's DELIVER pushes (MO messages and status reports) the requests — with the core's
//! window, T/N re-sends and result-8 back-off — and the SP's SUBMIT, QUERY and CANCEL the
//! inbound requests, answered through [`sms_session::Session::answer`] with the gateway's
//! decision. [`super::server::ServerSession`] wraps it with the gateway-only rules.

use bytes::BytesMut;
use cmpp_codec::frame::CommandId;
use cmpp_codec::{
    encode, ActiveTestResp, Cancel, CancelResp, DecodeError, Deliver, DeliverResp, DeliverResult,
    EncodeError, Packet, Pdu, Query, QueryResp, Submit, SubmitResp, Version,
};
use sms_session::{Control, Incoming, Protocol};

use super::{command_id_of, set_sequence_id};

/// The gateway-side CMPP session core (after the SP's CONNECT was accepted).
pub type GatewayCore = sms_session::Session<CmppGateway>;

/// A frame the gateway received, decoded as far as it goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum GatewayPacket {
    /// A whole packet and the length of the frame it came in (a SUBMIT may carry octets
    /// past its fields, which the gateway judges).
    Decoded {
        /// The packet.
        packet: Packet,
        /// Total_Length of its frame.
        frame_len: usize,
    },
    /// A SUBMIT whose body does not decode. Its frame boundary is intact, so it is answered
    /// (with the Result its fault calls for) and the link stays up.
    MalformedSubmit {
        /// Its Sequence_Id.
        sequence_id: u32,
        /// Why it does not decode.
        error: DecodeError,
    },
}

/// A request from the SP that the gateway must answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GatewayInbound {
    /// A SUBMIT.
    Submit {
        /// The message.
        submit: Box<Submit>,
        /// Octets in its frame past the fields of its version.
        extra_octets: usize,
    },
    /// A SUBMIT whose body does not decode.
    MalformedSubmit(DecodeError),
    /// A QUERY.
    Query(Query),
    /// A CANCEL.
    Cancel(Cancel),
}

/// Which kind of request an inbound one was (what its answer must be).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboundKind {
    /// Answered with SUBMIT_RESP.
    Submit,
    /// Answered with QUERY_RESP.
    Query,
    /// Answered with CANCEL_RESP.
    Cancel,
}

/// The gateway's answer to an inbound request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GatewayAnswer {
    /// SUBMIT_RESP.
    Submit(SubmitResp),
    /// QUERY_RESP.
    Query(QueryResp),
    /// CANCEL_RESP.
    Cancel(CancelResp),
}

/// CMPP as seen from the ISMG: DELIVER is the request it sends; SUBMIT, QUERY and CANCEL
/// are inbound; ACTIVE_TEST is the heartbeat (either side sends it) and TERMINATE the close.
#[derive(Debug, Clone)]
pub struct CmppGateway {
    version: Version,
    next_seq: u32,
}

impl CmppGateway {
    /// The gateway side of a `version` link whose Sequence_Ids start at `first_sequence_id`.
    pub fn new(version: Version, first_sequence_id: u32) -> Self {
        CmppGateway {
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

    /// Encodes a DELIVER for [`sms_session::Session::submit`], which puts its own
    /// Sequence_Id in.
    pub fn encode_deliver(&self, deliver: Deliver) -> Result<BytesMut, EncodeError> {
        let packet = Packet::new(0, deliver);
        let mut buf = BytesMut::with_capacity(packet.encoded_len(self.version));
        encode(&packet, self.version, &mut buf)?;
        Ok(buf)
    }
}

impl Protocol for CmppGateway {
    type Seq = u32;
    type Packet = GatewayPacket;
    type Response = DeliverResp;
    type Inbound = GatewayInbound;
    type InboundKey = InboundKind;
    type Answer = GatewayAnswer;

    fn classify(&mut self, packet: GatewayPacket) -> Incoming<Self> {
        let (packet, frame_len) = match packet {
            GatewayPacket::Decoded { packet, frame_len } => (packet, frame_len),
            GatewayPacket::MalformedSubmit { sequence_id, error } => {
                return Incoming::Inbound {
                    seq: sequence_id,
                    key: InboundKind::Submit,
                    inbound: GatewayInbound::MalformedSubmit(error),
                }
            }
        };
        let seq = packet.sequence_id;
        let expected = packet.encoded_len(self.version);
        let inbound = |key, inbound| Incoming::Inbound { seq, key, inbound };
        match packet.pdu {
            Pdu::DeliverResp(response) => Incoming::Response {
                seq,
                answers: CommandId::DELIVER.0,
                name: "DELIVER_RESP",
                response,
            },
            Pdu::Submit(submit) => inbound(
                InboundKind::Submit,
                GatewayInbound::Submit {
                    submit: Box::new(submit),
                    extra_octets: frame_len.saturating_sub(expected),
                },
            ),
            Pdu::Query(q) => inbound(InboundKind::Query, GatewayInbound::Query(q)),
            Pdu::Cancel(c) => inbound(InboundKind::Cancel, GatewayInbound::Cancel(c)),
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
        command_id_of(frame).filter(|&c| c == CommandId::DELIVER.0)
    }

    /// An SP answering a DELIVER with Result 8 asks for it again later (spec §6.3).
    fn is_flow_control(response: &DeliverResp) -> bool {
        response.result == DeliverResult::FlowControl
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
            Control::Answer { seq, key, answer } => match (key, answer) {
                (InboundKind::Submit, GatewayAnswer::Submit(r)) => Packet::new(seq, r),
                (InboundKind::Query, GatewayAnswer::Query(r)) => Packet::new(seq, r),
                (InboundKind::Cancel, GatewayAnswer::Cancel(r)) => Packet::new(seq, r),
                (kind, answer) => {
                    return Err(format!(
                        "answer {answer:?} does not fit a {kind:?} request (Sequence_Id {seq})"
                    ))
                }
            },
            _ => return Err(format!("no CMPP packet for {control:?}")),
        };
        encode(&packet, self.version, buf).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use cmpp_codec::{MsgId, SubmitResult};

    fn classify(g: &mut CmppGateway, pdu: impl Into<Pdu>, extra: usize) -> Incoming<CmppGateway> {
        let packet = Packet::new(7, pdu);
        let frame_len = packet.encoded_len(Version::V30) + extra;
        g.classify(GatewayPacket::Decoded { packet, frame_len })
    }

    #[test]
    fn sorts_what_an_sp_sends() {
        let mut g = CmppGateway::new(Version::V30, 1);
        let submit = Submit {
            msg_content: Bytes::from_static(b"hi"),
            ..Submit::default()
        };
        assert!(matches!(
            classify(&mut g, submit, 20),
            Incoming::Inbound {
                seq: 7,
                key: InboundKind::Submit,
                inbound: GatewayInbound::Submit {
                    extra_octets: 20,
                    ..
                }
            }
        ));
        let resp = DeliverResp {
            msg_id: MsgId::from_u64(1),
            result: DeliverResult::Ok,
        };
        assert!(matches!(
            classify(&mut g, resp, 0),
            Incoming::Response { seq: 7, answers, .. } if answers == CommandId::DELIVER.0
        ));
        assert!(matches!(
            classify(&mut g, Pdu::ActiveTest, 0),
            Incoming::Heartbeat { seq: 7 }
        ));
        assert!(matches!(
            classify(&mut g, Pdu::Terminate, 0),
            Incoming::Terminate { seq: 7 }
        ));
        assert!(matches!(
            classify(
                &mut g,
                cmpp_codec::ConnectResp {
                    status: cmpp_codec::ConnectStatus::Ok,
                    authenticator_ismg: [0; 16],
                    version: 0x30,
                },
                0
            ),
            Incoming::Unexpected { seq: 7, .. }
        ));
    }

    #[test]
    fn result_8_is_flow_control_and_other_results_are_final() {
        let r = |result| DeliverResp {
            msg_id: MsgId::from_u64(1),
            result,
        };
        assert!(CmppGateway::is_flow_control(&r(DeliverResult::from_u32(8))));
        assert!(!CmppGateway::is_flow_control(&r(DeliverResult::from_u32(
            9
        ))));
        assert!(!CmppGateway::is_flow_control(&r(DeliverResult::from_u32(
            1
        ))));
        assert!(!CmppGateway::is_flow_control(&r(DeliverResult::Ok)));
    }

    #[test]
    fn an_answer_must_fit_its_request() {
        let mut g = CmppGateway::new(Version::V30, 1);
        let mut buf = BytesMut::new();
        let submit_resp = GatewayAnswer::Submit(SubmitResp {
            msg_id: MsgId::from_u64(5),
            result: SubmitResult::Ok,
        });
        let fits = Control::Answer {
            seq: 3,
            key: InboundKind::Submit,
            answer: submit_resp,
        };
        g.encode_control(&fits, &mut buf).unwrap();
        let p = cmpp_codec::decode(buf.split().freeze(), Version::V30).unwrap();
        assert_eq!(p.sequence_id, 3);
        assert!(matches!(p.pdu, Pdu::SubmitResp(r) if r.msg_id == MsgId::from_u64(5)));
        let misfit = Control::Answer {
            seq: 3,
            key: InboundKind::Query,
            answer: submit_resp,
        };
        assert!(g.encode_control(&misfit, &mut buf).is_err());
        assert!(buf.is_empty());
    }
}
