//! Deliver (MO message or status report, SMGW → SP) and Deliver_Resp.

use bytes::{BufMut, Bytes, BytesMut};

use crate::coding::{decode_text, Decoded};
use crate::msg_id::MsgId;
use crate::parse::{length_prefixed, msg_id, share, text, u8_field, FieldError, PResult};
use crate::pdu::submit::{resp_in, strict, SubmitResp};
use crate::report::{ReportError, StatusReport};
use crate::text::Text;
use crate::tlv::Tlvs;

/// Deliver: an MO message, or (IsReport = 1) a status report in MsgContent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deliver {
    /// MsgID assigned by the gateway to this Deliver (a report's subject id is inside the
    /// content).
    pub msg_id: MsgId,
    /// IsReport: 0 MO, 1 status report.
    pub is_report: u8,
    /// MsgFormat (reports use 0).
    pub msg_format: u8,
    /// RecvTime `YYYYMMDDHHMMSS`.
    pub recv_time: Text<14>,
    /// SrcTermID: the sender (for a report: the MT's recipient).
    pub src_term_id: Text<21>,
    /// DestTermID: the SP's access number (for a report: the MT's SrcTermID).
    pub dest_term_id: Text<21>,
    /// MsgContent.
    pub msg_content: Bytes,
    /// Reserve.
    pub reserve: Text<8>,
    /// TLV tail (3.0): TP_udhi, LinkID, SrcTermType, …
    pub tlvs: Tlvs,
}

impl Deliver {
    /// True for a status report.
    pub fn is_report(&self) -> bool {
        self.is_report == 1
    }

    /// The status report in the content; `None` for an MO message.
    pub fn report(&self) -> Option<Result<StatusReport, ReportError>> {
        self.is_report()
            .then(|| StatusReport::parse(&self.msg_content))
    }

    /// The content as text per MsgFormat (UDH not stripped).
    pub fn text(&self) -> Decoded<'_> {
        decode_text(self.msg_format, &self.msg_content)
    }

    /// True when MsgContent starts with a UDH (any non-zero TP_udhi TLV).
    pub fn has_udh(&self) -> bool {
        self.tlvs.tp_udhi().is_some_and(|v| v != 0)
    }

    pub(crate) fn body_len(&self) -> usize {
        77 + self.msg_content.len() + self.tlvs.encoded_len()
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        dst.put_slice(&self.msg_id.0);
        dst.put_slice(&[self.is_report, self.msg_format]);
        self.recv_time.put(dst);
        self.src_term_id.put(dst);
        self.dest_term_id.put(dst);
        // `check` bounded the content to 255 bytes.
        dst.put_u8(self.msg_content.len() as u8);
        dst.put_slice(&self.msg_content);
        self.reserve.put(dst);
        self.tlvs.write(dst);
    }
}

/// Parses a Deliver body, TLV tail included (strict; content copied).
pub fn deliver(i: &[u8]) -> PResult<'_, Deliver> {
    let mut m = Deliver::default();
    match deliver_into(i, None, &mut m)? {
        (rest, None) => Ok((rest, m)),
        (_, Some(e)) => Err(nom::Err::Error(e)),
    }
}

/// Reads a Deliver body into `out` (every field is overwritten); a broken TLV tail is
/// returned, the TLVs before it kept in `out`.
#[inline(always)]
pub(crate) fn deliver_into<'a>(
    i: &'a [u8],
    frame: Option<&Bytes>,
    out: &mut Deliver,
) -> PResult<'a, Option<FieldError<'a>>> {
    let (i, id) = msg_id(i, "MsgID")?;
    out.msg_id = id;
    let (i, is_report) = u8_field(i, "IsReport")?;
    out.is_report = is_report;
    let (i, msg_format) = u8_field(i, "MsgFormat")?;
    out.msg_format = msg_format;
    let (i, recv_time) = text(i, "RecvTime")?;
    out.recv_time = recv_time;
    let (i, src_term_id) = text(i, "SrcTermID")?;
    out.src_term_id = src_term_id;
    let (i, dest_term_id) = text(i, "DestTermID")?;
    out.dest_term_id = dest_term_id;
    let (i, content) = length_prefixed(i)?;
    out.msg_content = share(frame, content);
    let (i, reserve) = text(i, "Reserve")?;
    out.reserve = reserve;
    let (tlvs, broken) = crate::parse::tlv_tail(i, frame);
    out.tlvs = tlvs;
    Ok((&i[i.len()..], broken))
}

/// Deliver_Resp: MsgID copied from the Deliver, and Status.
pub type DeliverResp = SubmitResp;

/// Parses a Deliver_Resp body (14 bytes plus optional TLVs; strict).
pub fn deliver_resp(i: &[u8]) -> PResult<'_, DeliverResp> {
    strict(resp_in(i, None))
}
