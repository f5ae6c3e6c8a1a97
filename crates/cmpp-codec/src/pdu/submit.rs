//! CMPP_SUBMIT (MT message, SP→ISMG) and CMPP_SUBMIT_RESP.

use bytes::{BufMut, Bytes, BytesMut};

use crate::codes::SubmitResult;
use crate::error::EncodeError;
use crate::fields::OctetString;
use crate::msg_id::MsgId;
use crate::parse::{be_u8, counted, msg_id, octets, trailing, Error, IResult};
use crate::pdu::id_result;
use crate::{MsgFmt, Version};
use nom::Parser;

/// Most recipients one SUBMIT may carry (DestUsr_tl < 100).
pub const MAX_DESTINATIONS: usize = 99;

/// CMPP_SUBMIT: one MT message to one or more recipients.
///
/// Number fields hold up to 32 bytes (3.0 width); on 2.0 they must fit 21 bytes and
/// LinkID must fit the 8-byte Reserve, else encoding fails with [`EncodeError::FieldTooLong`].
///
/// ```
/// use cmpp_codec::{decode, text, MsgFmt, Packet, Pdu, Submit, Version};
///
/// let submit = Submit {
///     registered_delivery: 1, // ask for a status report
///     service_id: "test".try_into().unwrap(),
///     msg_src: "900001".try_into().unwrap(),
///     src_id: "10690001".try_into().unwrap(),
///     dest_terminal_ids: vec!["13800138000".try_into().unwrap()],
///     msg_fmt: MsgFmt::Ucs2,
///     msg_content: text::encode_ucs2("你好").into(),
///     ..Submit::default()
/// };
/// let bytes = Packet::new(1, submit.clone()).to_bytes(Version::V30).unwrap();
/// let Pdu::Submit(back) = decode(bytes, Version::V30).unwrap().pdu else { panic!() };
/// assert_eq!(back, submit);
/// assert_eq!(text::decode_ucs2(&back.msg_content).unwrap(), "你好");
/// ```
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
    /// Dest_terminal_Id\[DestUsr_tl\]: recipients (21 bytes each on 2.0, 32 on 3.0).
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

    /// Parses a SUBMIT body; `to_bytes` turns Msg_Content (a sub-slice of `i`) into owned
    /// bytes.
    #[inline(always)]
    pub(crate) fn parse<'a>(
        i: &'a [u8],
        version: Version,
        to_bytes: impl FnOnce(&'a [u8]) -> Bytes,
    ) -> IResult<'a, Self> {
        let mut out = Submit::default();
        let (rest, content) = Self::parse_into(i, version, &mut out)?;
        out.msg_content = to_bytes(content);
        Ok((rest, out))
    }

    /// Parses into `out` (every field but `msg_content`, which is returned as a sub-slice
    /// of `i`). Writing each field into the caller's message as it is read keeps the
    /// ~260-byte struct from being copied through each parser's result.
    #[inline(always)]
    pub(crate) fn parse_into<'a>(
        i: &'a [u8],
        version: Version,
        out: &mut Self,
    ) -> IResult<'a, &'a [u8]> {
        // `version` becomes a constant in each copy, so the field widths are too.
        match version {
            Version::V30 => Self::parse_version(i, Version::V30, out),
            Version::V20 => Self::parse_version(i, Version::V20, out),
        }
    }

    /// [`Self::parse_into`] with `version` a constant.
    ///
    /// The fixed-layout fields before DestUsr_tl are read after one length check: when the
    /// body holds all of them, [`Self::parse_prefix`] runs over exactly that many bytes, so
    /// every per-field check in it is decided at compile time. A shorter body runs the same
    /// parser over the whole body, which fails at the first field that does not fit (with
    /// that field's name and offset).
    #[inline(always)]
    fn parse_version<'a>(i: &'a [u8], version: Version, out: &mut Self) -> IResult<'a, &'a [u8]> {
        let tw = version.terminal_id_width();
        let i = match i.split_at_checked(Self::prefix_len(version)) {
            Some((prefix, rest)) => {
                // Cannot fail: the prefix holds every field. Should it, its errors point
                // into `prefix`, which starts where `i` does.
                Self::parse_prefix(prefix, version, out)
                    .map_err(|e| e.map(|e: Error<'a>| e.rebase(prefix, i)))?;
                rest
            }
            None => Self::parse_prefix(i, version, out)?.0,
        };
        let (i, (_, ids)) = counted("DestUsr_tl", tw).parse_complete(i)?;
        // `counted` checked that every entry is present, so the list is the bytes cut into
        // entries: one allocation of exactly the count, no per-entry checks.
        out.dest_terminal_ids = ids.chunks_exact(tw).map(OctetString::from_field).collect();
        let (i, dest_terminal_type) = match version {
            Version::V30 => be_u8("Dest_terminal_type").parse_complete(i)?,
            Version::V20 => (i, 0),
        };
        out.dest_terminal_type = dest_terminal_type;
        let (i, (_, content)) = counted("Msg_Length", 1).parse_complete(i)?;
        let (i, link_id) = trailing(version.link_id_width()).parse_complete(i)?;
        out.link_id = link_id;
        Ok((i, content))
    }

    /// Bytes from Msg_Id up to (not including) DestUsr_tl: 128 on 3.0, 116 on 2.0.
    const fn prefix_len(version: Version) -> usize {
        let fee_terminal_type = match version {
            Version::V30 => 1,
            Version::V20 => 0,
        };
        8 + 4
            + 10
            + 1
            + version.terminal_id_width()
            + fee_terminal_type
            + 3
            + 6
            + 2
            + 6
            + 17
            + 17
            + 21
    }

    /// The fields from Msg_Id to Src_Id, written into `out` as they are read.
    #[inline(always)]
    fn parse_prefix<'a>(i: &'a [u8], version: Version, out: &mut Self) -> IResult<'a, ()> {
        let tw = version.terminal_id_width();
        let (i, msg_id) = msg_id("Msg_Id").parse_complete(i)?;
        out.msg_id = msg_id;
        let (i, (pk_total, pk_number, registered_delivery, msg_level)) = (
            be_u8("Pk_total"),
            be_u8("Pk_number"),
            be_u8("Registered_Delivery"),
            be_u8("Msg_level"),
        )
            .parse_complete(i)?;
        out.pk_total = pk_total;
        out.pk_number = pk_number;
        out.registered_delivery = registered_delivery;
        out.msg_level = msg_level;
        let (i, service_id) = octets("Service_Id", 10).parse_complete(i)?;
        out.service_id = service_id;
        let (i, fee_user_type) = be_u8("Fee_UserType").parse_complete(i)?;
        out.fee_user_type = fee_user_type;
        let (i, fee_terminal_id) = octets("Fee_terminal_Id", tw).parse_complete(i)?;
        out.fee_terminal_id = fee_terminal_id;
        let (i, fee_terminal_type) = match version {
            Version::V30 => be_u8("Fee_terminal_type").parse_complete(i)?,
            Version::V20 => (i, 0),
        };
        out.fee_terminal_type = fee_terminal_type;
        let (i, (tp_pid, tp_udhi, msg_fmt)) =
            (be_u8("TP_pId"), be_u8("TP_udhi"), be_u8("Msg_Fmt")).parse_complete(i)?;
        out.tp_pid = tp_pid;
        out.tp_udhi = tp_udhi;
        out.msg_fmt = MsgFmt::from_byte(msg_fmt);
        let (i, msg_src) = octets("Msg_src", 6).parse_complete(i)?;
        out.msg_src = msg_src;
        let (i, fee_type) = octets("FeeType", 2).parse_complete(i)?;
        out.fee_type = fee_type;
        let (i, fee_code) = octets("FeeCode", 6).parse_complete(i)?;
        out.fee_code = fee_code;
        let (i, valid_time) = octets("ValId_Time", 17).parse_complete(i)?;
        out.valid_time = valid_time;
        let (i, at_time) = octets("At_Time", 17).parse_complete(i)?;
        out.at_time = at_time;
        let (i, src_id) = octets("Src_Id", 21).parse_complete(i)?;
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
    pub(crate) fn parse(i: &[u8]) -> IResult<'_, Self> {
        id_result::parse
            .map(|(msg_id, result)| SubmitResp {
                msg_id,
                result: SubmitResult::from_u32(result),
            })
            .parse_complete(i)
    }

    pub(crate) fn check(&self, version: Version) -> Result<(), EncodeError> {
        id_result::check(self.result.to_u32(), version)
    }

    pub(crate) fn write(&self, version: Version, dst: &mut BytesMut) {
        id_result::write(self.msg_id, self.result.to_u32(), version, dst);
    }
}
