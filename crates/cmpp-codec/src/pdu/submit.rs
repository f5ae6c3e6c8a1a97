//! CMPP_SUBMIT (MT message, SP→ISMG) and CMPP_SUBMIT_RESP.

use bytes::{BufMut, Bytes, BytesMut};

use crate::codes::SubmitResult;
use crate::error::{DecodeProblem, EncodeError};
use crate::fields::{
    be_u8, check_status, fail, field_error, octets, put_status, status, take, trailing, FieldError,
    OctetString, PResult,
};
use crate::msg_id::MsgId;
use crate::pdu::msg_id_field;
use crate::{MsgFmt, Version};

/// Most recipients one SUBMIT may carry (DestUsr_tl < 100).
pub const MAX_DESTINATIONS: usize = 99;

/// CMPP_SUBMIT: one MT message to one or more recipients.
///
/// Number fields hold up to 32 bytes (3.0 width); on 2.0 they must fit 21 bytes and
/// LinkID must fit the 8-byte Reserve, else encoding fails with [`EncodeError::FieldTooLong`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Submit {
    /// Msg_Id: 0 from the SP; the gateway assigns the real id in SUBMIT_RESP.
    pub msg_id: MsgId,
    /// Pk_total: number of messages with the same Msg_Id, from 1.
    pub pk_total: u8,
    /// Pk_number: index of this message, from 1.
    pub pk_number: u8,
    /// Registered_Delivery: 0 no status report, 1 report wanted (2.0 also 2 = SMC bill).
    pub registered_delivery: u8,
    /// Msg_level: priority.
    pub msg_level: u8,
    /// Service_Id: business code.
    pub service_id: OctetString<10>,
    /// Fee_UserType: 0 destination, 1 source, 2 SP, 3 Fee_terminal_Id pays.
    pub fee_user_type: u8,
    /// Fee_terminal_Id: charged number (21 bytes on 2.0, 32 on 3.0).
    pub fee_terminal_id: OctetString<32>,
    /// Fee_terminal_type (3.0 only): 0 real number, 1 pseudo number. Not sent on 2.0.
    pub fee_terminal_type: u8,
    /// TP_pId: GSM 03.40 protocol identifier.
    pub tp_pid: u8,
    /// TP_udhi: 1 (or 0x40 from SMPP-minded peers) when Msg_Content starts with a UDH.
    pub tp_udhi: u8,
    /// Msg_Fmt: 0 ASCII, 8 UCS2, 15 GB, …
    pub msg_fmt: MsgFmt,
    /// Msg_src: content source, the SP_Id.
    pub msg_src: OctetString<6>,
    /// FeeType: "01" free, "02" per message, "03" monthly (2.0 also "04", "05").
    pub fee_type: OctetString<2>,
    /// FeeCode: fee in fen, ASCII digits.
    pub fee_code: OctetString<6>,
    /// ValId_Time: validity, SMPP time format (16 chars), empty = default.
    pub valid_time: OctetString<17>,
    /// At_Time: scheduled delivery time, empty = immediate.
    pub at_time: OctetString<17>,
    /// Src_Id: SP service code (the sender shown on the handset).
    pub src_id: OctetString<21>,
    /// Dest_terminal_Id[DestUsr_tl]: recipients (21 bytes each on 2.0, 32 on 3.0).
    pub dest_terminal_ids: Vec<OctetString<32>>,
    /// Dest_terminal_type (3.0 only): 0 real, 1 pseudo. Not sent on 2.0.
    pub dest_terminal_type: u8,
    /// Msg_Content: raw payload, UDH included (a slice of the received frame).
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::serde_hex::bytes"))]
    pub msg_content: Bytes,
    /// LinkID (3.0, 20 bytes) / Reserve (2.0, 8 bytes).
    pub link_id: OctetString<20>,
}

impl Default for Submit {
    fn default() -> Self {
        Submit {
            msg_id: MsgId::default(),
            pk_total: 1,
            pk_number: 1,
            registered_delivery: 0,
            msg_level: 0,
            service_id: OctetString::EMPTY,
            fee_user_type: 0,
            fee_terminal_id: OctetString::EMPTY,
            fee_terminal_type: 0,
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: MsgFmt::Ascii,
            msg_src: OctetString::EMPTY,
            fee_type: OctetString::EMPTY,
            fee_code: OctetString::EMPTY,
            valid_time: OctetString::EMPTY,
            at_time: OctetString::EMPTY,
            src_id: OctetString::EMPTY,
            dest_terminal_ids: Vec::new(),
            dest_terminal_type: 0,
            msg_content: Bytes::new(),
            link_id: OctetString::EMPTY,
        }
    }
}

impl Submit {
    /// True when Msg_Content starts with a user-data header: TP_udhi bit 0 (spec) or bit 6
    /// (0x40, the SMPP esm_class value many gateways copy through).
    pub fn has_udh(&self) -> bool {
        self.tp_udhi & 0x41 != 0
    }

