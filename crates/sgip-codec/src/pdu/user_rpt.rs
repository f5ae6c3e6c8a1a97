//! UserRpt (subscriber state change, SMG → SP); its response is the generic [`crate::Resp`].

use bytes::{BufMut, BytesMut};

use crate::parse::{end, text, u8_field, PResult};
use crate::text::Text;

/// UserRpt: a subscriber's account changed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserRpt {
    /// SPNumber.
    pub sp_number: Text<21>,
    /// UserNumber, with "86".
    pub user_number: Text<21>,
    /// UserCondition: 0 account closed, 1 suspended for arrears, 2 back to normal.
    pub user_condition: u8,
    /// Reserve.
    pub reserve: Text<8>,
}

impl UserRpt {
    pub(crate) const BODY_LEN: usize = 51;

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        self.sp_number.put(dst);
        self.user_number.put(dst);
        dst.put_u8(self.user_condition);
        self.reserve.put(dst);
    }
}

/// Parses a UserRpt body (51 bytes).
pub fn user_rpt(i: &[u8]) -> PResult<'_, UserRpt> {
    let (i, sp_number) = text(i, "SPNumber")?;
    let (i, user_number) = text(i, "UserNumber")?;
    let (i, user_condition) = u8_field(i, "UserCondition")?;
    let (i, reserve) = text(i, "Reserve")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        UserRpt {
            sp_number,
            user_number,
            user_condition,
            reserve,
        },
    ))
}
