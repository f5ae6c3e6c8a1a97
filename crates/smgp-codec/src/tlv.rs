//! The TLV tail of SMGP 3.0 bodies (§3.9): kept in wire order, with typed accessors.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::EncodeError;

/// Tag values (spec §6.3).
pub mod tag {
    /// TP_pid (u8).
    pub const TP_PID: u16 = 0x0001;
    /// TP_udhi (u8).
    pub const TP_UDHI: u16 = 0x0002;
    /// LinkID (oct 20).
    pub const LINK_ID: u16 = 0x0003;
    /// ChargeUserType (u8).
    pub const CHARGE_USER_TYPE: u16 = 0x0004;
    /// ChargeTermType (u8).
    pub const CHARGE_TERM_TYPE: u16 = 0x0005;
    /// ChargeTermPseudo (oct var).
    pub const CHARGE_TERM_PSEUDO: u16 = 0x0006;
    /// DestTermType (u8).
    pub const DEST_TERM_TYPE: u16 = 0x0007;
    /// DestTermPseudo (oct var).
    pub const DEST_TERM_PSEUDO: u16 = 0x0008;
    /// PkTotal (u8).
    pub const PK_TOTAL: u16 = 0x0009;
    /// PkNumber (u8).
    pub const PK_NUMBER: u16 = 0x000A;
    /// SubmitMsgType (u8).
    pub const SUBMIT_MSG_TYPE: u16 = 0x000B;
    /// SPDealResult (u8).
    pub const SP_DEAL_RESULT: u16 = 0x000C;
    /// SrcTermType (u8).
    pub const SRC_TERM_TYPE: u16 = 0x000D;
    /// SrcTermPseudo (oct var).
    pub const SRC_TERM_PSEUDO: u16 = 0x000E;
    /// NodesCount (u8).
    pub const NODES_COUNT: u16 = 0x000F;
    /// MsgSrc (oct 8).
    pub const MSG_SRC: u16 = 0x0010;
    /// SrcType (u8).
    pub const SRC_TYPE: u16 = 0x0011;
    /// MServiceID (oct 21).
    pub const M_SERVICE_ID: u16 = 0x0012;
}

/// The spec name of a tag, or `None` for tags the spec does not define.
pub const fn tag_name(tag: u16) -> Option<&'static str> {
    Some(match tag {
        tag::TP_PID => "TP_pid",
        tag::TP_UDHI => "TP_udhi",
        tag::LINK_ID => "LinkID",
        tag::CHARGE_USER_TYPE => "ChargeUserType",
        tag::CHARGE_TERM_TYPE => "ChargeTermType",
        tag::CHARGE_TERM_PSEUDO => "ChargeTermPseudo",
        tag::DEST_TERM_TYPE => "DestTermType",
        tag::DEST_TERM_PSEUDO => "DestTermPseudo",
        tag::PK_TOTAL => "PkTotal",
        tag::PK_NUMBER => "PkNumber",
        tag::SUBMIT_MSG_TYPE => "SubmitMsgType",
        tag::SP_DEAL_RESULT => "SPDealResult",
        tag::SRC_TERM_TYPE => "SrcTermType",
        tag::SRC_TERM_PSEUDO => "SrcTermPseudo",
        tag::NODES_COUNT => "NodesCount",
        tag::MSG_SRC => "MsgSrc",
        tag::SRC_TYPE => "SrcType",
        tag::M_SERVICE_ID => "MServiceID",
        _ => return None,
    })
}

/// The field name used in errors for a TLV with this tag: "TLV PkTotal", or
/// "TLV (unknown tag)".
pub(crate) const fn tag_field_name(t: u16) -> &'static str {
    match t {
        tag::TP_PID => "TLV TP_pid",
        tag::TP_UDHI => "TLV TP_udhi",
        tag::LINK_ID => "TLV LinkID",
        tag::CHARGE_USER_TYPE => "TLV ChargeUserType",
        tag::CHARGE_TERM_TYPE => "TLV ChargeTermType",
        tag::CHARGE_TERM_PSEUDO => "TLV ChargeTermPseudo",
        tag::DEST_TERM_TYPE => "TLV DestTermType",
        tag::DEST_TERM_PSEUDO => "TLV DestTermPseudo",
        tag::PK_TOTAL => "TLV PkTotal",
        tag::PK_NUMBER => "TLV PkNumber",
        tag::SUBMIT_MSG_TYPE => "TLV SubmitMsgType",
        tag::SP_DEAL_RESULT => "TLV SPDealResult",
        tag::SRC_TERM_TYPE => "TLV SrcTermType",
        tag::SRC_TERM_PSEUDO => "TLV SrcTermPseudo",
        tag::NODES_COUNT => "TLV NodesCount",
        tag::MSG_SRC => "TLV MsgSrc",
        tag::SRC_TYPE => "TLV SrcType",
        tag::M_SERVICE_ID => "TLV MServiceID",
        _ => "TLV (unknown tag)",
    }
}

