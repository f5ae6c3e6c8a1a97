//! The SP's two ends: [`SpMt`] on the MT link it opens, [`SpMo`] on each MO link the SMG
//! opens to its listener.

use bytes::BytesMut;
use sgip_codec::{
    CommandId, Deliver, Packet, Pdu, Report, Resp, ResultCode, SequenceNumber, TraceResp, UserRpt,
};
use sms_session::{Control, Incoming, Protocol};

use super::{classify_common, encode_control, request_command, Numbering};

/// The SMG's answer to one of the SP's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpResponse {
    /// Submit_Resp: Result only (SGIP has no message id; the Submit's own 12-byte sequence
    /// number is what its Reports carry).
    Submit(Resp),
    /// Trace_Resp (test link only).
    Trace(TraceResp),
}

impl SpResponse {
    /// The Result of a Submit_Resp (`None` for a Trace_Resp).
    pub fn result(&self) -> Option<ResultCode> {
        match self {
            SpResponse::Submit(r) => Some(r.result),
            SpResponse::Trace(_) => None,
        }
    }
}

/// SGIP as the SP sees the MT link it opened (Bind type 1): Submit (and Trace on the test
/// link) are requests; Result 11, 33 and 88 are flow control (back off, send again); the SMG
/// sends no requests on this link except Unbind.
#[derive(Debug, Clone)]
pub struct SpMt {
    numbering: Numbering,
}

impl SpMt {
    /// The SP end of an MT link, numbering with `numbering` (share it across the pool).
    pub fn new(numbering: Numbering) -> Self {
        SpMt { numbering }
    }

    /// The numbering.
    pub fn numbering(&self) -> &Numbering {
        &self.numbering
    }
}

impl Protocol for SpMt {
    type Seq = SequenceNumber;
    type Packet = Packet;
    type Response = SpResponse;
    /// The SMG sends nothing for the application on the MT link.
    type Inbound = std::convert::Infallible;
    type InboundKey = CommandId;
    type Answer = ResultCode;

    const HEARTBEAT: bool = false;

    fn classify(&mut self, packet: Packet) -> Incoming<Self> {
        let seq = packet.sequence;
        let response = |answers: CommandId, name, response| Incoming::Response {
            seq,
            answers: answers.0,
            name,
            response,
        };
        match packet.pdu {
            Pdu::SubmitResp(r) => response(CommandId::SUBMIT, "SUBMIT_RESP", SpResponse::Submit(r)),
            Pdu::TraceResp(r) => response(CommandId::TRACE, "TRACE_RESP", SpResponse::Trace(r)),
            pdu => classify_common(Packet::new(seq, pdu)),
        }
    }

    fn next_sequence(&mut self) -> SequenceNumber {
        self.numbering.next()
    }

    fn set_sequence(frame: &mut [u8], seq: SequenceNumber) {
        super::set_sequence(frame, seq);
    }

    fn sequence_of(frame: &[u8]) -> Option<SequenceNumber> {
        super::sequence_of(frame)
    }

    fn request_command(frame: &[u8]) -> Option<u32> {
        request_command(frame, &[CommandId::SUBMIT, CommandId::TRACE])
    }

    fn is_flow_control(response: &SpResponse) -> bool {
        matches!(response, SpResponse::Submit(r) if r.result.is_throttle())
    }

    fn encode_control(
        &mut self,
        control: &Control<Self>,
        buf: &mut BytesMut,
    ) -> Result<(), String> {
        encode_control(control, buf)
    }
}

/// What the SMG pushes to the SP's listener.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpInbound {
    /// An MO message.
    Deliver(Deliver),
    /// A status report; `submit_sequence` is the full 12-byte sequence number of the Submit
    /// it reports on.
    Report(Report),
    /// A change of a subscriber's state (closed, arrears, back to normal).
    UserRpt(UserRpt),
}

impl SpInbound {
    /// The request's command (what its answer repeats).
    pub fn command(&self) -> CommandId {
        match self {
            SpInbound::Deliver(_) => CommandId::DELIVER,
            SpInbound::Report(_) => CommandId::REPORT,
            SpInbound::UserRpt(_) => CommandId::USER_RPT,
        }
    }
}

/// SGIP as the SP sees one MO link the SMG opened to its listener (Bind type 2): Deliver,
/// Report and UserRpt are inbound, answered with a Result once the application holds them;
/// the SP sends no requests on this link.
#[derive(Debug, Clone)]
pub struct SpMo {
    numbering: Numbering,
}

impl SpMo {
    /// The SP end of an MO link; `numbering` only numbers an Unbind the SP starts.
    pub fn new(numbering: Numbering) -> Self {
        SpMo { numbering }
    }
}

impl Protocol for SpMo {
    type Seq = SequenceNumber;
    type Packet = Packet;
    /// The SP sends no requests on an MO link.
    type Response = std::convert::Infallible;
    type Inbound = SpInbound;
    type InboundKey = CommandId;
    type Answer = ResultCode;

    const HEARTBEAT: bool = false;

    fn classify(&mut self, packet: Packet) -> Incoming<Self> {
        let seq = packet.sequence;
        let inbound = match packet.pdu {
            Pdu::Deliver(m) => SpInbound::Deliver(m),
            Pdu::Report(m) => SpInbound::Report(m),
            Pdu::UserRpt(m) => SpInbound::UserRpt(m),
            pdu => return classify_common(Packet::new(seq, pdu)),
        };
        Incoming::Inbound {
            seq,
            key: inbound.command(),
            inbound,
        }
    }

    fn next_sequence(&mut self) -> SequenceNumber {
        self.numbering.next()
    }

    fn set_sequence(frame: &mut [u8], seq: SequenceNumber) {
        super::set_sequence(frame, seq);
    }

    fn sequence_of(frame: &[u8]) -> Option<SequenceNumber> {
        super::sequence_of(frame)
    }

    fn request_command(_frame: &[u8]) -> Option<u32> {
        None
    }

    fn is_flow_control(response: &std::convert::Infallible) -> bool {
        match *response {}
    }

    fn encode_control(
        &mut self,
        control: &Control<Self>,
        buf: &mut BytesMut,
    ) -> Result<(), String> {
        encode_control(control, buf)
    }
}
