//! Typed messages, the [`Pdu`] enum over them, and the top-level [`decode`] / [`encode`].

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, DecodeProblem, EncodeError};
use crate::frame::{CommandId, Header, DEFAULT_MAX_FRAME_LEN, HEADER_LEN};
use crate::parse::{share, FieldError};
use crate::seq::SequenceNumber;

pub mod bind;
pub mod deliver;
pub mod report;
pub mod resp;
pub mod submit;
pub mod trace;
pub mod unbind;
pub mod user_rpt;

pub use bind::Bind;
pub use deliver::Deliver;
pub use report::Report;
pub use resp::Resp;
pub use submit::Submit;
pub use trace::{Trace, TraceHop, TraceResp};
pub use unbind::Unbind;
pub use user_rpt::UserRpt;

/// Any SP-side SGIP message, plus unknown commands kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pdu {
    /// Bind.
    Bind(Bind),
    /// Bind_Resp.
    BindResp(Resp),
    /// Unbind.
    Unbind(Unbind),
    /// Unbind_Resp.
    UnbindResp(Unbind),
    /// Submit.
    Submit(Submit),
    /// Submit_Resp.
    SubmitResp(Resp),
    /// Deliver.
    Deliver(Deliver),
    /// Deliver_Resp.
    DeliverResp(Resp),
    /// Report.
    Report(Report),
    /// Report_Resp.
    ReportResp(Resp),
    /// UserRpt.
    UserRpt(UserRpt),
    /// UserRpt_Resp.
    UserRptResp(Resp),
    /// Trace.
    Trace(Trace),
    /// Trace_Resp.
    TraceResp(TraceResp),
    /// A command without a typed message here (GNS and billing commands, vendor ids): the
    /// raw body, so a server can answer it with an error Result.
    Unknown {
        /// Command ID from the header.
        command_id: CommandId,
        /// The bytes after the header.
        body: Bytes,
    },
}

/// One packet: the sequence number plus the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Sequence number: a response copies all 12 bytes of its request's.
    pub sequence: SequenceNumber,
    /// The message.
    pub pdu: Pdu,
}

impl Packet {
    /// A packet with this sequence number and message.
    pub fn new(sequence: SequenceNumber, pdu: Pdu) -> Self {
        Packet { sequence, pdu }
    }

    /// Encodes into a fresh buffer.
    pub fn to_bytes(&self) -> Result<Bytes, EncodeError> {
        let mut dst = BytesMut::with_capacity(self.encoded_len());
        encode(self, &mut dst)?;
        Ok(dst.freeze())
    }

    /// Message Length this packet encodes to.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.pdu.body_len()
    }
}

impl Pdu {
    /// The Command ID this message is sent with.
    pub fn command_id(&self) -> CommandId {
        match self {
            Pdu::Bind(_) => CommandId::BIND,
            Pdu::BindResp(_) => CommandId::BIND_RESP,
            Pdu::Unbind(_) => CommandId::UNBIND,
            Pdu::UnbindResp(_) => CommandId::UNBIND_RESP,
            Pdu::Submit(_) => CommandId::SUBMIT,
            Pdu::SubmitResp(_) => CommandId::SUBMIT_RESP,
            Pdu::Deliver(_) => CommandId::DELIVER,
            Pdu::DeliverResp(_) => CommandId::DELIVER_RESP,
            Pdu::Report(_) => CommandId::REPORT,
            Pdu::ReportResp(_) => CommandId::REPORT_RESP,
            Pdu::UserRpt(_) => CommandId::USER_RPT,
            Pdu::UserRptResp(_) => CommandId::USER_RPT_RESP,
            Pdu::Trace(_) => CommandId::TRACE,
            Pdu::TraceResp(_) => CommandId::TRACE_RESP,
            Pdu::Unknown { command_id, .. } => *command_id,
        }
    }

