//! Bind (open a link) — its response is the generic [`crate::Resp`].

use bytes::{BufMut, BytesMut};

use crate::parse::{end, text, u8_field, PResult};
use crate::text::Text;

/// LoginType 1: SP → SMG link, the SP sends commands (the MT link).
pub const LOGIN_SP_TO_SMG: u8 = 1;
/// LoginType 2: SMG → SP link, the SMG sends Deliver, Report and UserRpt (the MO link).
pub const LOGIN_SMG_TO_SP: u8 = 2;
/// LoginType 11: test link used for Trace.
pub const LOGIN_TEST: u8 = 11;

/// Bind: the first command on every link; the server checks name and password (plain text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bind {
    /// LoginType: 1 SP→SMG, 2 SMG→SP, 3 SMG⇄SMG, 4–6 GNS links, 11 test link.
    pub login_type: u8,
    /// LoginName, assigned by the server side.
    pub login_name: Text<16>,
    /// LoginPassword (plain text).
    pub login_password: Text<16>,
    /// Reserve.
    pub reserve: Text<8>,
}

impl Bind {
    pub(crate) const BODY_LEN: usize = 41;

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        dst.put_u8(self.login_type);
        self.login_name.put(dst);
        self.login_password.put(dst);
        self.reserve.put(dst);
    }
}

/// Parses a Bind body (41 bytes).
pub fn bind(i: &[u8]) -> PResult<'_, Bind> {
    let (i, login_type) = u8_field(i, "LoginType")?;
    let (i, login_name) = text(i, "LoginName")?;
    let (i, login_password) = text(i, "LoginPassword")?;
    let (i, reserve) = text(i, "Reserve")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        Bind {
            login_type,
            login_name,
            login_password,
            reserve,
        },
    ))
}
