//! Submit (MT, SP → SMGW) and Submit_Resp.

use bytes::{BufMut, Bytes, BytesMut};

use crate::codes::Status;
use crate::error::{DecodeProblem, EncodeError};
use crate::msg_id::MsgId;
use crate::parse::{
    fail, length_prefixed, msg_id, share, text, tlv_tail, u32_field, u8_field, FieldError, PResult,
};
use crate::text::Text;
use crate::tlv::Tlvs;
use crate::Version;

/// Most recipients one Submit may carry.
pub const MAX_DESTINATIONS: usize = 100;

/// Submit: one MT message to 1–100 recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// MsgType: 0 MO, 6 MT, 7 point-to-point.
    pub msg_type: u8,
    /// NeedReport: 0 no, 1 yes.
    pub need_report: u8,
    /// Priority 0–3.
    pub priority: u8,
    /// ServiceID: service code.
    pub service_id: Text<10>,
    /// FeeType: "00" free, "01" per message, "02" monthly, "03" capped.
    pub fee_type: Text<2>,
    /// FeeCode: per-message fee in fen.
    pub fee_code: Text<6>,
    /// FixedFee: monthly or cap fee in fen. `None` for the 1.3 layout, which has no such
    /// field (also what a 3.0 decode falls back to for 1.3-layout peers, see
    /// [`crate::decode`]).
    pub fixed_fee: Option<Text<6>>,
    /// MsgFormat: 0 ASCII, 8 UCS-2, 15 GB18030, …
    pub msg_format: u8,
    /// ValidTime: SMPP time, empty = default.
    pub valid_time: Text<17>,
    /// AtTime: scheduled time, empty = now.
    pub at_time: Text<17>,
    /// SrcTermID: the SP's access number.
    pub src_term_id: Text<21>,
    /// ChargeTermID: the payer; empty = the recipient.
    pub charge_term_id: Text<21>,
    /// DestTermID\[DestTermIDCount\]: recipients.
    pub dest_term_ids: Vec<Text<21>>,
    /// MsgContent (UDH included when TP_udhi is set).
    pub msg_content: Bytes,
    /// Reserve.
    pub reserve: Text<8>,
    /// TLV tail (3.0): TP_udhi, LinkID, PkTotal, MsgSrc, MServiceID, …
    pub tlvs: Tlvs,
}

impl Default for Submit {
    fn default() -> Self {
        Submit {
            msg_type: 6,
            need_report: 1,
            priority: 0,
            service_id: Text::EMPTY,
            fee_type: Text::EMPTY,
            fee_code: Text::EMPTY,
            fixed_fee: Some(Text::EMPTY),
            msg_format: 0,
            valid_time: Text::EMPTY,
            at_time: Text::EMPTY,
            src_term_id: Text::EMPTY,
            charge_term_id: Text::EMPTY,
            dest_term_ids: Vec::new(),
            msg_content: Bytes::new(),
            reserve: Text::EMPTY,
            tlvs: Tlvs::new(),
        }
    }
}

impl Submit {
    /// True when MsgContent starts with a UDH: any non-zero TP_udhi TLV (1 by the spec, 0x40
    /// from gateways that copy SMPP's esm_class).
    pub fn has_udh(&self) -> bool {
        self.tlvs.tp_udhi().is_some_and(|v| v != 0)
    }

    pub(crate) fn body_len(&self) -> usize {
        108 + self.fixed_fee.map_or(0, |_| 6)
            + 21 * self.dest_term_ids.len()
            + self.msg_content.len()
            + self.tlvs.encoded_len()
    }

    pub(crate) fn check(&self, version: Version) -> Result<(), EncodeError> {
        let count = self.dest_term_ids.len();
        if count == 0 || count > MAX_DESTINATIONS {
            return Err(EncodeError::DestinationCount { count });
        }
        if self.msg_content.len() > 255 {
            return Err(EncodeError::ContentTooLong {
                len: self.msg_content.len(),
            });
        }
        if self.fixed_fee.is_some() && !version.has_fixed_fee() {
            return Err(EncodeError::FixedFeeNotInVersion { version });
        }
        check_tlvs(&self.tlvs, version)
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        dst.put_slice(&[self.msg_type, self.need_report, self.priority]);
        self.service_id.put(dst);
        self.fee_type.put(dst);
        self.fee_code.put(dst);
        if let Some(fixed_fee) = &self.fixed_fee {
            fixed_fee.put(dst);
        }
        dst.put_u8(self.msg_format);
        self.valid_time.put(dst);
        self.at_time.put(dst);
        self.src_term_id.put(dst);
        self.charge_term_id.put(dst);
        // `check` bounded the count to 1..=100 and the content to 255 bytes.
        dst.put_u8(self.dest_term_ids.len() as u8);
        for d in &self.dest_term_ids {
            d.put(dst);
        }
        dst.put_u8(self.msg_content.len() as u8);
        dst.put_slice(&self.msg_content);
        self.reserve.put(dst);
        self.tlvs.write(dst);
    }
}

pub(crate) fn check_tlvs(tlvs: &Tlvs, version: Version) -> Result<(), EncodeError> {
    if !tlvs.is_empty() && !version.has_tlvs() {
        return Err(EncodeError::TlvsNotInVersion {
            version,
            count: tlvs.len(),
        });
    }
    tlvs.check()
}