/// One TLV as received: any tag, any length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv {
    /// Tag.
    pub tag: u16,
    /// Value bytes (Length = their count).
    pub value: Bytes,
}

/// The TLV tail in wire order. Unknown tags and unusual lengths (MServiceID in 4 bytes,
/// PkTotal 0) are kept as received, so a decoded packet re-encodes byte for byte; the
/// accessors read the first TLV with a tag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tlvs(pub Vec<Tlv>);

impl Tlvs {
    /// No TLVs.
    pub const fn new() -> Self {
        Tlvs(Vec::new())
    }

    /// Number of TLVs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The TLVs in wire order.
    pub fn iter(&self) -> impl Iterator<Item = &Tlv> {
        self.0.iter()
    }

    /// The value of the first TLV with `tag`.
    pub fn get(&self, tag: u16) -> Option<&[u8]> {
        self.0.iter().find(|t| t.tag == tag).map(|t| &t.value[..])
    }

    /// The first byte of the first TLV with `tag` (for the u8 tags); `None` when absent or
    /// empty.
    pub fn get_u8(&self, tag: u16) -> Option<u8> {
        self.get(tag).and_then(|v| v.first().copied())
    }

    /// Sets `tag` to `value`: replaces the first TLV with that tag, or appends one.
    pub fn set(&mut self, tag: u16, value: impl Into<Bytes>) {
        let value = value.into();
        match self.0.iter_mut().find(|t| t.tag == tag) {
            Some(t) => t.value = value,
            None => self.0.push(Tlv { tag, value }),
        }
    }

    /// TP_pid.
    pub fn tp_pid(&self) -> Option<u8> {
        self.get_u8(tag::TP_PID)
    }

    /// TP_udhi (any non-zero value means a UDH is present; some gateways send 0x40).
    pub fn tp_udhi(&self) -> Option<u8> {
        self.get_u8(tag::TP_UDHI)
    }

    /// LinkID, without NUL padding.
    pub fn link_id(&self) -> Option<&[u8]> {
        self.get(tag::LINK_ID).map(trim_nul)
    }

    /// PkTotal.
    pub fn pk_total(&self) -> Option<u8> {
        self.get_u8(tag::PK_TOTAL)
    }

    /// PkNumber.
    pub fn pk_number(&self) -> Option<u8> {
        self.get_u8(tag::PK_NUMBER)
    }

    /// MsgSrc, without NUL padding.
    pub fn msg_src(&self) -> Option<&[u8]> {
        self.get(tag::MSG_SRC).map(trim_nul)
    }

    /// MServiceID, without NUL padding.
    pub fn m_service_id(&self) -> Option<&[u8]> {
        self.get(tag::M_SERVICE_ID).map(trim_nul)
    }

    /// SubmitMsgType.
    pub fn submit_msg_type(&self) -> Option<u8> {
        self.get_u8(tag::SUBMIT_MSG_TYPE)
    }

    pub(crate) fn encoded_len(&self) -> usize {
        self.0.iter().map(|t| 4 + t.value.len()).sum()
    }

    pub(crate) fn check(&self) -> Result<(), EncodeError> {
        match self
            .0
            .iter()
            .find(|t| t.value.len() > usize::from(u16::MAX))
        {
            Some(t) => Err(EncodeError::TlvTooLong {
                tag: t.tag,
                len: t.value.len(),
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        for t in &self.0 {
            dst.put_u16(t.tag);
            // `check` bounded the value to u16::MAX bytes.
            dst.put_u16(t.value.len() as u16);
            dst.put_slice(&t.value);
        }
    }
}

fn trim_nul(v: &[u8]) -> &[u8] {
    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
    &v[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_or_appends_and_accessors_read_first() {
        let mut t = Tlvs::new();
        t.set(tag::PK_TOTAL, vec![2]);
        t.set(tag::LINK_ID, &b"abc\0\0"[..]);
        t.set(tag::PK_TOTAL, vec![3]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.pk_total(), Some(3));
        assert_eq!(t.link_id(), Some(&b"abc"[..]));
        assert_eq!(t.pk_number(), None);
        t.set(tag::PK_NUMBER, Bytes::new());
        assert_eq!(t.pk_number(), None, "empty value has no byte");
        let mut out = BytesMut::new();
        t.write(&mut out);
        assert_eq!(out.len(), t.encoded_len());
        assert_eq!(&out[..5], &[0, 9, 0, 1, 3]);
    }

    #[test]
    fn names() {
        assert_eq!(tag_name(0x12), Some("MServiceID"));
        assert_eq!(tag_name(0x14), None);
        assert_eq!(tag_field_name(0x14), "TLV (unknown tag)");
    }

    #[test]
    fn over_long_value_is_refused() {
        let t = Tlvs(vec![Tlv {
            tag: 6,
            value: Bytes::from(vec![0; 70_000]),
        }]);
        assert_eq!(
            t.check(),
            Err(EncodeError::TlvTooLong {
                tag: 6,
                len: 70_000
            })
        );
    }
}