    /// Short command name, e.g. "SUBMIT".
    pub fn name(&self) -> &'static str {
        self.command_id().name()
    }

    /// True for responses (Command ID bit 31).
    pub fn is_response(&self) -> bool {
        self.command_id().is_response()
    }

    fn body_len(&self) -> usize {
        match self {
            Pdu::Bind(_) => Bind::BODY_LEN,
            Pdu::BindResp(_)
            | Pdu::SubmitResp(_)
            | Pdu::DeliverResp(_)
            | Pdu::ReportResp(_)
            | Pdu::UserRptResp(_) => Resp::BODY_LEN,
            Pdu::Unbind(m) | Pdu::UnbindResp(m) => m.extra.len(),
            Pdu::Submit(m) => m.body_len(),
            Pdu::Deliver(m) => m.body_len(),
            Pdu::Report(_) => Report::BODY_LEN,
            Pdu::UserRpt(_) => UserRpt::BODY_LEN,
            Pdu::Trace(_) => Trace::BODY_LEN,
            Pdu::TraceResp(m) => m.body_len(),
            Pdu::Unknown { body, .. } => body.len(),
        }
    }

    fn check(&self) -> Result<(), EncodeError> {
        match self {
            Pdu::Submit(m) => m.check(),
            Pdu::TraceResp(m) => m.check(),
            Pdu::Unknown { command_id, .. } if command_id.is_known() => {
                Err(EncodeError::KnownCommandAsUnknown {
                    command_id: command_id.0,
                })
            }
            _ => Ok(()),
        }
    }

    fn write_body(&self, dst: &mut BytesMut) {
        match self {
            Pdu::Bind(m) => m.write(dst),
            Pdu::BindResp(m)
            | Pdu::SubmitResp(m)
            | Pdu::DeliverResp(m)
            | Pdu::ReportResp(m)
            | Pdu::UserRptResp(m) => m.write(dst),
            Pdu::Unbind(m) | Pdu::UnbindResp(m) => dst.put_slice(&m.extra),
            Pdu::Submit(m) => m.write(dst),
            Pdu::Deliver(m) => m.write(dst),
            Pdu::Report(m) => m.write(dst),
            Pdu::UserRpt(m) => m.write(dst),
            Pdu::Trace(m) => m.write(dst),
            Pdu::TraceResp(m) => m.write(dst),
            Pdu::Unknown { body, .. } => dst.put_slice(body),
        }
    }
}

macro_rules! pdu_from {
    ($($ty:ident),*) => {
        $(impl From<$ty> for Pdu {
            fn from(v: $ty) -> Self {
                Pdu::$ty(v)
            }
        })*
    };
}
pdu_from!(Bind, Submit, Deliver, Report, UserRpt, Trace, TraceResp);

/// Decodes one complete frame (exactly the bytes [`crate::split_frame`] reported).
///
/// Message contents and unknown bodies share `frame`'s buffer (no copy).
pub fn decode(frame: Bytes) -> Result<Packet, DecodeError> {
    let header = Header::parse(&frame)?;
    check_length(&header, frame.len())?;
    let body = frame.get(HEADER_LEN..).unwrap_or_default();
    // The packet is created first and its message decoded in place, so the ~250-byte
    // Submit is not copied out through intermediate results.
    let mut packet = Packet {
        sequence: header.sequence,
        pdu: Pdu::Unbind(Unbind::default()),
    };
    decode_into(header.command_id, body, &frame, &mut packet.pdu)?;
    Ok(packet)
}

/// Second step of the two-step API: decodes the body after `header` (exactly Message
/// Length − 20 bytes). Error offsets still count from the packet start.
pub fn decode_body(header: &Header, body: Bytes) -> Result<Pdu, DecodeError> {
    check_length(header, body.len() + HEADER_LEN)?;
    let mut pdu = Pdu::Unbind(Unbind::default());
    decode_into(header.command_id, &body, &body, &mut pdu)?;
    Ok(pdu)
}

fn check_length(header: &Header, actual: usize) -> Result<(), DecodeError> {
    let declared = header.length as usize;
    if declared != actual {
        return Err(DecodeError {
            command: header.command_id.name(),
            field: "Message Length",
            offset: 0,
            problem: DecodeProblem::LengthMismatch { declared, actual },
        });
    }
    Ok(())
}