    /// Parses a SUBMIT body into `out` (every field is overwritten except `msg_content`) and
    /// returns the Msg_Content bytes (a sub-slice of `i`), which the caller turns into a slice
    /// of the frame it owns. Writing into the caller's message keeps the ~260-byte struct
    /// from being copied through each parser's result.
    ///
    /// The fixed-layout fields before DestUsr_tl are read after one length check: when the
    /// body holds all of them, [`Self::parse_prefix`] runs over exactly that many bytes, so
    /// every per-field check in it is decided at compile time. A shorter body runs the same
    /// parser over the whole body, which fails at the first field that does not fit (with
    /// that field's name and offset).
    #[inline(always)]
    pub(crate) fn parse<'a>(
        i: &'a [u8],
        version: Version,
        out: &mut Self,
    ) -> PResult<'a, &'a [u8]> {
        match version {
            Version::V30 => Self::parse_version(i, Version::V30, out),
            Version::V20 => Self::parse_version(i, Version::V20, out),
        }
    }

    /// [`Self::parse`] with `version` a constant at each call site.
    #[inline(always)]
    fn parse_version<'a>(i: &'a [u8], version: Version, out: &mut Self) -> PResult<'a, &'a [u8]> {
        let tw = version.terminal_id_width();
        let i = match i.split_at_checked(Self::prefix_len(version)) {
            Some((prefix, rest)) => {
                Self::parse_prefix(prefix, version, out)?;
                rest
            }
            None => Self::parse_prefix(i, version, out)?.0,
        };
        let at_count = i;
        let (i, count) = be_u8(i, "DestUsr_tl")?;
        let declared = usize::from(count) * tw;
        let Some((ids, i)) = i.split_at_checked(declared) else {
            return fail(
                at_count,
                "DestUsr_tl",
                DecodeProblem::DeclaredTooLong {
                    declared,
                    remaining: i.len(),
                },
            );
        };
        // Bounded by the frame: at most 255 entries, and only if their bytes are present.
        // One allocation of exactly `count` entries (none for an empty list).
        out.dest_terminal_ids = ids.chunks_exact(tw).map(OctetString::from_field).collect();
        let (i, dest_terminal_type) = match version {
            Version::V30 => be_u8(i, "Dest_terminal_type")?,
            Version::V20 => (i, 0),
        };
        out.dest_terminal_type = dest_terminal_type;
        let (i, content) = length_prefixed(i)?;
        out.link_id = trailing(i, version.link_id_width());
        Ok((&[], content))
    }

    /// Bytes from Msg_Id up to (not including) DestUsr_tl: 128 on 3.0, 116 on 2.0.
    const fn prefix_len(version: Version) -> usize {
        8 + 4
            + 10
            + 1
            + version.terminal_id_width()
            + 3
            + 6
            + 2
            + 6
            + 17
            + 17
            + 21
            + match version {
                Version::V30 => 1,
                Version::V20 => 0,
            }
    }

    /// The fields from Msg_Id to Src_Id, written into `out` as they are read.
    #[inline(always)]
    fn parse_prefix<'a>(i: &'a [u8], version: Version, out: &mut Self) -> PResult<'a, ()> {
        let tw = version.terminal_id_width();
        let (i, msg_id) = msg_id_field(i, "Msg_Id")?;
        out.msg_id = msg_id;
        let (i, pk_total) = be_u8(i, "Pk_total")?;
        out.pk_total = pk_total;
        let (i, pk_number) = be_u8(i, "Pk_number")?;
        out.pk_number = pk_number;
        let (i, registered_delivery) = be_u8(i, "Registered_Delivery")?;
        out.registered_delivery = registered_delivery;
        let (i, msg_level) = be_u8(i, "Msg_level")?;
        out.msg_level = msg_level;
        let (i, service_id) = octets(i, "Service_Id", 10)?;
        out.service_id = service_id;
        let (i, fee_user_type) = be_u8(i, "Fee_UserType")?;
        out.fee_user_type = fee_user_type;
        let (i, fee_terminal_id) = octets(i, "Fee_terminal_Id", tw)?;
        out.fee_terminal_id = fee_terminal_id;
        let (i, fee_terminal_type) = match version {
            Version::V30 => be_u8(i, "Fee_terminal_type")?,
            Version::V20 => (i, 0),
        };
        out.fee_terminal_type = fee_terminal_type;
        let (i, tp_pid) = be_u8(i, "TP_pId")?;
        out.tp_pid = tp_pid;
        let (i, tp_udhi) = be_u8(i, "TP_udhi")?;
        out.tp_udhi = tp_udhi;
        let (i, msg_fmt) = be_u8(i, "Msg_Fmt")?;
        out.msg_fmt = MsgFmt::from_byte(msg_fmt);
        let (i, msg_src) = octets(i, "Msg_src", 6)?;
        out.msg_src = msg_src;
        let (i, fee_type) = octets(i, "FeeType", 2)?;
        out.fee_type = fee_type;
        let (i, fee_code) = octets(i, "FeeCode", 6)?;
        out.fee_code = fee_code;
        let (i, valid_time) = octets(i, "ValId_Time", 17)?;
        out.valid_time = valid_time;
        let (i, at_time) = octets(i, "At_Time", 17)?;
        out.at_time = at_time;
        let (i, src_id) = octets(i, "Src_Id", 21)?;
        out.src_id = src_id;
        Ok((i, ()))
    }

    pub(crate) fn body_len(&self, version: Version) -> usize {
        let fixed = match version {
            Version::V20 => 126,
            Version::V30 => 151,
        };
        fixed + self.dest_terminal_ids.len() * version.terminal_id_width() + self.msg_content.len()
    }

    pub(crate) fn check(&self, version: Version) -> Result<(), EncodeError> {
        let count = self.dest_terminal_ids.len();
        if count == 0 || count > MAX_DESTINATIONS {
            return Err(EncodeError::DestinationCount { count });
        }
        let tw = version.terminal_id_width();
        self.fee_terminal_id
            .check_width("Fee_terminal_Id", tw, version)?;
        for id in &self.dest_terminal_ids {
            id.check_width("Dest_terminal_Id", tw, version)?;
        }
        let link_field = match version {
            Version::V20 => "Reserve",
            Version::V30 => "LinkID",
        };
        self.link_id
            .check_width(link_field, version.link_id_width(), version)?;
        let max = self.msg_fmt.max_submit_len();
        if self.msg_content.len() > max {
            return Err(EncodeError::ContentTooLong {
                len: self.msg_content.len(),
                max,
            });
        }
        Ok(())
    }

    pub(crate) fn write(&self, version: Version, dst: &mut BytesMut) {
        let tw = version.terminal_id_width();
        dst.put_u64(self.msg_id.as_u64());
        dst.put_slice(&[
            self.pk_total,
            self.pk_number,
            self.registered_delivery,
            self.msg_level,
        ]);
        self.service_id.put(dst, 10);
        dst.put_u8(self.fee_user_type);
        self.fee_terminal_id.put(dst, tw);
        if version == Version::V30 {
            dst.put_u8(self.fee_terminal_type);
        }
        dst.put_slice(&[self.tp_pid, self.tp_udhi, self.msg_fmt.to_byte()]);
        self.msg_src.put(dst, 6);
        self.fee_type.put(dst, 2);
        self.fee_code.put(dst, 6);
        self.valid_time.put(dst, 17);
        self.at_time.put(dst, 17);
        self.src_id.put(dst, 21);
        // `check` bounded the count to 1..=99.
        dst.put_u8(self.dest_terminal_ids.len() as u8);
        for id in &self.dest_terminal_ids {
            id.put(dst, tw);
        }
        if version == Version::V30 {
            dst.put_u8(self.dest_terminal_type);
        }
        // `check` bounded the content to ≤ 159 bytes.
        dst.put_u8(self.msg_content.len() as u8);
        dst.put_slice(&self.msg_content);
        self.link_id.put(dst, version.link_id_width());
    }
}