/// Parses a Submit body in `version`'s layout, TLV tail included (strict; content copied).
pub fn submit(i: &[u8], version: Version) -> PResult<'_, Submit> {
    let mut m = Submit::default();
    match submit_into(i, version.has_fixed_fee(), None, &mut m)? {
        (rest, None) => Ok((rest, m)),
        (_, Some(e)) => Err(nom::Err::Error(e)),
    }
}

/// Turns a recorded TLV break into an error.
pub(crate) fn strict<'a, T>(r: PResult<'a, (T, Option<FieldError<'a>>)>) -> PResult<'a, T> {
    match r? {
        (rest, (m, None)) => Ok((rest, m)),
        (_, (_, Some(e))) => Err(nom::Err::Error(e)),
    }
}

/// Reads a Submit body with or without FixedFee into `out` (every field is overwritten), so
/// the ~250-byte message is built where the caller keeps it instead of being copied out
/// through each result. A broken TLV tail is returned, the TLVs before it kept in `out`.
#[inline(always)]
pub(crate) fn submit_into<'a>(
    i: &'a [u8],
    fixed_fee: bool,
    frame: Option<&Bytes>,
    out: &mut Submit,
) -> PResult<'a, Option<FieldError<'a>>> {
    let (i, msg_type) = u8_field(i, "MsgType")?;
    out.msg_type = msg_type;
    let (i, need_report) = u8_field(i, "NeedReport")?;
    out.need_report = need_report;
    let (i, priority) = u8_field(i, "Priority")?;
    out.priority = priority;
    let (i, service_id) = text(i, "ServiceID")?;
    out.service_id = service_id;
    let (i, fee_type) = text(i, "FeeType")?;
    out.fee_type = fee_type;
    let (i, fee_code) = text(i, "FeeCode")?;
    out.fee_code = fee_code;
    let i = if fixed_fee {
        let (i, f) = text(i, "FixedFee")?;
        out.fixed_fee = Some(f);
        i
    } else {
        out.fixed_fee = None;
        i
    };
    let (i, msg_format) = u8_field(i, "MsgFormat")?;
    out.msg_format = msg_format;
    let (i, valid_time) = text(i, "ValidTime")?;
    out.valid_time = valid_time;
    let (i, at_time) = text(i, "AtTime")?;
    out.at_time = at_time;
    let (i, src_term_id) = text(i, "SrcTermID")?;
    out.src_term_id = src_term_id;
    let (i, charge_term_id) = text(i, "ChargeTermID")?;
    out.charge_term_id = charge_term_id;
    let at_count = i;
    let (i, count) = u8_field(i, "DestTermIDCount")?;
    let declared = 21 * usize::from(count);
    let Some((ids, i)) = i.split_at_checked(declared) else {
        return fail(
            at_count,
            "DestTermIDCount",
            DecodeProblem::DeclaredTooLong {
                declared,
                remaining: i.len(),
            },
        );
    };
    // Bounded by the frame: only ids whose bytes are present are stored.
    out.dest_term_ids = ids.chunks_exact(21).map(Text::from_field).collect();
    let (i, content) = length_prefixed(i)?;
    out.msg_content = share(frame, content);
    let (i, reserve) = text(i, "Reserve")?;
    out.reserve = reserve;
    // Most Submits end here: no TLV tail to read, and `out`'s own is emptied in place.
    if i.is_empty() {
        out.tlvs.0.clear();
        return Ok((i, None));
    }
    let (tlvs, broken) = tlv_tail(i, frame);
    out.tlvs = tlvs;
    Ok((&i[i.len()..], broken))
}

/// Submit_Resp: the gateway's MsgID and Status. Some gateways append TLVs (PkTotal,
/// PkNumber); they are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmitResp {
    /// MsgID: for a group send the first of n consecutive ids.
    pub msg_id: MsgId,
    /// Status.
    pub status: Status,
    /// TLVs after the body, if any.
    pub tlvs: Tlvs,
}

/// Parses a Submit_Resp body (14 bytes plus optional TLVs; strict).
pub fn submit_resp(i: &[u8]) -> PResult<'_, SubmitResp> {
    strict(resp_in(i, None))
}

/// MsgID + Status + TLV tail: the layout of Submit_Resp and Deliver_Resp.
pub(crate) fn resp_in<'a>(
    i: &'a [u8],
    frame: Option<&Bytes>,
) -> PResult<'a, (SubmitResp, Option<FieldError<'a>>)> {
    let (i, id) = msg_id(i, "MsgID")?;
    let (i, status) = u32_field(i, "Status")?;
    let (tlvs, broken) = tlv_tail(i, frame);
    Ok((
        &i[i.len()..],
        (
            SubmitResp {
                msg_id: id,
                status: Status(status),
                tlvs,
            },
            broken,
        ),
    ))
}

impl SubmitResp {
    pub(crate) fn body_len(&self) -> usize {
        14 + self.tlvs.encoded_len()
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        dst.put_slice(&self.msg_id.0);
        dst.put_u32(self.status.0);
        self.tlvs.write(dst);
    }
}