/// Decodes the body into `out`.
#[inline(always)]
fn decode_into(
    command_id: CommandId,
    body: &[u8],
    frame: &Bytes,
    out: &mut Pdu,
) -> Result<(), DecodeError> {
    use crate::pdu::{bind::bind, report::report, resp::resp, trace, user_rpt::user_rpt};
    let mut set = |pdu: Pdu| *out = pdu;
    let result = match command_id {
        CommandId::BIND => bind(body).map(|(_, m)| set(Pdu::Bind(m))),
        CommandId::BIND_RESP => resp(body).map(|(_, m)| set(Pdu::BindResp(m))),
        CommandId::UNBIND => {
            set(Pdu::Unbind(Unbind {
                extra: share(Some(frame), body),
            }));
            Ok(())
        }
        CommandId::UNBIND_RESP => {
            set(Pdu::UnbindResp(Unbind {
                extra: share(Some(frame), body),
            }));
            Ok(())
        }
        CommandId::SUBMIT => {
            let mut m = Submit::default();
            let r = submit::submit_into(body, Some(frame), &mut m);
            set(Pdu::Submit(m));
            r.map(|_| ())
        }
        CommandId::SUBMIT_RESP => resp(body).map(|(_, m)| set(Pdu::SubmitResp(m))),
        CommandId::DELIVER => {
            deliver::deliver_in(body, Some(frame)).map(|(_, m)| set(Pdu::Deliver(m)))
        }
        CommandId::DELIVER_RESP => resp(body).map(|(_, m)| set(Pdu::DeliverResp(m))),
        CommandId::REPORT => report(body).map(|(_, m)| set(Pdu::Report(m))),
        CommandId::REPORT_RESP => resp(body).map(|(_, m)| set(Pdu::ReportResp(m))),
        CommandId::USER_RPT => user_rpt(body).map(|(_, m)| set(Pdu::UserRpt(m))),
        CommandId::USER_RPT_RESP => resp(body).map(|(_, m)| set(Pdu::UserRptResp(m))),
        CommandId::TRACE => trace::trace(body).map(|(_, m)| set(Pdu::Trace(m))),
        CommandId::TRACE_RESP => trace::trace_resp(body).map(|(_, m)| set(Pdu::TraceResp(m))),
        _ => {
            set(Pdu::Unknown {
                command_id,
                body: share(Some(frame), body),
            });
            Ok(())
        }
    };
    result.map_err(|e| body_error(command_id, body, e))
}

/// The [`DecodeError`] for a body parser's failure; offsets count from the packet start.
#[cold]
fn body_error(command_id: CommandId, body: &[u8], e: nom::Err<FieldError<'_>>) -> DecodeError {
    let (field, rest, problem) = match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => (e.field, e.rest, e.problem),
        // Every parser here is `complete`; report a truncation at the end if one slips by.
        nom::Err::Incomplete(_) => (
            "body",
            &body[body.len()..],
            DecodeProblem::Truncated {
                needed: 1,
                remaining: 0,
            },
        ),
    };
    // Both slices point into the same buffer, so the address difference is the offset.
    let within = (rest.as_ptr() as usize).saturating_sub(body.as_ptr() as usize);
    DecodeError {
        command: command_id.name(),
        field,
        offset: HEADER_LEN + within,
        problem,
    }
}

/// Encodes `packet`, appending to `dst`; computes Message Length.
///
/// Every check runs before the first byte is written, so `dst` is unchanged on error.
pub fn encode(packet: &Packet, dst: &mut BytesMut) -> Result<(), EncodeError> {
    let pdu = &packet.pdu;
    pdu.check()?;
    let total = packet.encoded_len();
    if total > DEFAULT_MAX_FRAME_LEN as usize {
        return Err(EncodeError::PacketTooLong {
            len: total,
            max: DEFAULT_MAX_FRAME_LEN as usize,
        });
    }
    dst.reserve(total);
    // Bounded by 2048 above.
    dst.put_u32(total as u32);
    dst.put_u32(pdu.command_id().0);
    dst.put_slice(&packet.sequence.to_bytes());
    pdu.write_body(dst);
    Ok(())
}
