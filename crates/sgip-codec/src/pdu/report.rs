//! Report (status report, SMG → SP); its response is the generic [`crate::Resp`].

use bytes::{BufMut, BytesMut};

use crate::codes::{report_cause_class, CauseClass, ReportState, ResultCode};
use crate::error::DecodeProblem;
use crate::parse::{end, fail, sequence, text, u8_field, PResult};
use crate::seq::SequenceNumber;
use crate::text::Text;

/// Report: the outcome of one recipient of an earlier Submit.
///
/// The Report's own header carries a fresh sequence number of the SMG; the Submit it reports
/// on is [`Report::submit_sequence`], to be matched on all 12 bytes plus the user number (a
/// Submit to n users gets n Reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// SubmitSequenceNumber: the full sequence number of the reported Submit.
    pub submit_sequence: SequenceNumber,
    /// ReportType: 0 on a Submit (what an SP sees), 1 on a forwarded Deliver.
    pub report_type: u8,
    /// UserNumber: the recipient, with "86".
    pub user_number: Text<21>,
    /// State: delivered, waiting, failed.
    pub state: ReportState,
    /// ErrorCode: meaningful when State is Failed.
    pub error_code: ResultCode,
    /// Reserve.
    pub reserve: Text<8>,
}

impl Report {
    pub(crate) const BODY_LEN: usize = 44;

    /// Neutral class of the outcome (see [`report_cause_class`]).
    pub fn cause_class(&self) -> CauseClass {
        report_cause_class(self.state, self.error_code)
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        dst.put_slice(&self.submit_sequence.to_bytes());
        dst.put_u8(self.report_type);
        self.user_number.put(dst);
        dst.put_slice(&[self.state.to_u8(), self.error_code.0]);
        self.reserve.put(dst);
    }
}

/// Parses a Report body (44 bytes). The 32-byte body zysms sends (no SubmitSequenceNumber)
/// is rejected by name rather than misread.
pub fn report(i: &[u8]) -> PResult<'_, Report> {
    if i.len() == 32 {
        return fail(
            i,
            "SubmitSequenceNumber",
            DecodeProblem::BadBodyLength {
                actual: 32,
                expected: "44 (32 is a Report without SubmitSequenceNumber, as zysms sends)",
            },
        );
    }
    let (i, submit_sequence) = sequence(i, "SubmitSequenceNumber")?;
    let (i, report_type) = u8_field(i, "ReportType")?;
    let (i, user_number) = text(i, "UserNumber")?;
    let (i, state) = u8_field(i, "State")?;
    let (i, error_code) = u8_field(i, "ErrorCode")?;
    let (i, reserve) = text(i, "Reserve")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        Report {
            submit_sequence,
            report_type,
            user_number,
            state: ReportState::from_u8(state),
            error_code: ResultCode(error_code),
            reserve,
        },
    ))
}
