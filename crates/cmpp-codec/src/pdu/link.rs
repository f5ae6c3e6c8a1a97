//! Link maintenance: CMPP_ACTIVE_TEST_RESP (the only one with a body). ACTIVE_TEST,
//! TERMINATE and TERMINATE_RESP have no body and are unit variants of [`crate::Pdu`].

use nom::combinator::opt;
use nom::Parser;

use crate::parse::{be_u8, IResult};

/// CMPP_ACTIVE_TEST_RESP: one Reserved byte (sent as 0).
///
/// Decoding accepts a missing byte (Total_Length 12, seen from some test gateways) as 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ActiveTestResp {
    /// Reserved.
    pub reserved: u8,
}

impl ActiveTestResp {
    pub(crate) const BODY_LEN: usize = 1;

    pub(crate) fn parse(i: &[u8]) -> IResult<'_, Self> {
        opt(be_u8("Reserved"))
            .map(|reserved| ActiveTestResp {
                reserved: reserved.unwrap_or(0),
            })
            .parse_complete(i)
    }
}
