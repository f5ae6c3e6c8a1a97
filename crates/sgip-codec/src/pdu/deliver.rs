//! Deliver (MO, SMG → SP); its response is the generic [`crate::Resp`].

use bytes::{BufMut, Bytes, BytesMut};

use crate::coding::{decode_text, Decoded};
use crate::parse::{end, length_prefixed, share, text, u8_field, PResult};
use crate::text::Text;

/// Deliver: a message a subscriber sent to the SP's access number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deliver {
    /// UserNumber: the sender, with "86".
    pub user_number: Text<21>,
    /// SPNumber: the access number the user sent to (may carry a suffix).
    pub sp_number: Text<21>,
    /// TP_pid.
    pub tp_pid: u8,
    /// TP_udhi: 1 when the content starts with a UDH (long MO).
    pub tp_udhi: u8,
    /// MessageCoding (see [`crate::coding`]).
    pub message_coding: u8,
    /// MessageContent.
    pub message_content: Bytes,
    /// Reserve; the SMG puts the LinkID of on-demand services here.
    pub reserve: Text<8>,
}

impl Deliver {
    /// Body bytes without the content.
    const FIXED: usize = 57;

    /// The LinkID to echo in the answering Submit's Reserve (empty when none).
    pub fn link_id(&self) -> &[u8] {
        self.reserve.as_bytes()
    }

    /// The content as text per MessageCoding (UDH not stripped).
    pub fn text(&self) -> Decoded<'_> {
        decode_text(self.message_coding, &self.message_content)
    }

    pub(crate) fn body_len(&self) -> usize {
        Self::FIXED + self.message_content.len()
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        self.user_number.put(dst);
        self.sp_number.put(dst);
        dst.put_slice(&[self.tp_pid, self.tp_udhi, self.message_coding]);
        // The frame limit was checked, so the length fits a u32.
        dst.put_u32(self.message_content.len() as u32);
        dst.put_slice(&self.message_content);
        self.reserve.put(dst);
    }
}

/// Parses a Deliver body; the content is copied (see [`crate::decode`] for zero-copy).
pub fn deliver(i: &[u8]) -> PResult<'_, Deliver> {
    deliver_in(i, None)
}

pub(crate) fn deliver_in<'a>(i: &'a [u8], frame: Option<&Bytes>) -> PResult<'a, Deliver> {
    let (i, user_number) = text(i, "UserNumber")?;
    let (i, sp_number) = text(i, "SPNumber")?;
    let (i, tp_pid) = u8_field(i, "TP_pid")?;
    let (i, tp_udhi) = u8_field(i, "TP_udhi")?;
    let (i, message_coding) = u8_field(i, "MessageCoding")?;
    let (i, content) = length_prefixed(i, "MessageLength", "MessageContent")?;
    let (i, reserve) = text(i, "Reserve")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        Deliver {
            user_number,
            sp_number,
            tp_pid,
            tp_udhi,
            message_coding,
            message_content: share(frame, content),
            reserve,
        },
    ))
}
