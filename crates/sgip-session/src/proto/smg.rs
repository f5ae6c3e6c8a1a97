//! The gateway's two ends: [`SmgMt`] on each MT link an SP opens, [`SmgMo`] on the MO link
//! the gateway opens to an SP's listener to push Deliver, Report and UserRpt.

use bytes::BytesMut;
use sgip_codec::{CommandId, Packet, Pdu, Resp, ResultCode, SequenceNumber, Submit};
use sms_session::{Control, Incoming, Protocol};

use super::{classify_common, encode_control, request_command, Numbering};

/// SGIP as the gateway sees an MT link an SP opened (Bind type 1): each Submit is inbound,
/// answered with the gateway's decision (a Result) through [`sms_session::Session::answer`];
/// the gateway sends no requests on this link.
#[derive(Debug, Clone)]
pub struct SmgMt {
    numbering: Numbering,
}

impl SmgMt {
    /// The gateway end of an MT link; `numbering` (the SMG's node id) only numbers an Unbind
    /// the gateway starts.
    pub fn new(numbering: Numbering) -> Self {
        SmgMt { numbering }
    }
}

impl Protocol for SmgMt {
    type Seq = SequenceNumber;
    type Packet = Packet;
    /// The gateway sends no requests on an MT link.
    type Response = std::convert::Infallible;
    type Inbound = Submit;
    type InboundKey = CommandId;
    type Answer = ResultCode;

    const HEARTBEAT: bool = false;

    fn classify(&mut self, packet: Packet) -> Incoming<Self> {
        let seq = packet.sequence;
        match packet.pdu {
            Pdu::Submit(inbound) => Incoming::Inbound {
                seq,
                key: CommandId::SUBMIT,
                inbound,
            },
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

/// SGIP as the gateway sees the MO link it opened to an SP's listener (Bind type 2):
/// Deliver, Report and UserRpt are requests with a window slot, re-sent after T until the SP
/// answers; a throttle Result (11, 33, 88) backs off and sends again.
#[derive(Debug, Clone)]
pub struct SmgMo {
    numbering: Numbering,
}

impl SmgMo {
    /// The gateway end of an MO link, numbering with the SMG's `numbering`.
    pub fn new(numbering: Numbering) -> Self {
        SmgMo { numbering }
    }
}

impl Protocol for SmgMo {
    type Seq = SequenceNumber;
    type Packet = Packet;
    /// Deliver_Resp, Report_Resp or UserRpt_Resp (the request id tells which).
    type Response = Resp;
    /// The SP sends nothing for the gateway's application on an MO link.
    type Inbound = std::convert::Infallible;
    type InboundKey = CommandId;
    type Answer = ResultCode;

    const HEARTBEAT: bool = false;

    fn classify(&mut self, packet: Packet) -> Incoming<Self> {
        let seq = packet.sequence;
        let (answers, name, response) = match packet.pdu {
            Pdu::DeliverResp(r) => (CommandId::DELIVER, "DELIVER_RESP", r),
            Pdu::ReportResp(r) => (CommandId::REPORT, "REPORT_RESP", r),
            Pdu::UserRptResp(r) => (CommandId::USER_RPT, "USERRPT_RESP", r),
            pdu => return classify_common(Packet::new(seq, pdu)),
        };
        Incoming::Response {
            seq,
            answers: answers.0,
            name,
            response,
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
        request_command(
            frame,
            &[CommandId::DELIVER, CommandId::REPORT, CommandId::USER_RPT],
        )
    }

    fn is_flow_control(response: &Resp) -> bool {
        response.result.is_throttle()
    }

    fn encode_control(
        &mut self,
        control: &Control<Self>,
        buf: &mut BytesMut,
    ) -> Result<(), String> {
        encode_control(control, buf)
    }
}