/// Reads Msg_Length and the Msg_Content it announces.
#[inline]
pub(crate) fn length_prefixed(i: &[u8]) -> PResult<'_, &[u8]> {
    let at_length = i;
    let (i, len) = be_u8(i, "Msg_Length")?;
    let len = usize::from(len);
    if len > i.len() {
        return fail(
            at_length,
            "Msg_Length",
            DecodeProblem::DeclaredTooLong {
                declared: len,
                remaining: i.len(),
            },
        );
    }
    take(i, "Msg_Content", len)
}

/// CMPP_SUBMIT_RESP: the gateway's Msg_Id and Result for one SUBMIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SubmitResp {
    /// Msg_Id assigned by the gateway; status reports carry it.
    pub msg_id: MsgId,
    /// Result: 0 ok, 8 flow control, … (1 byte on 2.0, 4 on 3.0).
    pub result: SubmitResult,
}

impl SubmitResp {
    /// Result width from the body length (9 → u8, 12 → u32), not from the session version.
    pub(crate) fn parse(i: &[u8]) -> PResult<'_, Self> {
        let width = response_status_width(i, "Result")?;
        let (i, msg_id) = msg_id_field(i, "Msg_Id")?;
        let (i, result) = status(i, "Result", width)?;
        Ok((
            i,
            SubmitResp {
                msg_id,
                result: SubmitResult::from_u32(result),
            },
        ))
    }

    pub(crate) fn check(&self, version: Version) -> Result<(), EncodeError> {
        check_status("Result", self.result.to_u32(), version)
    }

    pub(crate) fn write(&self, version: Version, dst: &mut BytesMut) {
        dst.put_u64(self.msg_id.as_u64());
        put_status(dst, self.result.to_u32(), version);
    }
}

/// Width of the Result after an 8-byte Msg_Id: 9-byte body → 1, 12-byte body → 4.
pub(crate) fn response_status_width<'a>(
    i: &'a [u8],
    field: &'static str,
) -> Result<usize, nom::Err<FieldError<'a>>> {
    match i.len() {
        9 => Ok(1),
        12 => Ok(4),
        actual => Err(field_error(
            i,
            field,
            DecodeProblem::BadBodyLength {
                actual,
                expected: "9 (2.0) or 12 (3.0)",
            },
        )),
    }
}
