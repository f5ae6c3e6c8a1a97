//! Typed messages, the [`Pdu`] enum over them, and the top-level [`decode`] / [`encode`].

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, DecodeProblem, EncodeError};
use crate::frame::{CommandId, Header, HEADER_LEN};
use crate::parse::IResult;
use crate::Version;

pub mod cancel;
pub mod connect;
pub mod deliver;
mod id_result;
pub mod link;
pub mod query;
pub mod report;
pub mod submit;

pub use cancel::{Cancel, CancelResp};
pub use connect::{Connect, ConnectResp};
pub use deliver::{Deliver, DeliverContent, DeliverResp};
pub use link::ActiveTestResp;
pub use query::{Query, QueryResp};
pub use report::StatusReport;
pub use submit::{Submit, SubmitResp};

/// Any SP⇄ISMG message body, plus unknown commands kept raw.
///
/// ```
/// use cmpp_codec::{ActiveTestResp, CommandId, Pdu};
///
/// let pdu = Pdu::from(ActiveTestResp::default());
/// assert_eq!(pdu.command_id(), CommandId::ACTIVE_TEST_RESP);
/// assert_eq!(pdu.name(), "ACTIVE_TEST_RESP");
/// assert!(pdu.is_response());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Pdu {
    /// CMPP_CONNECT.
    Connect(Connect),
    /// CMPP_CONNECT_RESP.
    ConnectResp(ConnectResp),
    /// CMPP_TERMINATE (no body).
    Terminate,
    /// CMPP_TERMINATE_RESP (no body).
    TerminateResp,
    /// CMPP_SUBMIT.
    Submit(Submit),
    /// CMPP_SUBMIT_RESP.
    SubmitResp(SubmitResp),
    /// CMPP_DELIVER.
    Deliver(Deliver),
    /// CMPP_DELIVER_RESP.
    DeliverResp(DeliverResp),
    /// CMPP_QUERY.
    Query(Query),
    /// CMPP_QUERY_RESP.
    QueryResp(QueryResp),
    /// CMPP_CANCEL.
    Cancel(Cancel),
    /// CMPP_CANCEL_RESP.
    CancelResp(CancelResp),
    /// CMPP_ACTIVE_TEST (no body).
    ActiveTest,
    /// CMPP_ACTIVE_TEST_RESP.
    ActiveTestResp(ActiveTestResp),
    /// A Command_Id without a typed message here (FWD, route commands, vendor ids): the raw
    /// body, so a session can answer or skip it.
    Unknown {
        /// Command_Id from the header.
        command_id: CommandId,
        /// The body bytes after the header.
        #[cfg_attr(feature = "serde", serde(serialize_with = "crate::serde_hex::bytes"))]
        body: Bytes,
    },
}

/// One packet: Sequence_Id plus the message.
///
/// ```
/// use cmpp_codec::{decode, Packet, Pdu, Version};
///
/// let ping = Packet::new(5, Pdu::ActiveTest);
/// let bytes = ping.to_bytes(Version::V20).unwrap();
/// assert_eq!(&bytes[..], &[0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 5]);
/// assert_eq!(decode(bytes, Version::V20).unwrap(), ping);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Packet {
    /// Sequence_Id: a response echoes its request's value.
    pub sequence_id: u32,
    /// The message.
    pub pdu: Pdu,
}

impl Packet {
    /// A packet with this Sequence_Id and message.
    pub fn new(sequence_id: u32, pdu: impl Into<Pdu>) -> Self {
        Packet {
            sequence_id,
            pdu: pdu.into(),
        }
    }

    /// Encodes into a fresh buffer.
    pub fn to_bytes(&self, version: Version) -> Result<Bytes, EncodeError> {
        let mut dst = BytesMut::with_capacity(self.encoded_len(version));
        encode(self, version, &mut dst)?;
        Ok(dst.freeze())
    }

    /// Total_Length this packet encodes to at `version`.
    pub fn encoded_len(&self, version: Version) -> usize {
        HEADER_LEN + self.pdu.body_len(version)
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
pdu_from!(
    Connect,
    ConnectResp,
    Submit,
    SubmitResp,
    Deliver,
    DeliverResp,
    Query,
    QueryResp,
    Cancel,
    CancelResp,
    ActiveTestResp
);

impl Pdu {
    /// The Command_Id this message is sent with.
    pub fn command_id(&self) -> CommandId {
        match self {
            Pdu::Connect(_) => CommandId::CONNECT,
            Pdu::ConnectResp(_) => CommandId::CONNECT_RESP,
            Pdu::Terminate => CommandId::TERMINATE,
            Pdu::TerminateResp => CommandId::TERMINATE_RESP,
            Pdu::Submit(_) => CommandId::SUBMIT,
            Pdu::SubmitResp(_) => CommandId::SUBMIT_RESP,
            Pdu::Deliver(_) => CommandId::DELIVER,
            Pdu::DeliverResp(_) => CommandId::DELIVER_RESP,
            Pdu::Query(_) => CommandId::QUERY,
            Pdu::QueryResp(_) => CommandId::QUERY_RESP,
            Pdu::Cancel(_) => CommandId::CANCEL,
            Pdu::CancelResp(_) => CommandId::CANCEL_RESP,
            Pdu::ActiveTest => CommandId::ACTIVE_TEST,
            Pdu::ActiveTestResp(_) => CommandId::ACTIVE_TEST_RESP,
            Pdu::Unknown { command_id, .. } => *command_id,
        }
    }

    /// Short command name, e.g. "SUBMIT".
    pub fn name(&self) -> &'static str {
        self.command_id().name()
    }

    /// True for response messages (Command_Id bit 31).
    pub fn is_response(&self) -> bool {
        self.command_id().is_response()
    }

    fn body_len(&self, version: Version) -> usize {
        match self {
            Pdu::Connect(_) => Connect::BODY_LEN,
            Pdu::ConnectResp(_) => ConnectResp::body_len(version),
            Pdu::Terminate | Pdu::TerminateResp | Pdu::ActiveTest => 0,
            Pdu::Submit(m) => m.body_len(version),
            Pdu::SubmitResp(_) | Pdu::DeliverResp(_) => 8 + version.status_width(),
            Pdu::Deliver(m) => m.body_len(version),
            Pdu::Query(_) => Query::BODY_LEN,
            Pdu::QueryResp(_) => QueryResp::BODY_LEN,
            Pdu::Cancel(_) => Cancel::BODY_LEN,
            Pdu::CancelResp(_) => version.status_width(),
            Pdu::ActiveTestResp(_) => ActiveTestResp::BODY_LEN,
            Pdu::Unknown { body, .. } => body.len(),
        }
    }

    fn check(&self, version: Version) -> Result<(), EncodeError> {
        match self {
            Pdu::ConnectResp(m) => m.check(version),
            Pdu::Submit(m) => m.check(version),
            Pdu::SubmitResp(m) => m.check(version),
            Pdu::Deliver(m) => m.check(version),
            Pdu::DeliverResp(m) => m.check(version),
            Pdu::CancelResp(m) => m.check(version),
            Pdu::Unknown { command_id, .. } if command_id.is_known() => {
                Err(EncodeError::KnownCommandAsUnknown {
                    command_id: command_id.0,
                })
            }
            _ => Ok(()),
        }
    }

    fn write_body(&self, version: Version, dst: &mut BytesMut) {
        match self {
            Pdu::Connect(m) => m.write(dst),
            Pdu::ConnectResp(m) => m.write(version, dst),
            Pdu::Terminate | Pdu::TerminateResp | Pdu::ActiveTest => {}
            Pdu::Submit(m) => m.write(version, dst),
            Pdu::SubmitResp(m) => m.write(version, dst),
            Pdu::Deliver(m) => m.write(version, dst),
            Pdu::DeliverResp(m) => m.write(version, dst),
            Pdu::Query(m) => m.write(dst),
            Pdu::QueryResp(m) => m.write(dst),
            Pdu::Cancel(m) => m.write(dst),
            Pdu::CancelResp(m) => m.write(version, dst),
            Pdu::ActiveTestResp(m) => dst.put_u8(m.reserved),
            Pdu::Unknown { body, .. } => dst.put_slice(body),
        }
    }
}

/// Decodes one complete frame (exactly the bytes [`crate::split_frame`] reported).
///
/// Msg_Content and unknown bodies are zero-copy slices of `frame`. A malformed body is a
/// [`DecodeError`] naming the command, the field and its byte offset; the frame is consumed
/// either way, so the stream stays in step. The body parsers are public in
/// [`crate::parse`] for callers holding a borrowed slice.
///
/// ```
/// use bytes::Bytes;
/// use cmpp_codec::{decode, DecodeProblem, Pdu, Version};
///
/// // SUBMIT_RESP on 3.0: Msg_Id, then a 4-byte Result (8 = flow control).
/// let frame = Bytes::from_static(&[
///     0, 0, 0, 24, 0x80, 0, 0, 4, 0, 0, 0, 0x17, // header
///     0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, // body
/// ]);
/// let packet = decode(frame.clone(), Version::V30).unwrap();
/// assert_eq!(packet.sequence_id, 0x17);
/// let Pdu::SubmitResp(resp) = packet.pdu else { panic!("not a SUBMIT_RESP") };
/// assert!(resp.result.is_retryable());
///
/// // The same packet cut short: Total_Length no longer matches.
/// let err = decode(frame.slice(..20), Version::V30).unwrap_err();
/// assert_eq!(err.field, "Total_Length");
/// assert_eq!(
///     err.problem,
///     DecodeProblem::LengthMismatch { declared: 24, actual: 20 }
/// );
/// ```
pub fn decode(frame: Bytes, version: Version) -> Result<Packet, DecodeError> {
    let header = Header::parse(&frame)?;
    check_total_length(&header, frame.len())?;
    let sequence_id = header.sequence_id;
    decode_inner(header.command_id, frame, HEADER_LEN, version, |pdu| {
        Packet { sequence_id, pdu }
    })
}

/// Second step of the two-step API: decodes the body that follows `header`
/// (exactly Total_Length − 12 bytes). Error offsets still count from the packet start.
pub fn decode_body(header: &Header, body: Bytes, version: Version) -> Result<Pdu, DecodeError> {
    check_total_length(header, body.len() + HEADER_LEN)?;
    decode_inner(header.command_id, body, 0, version, |pdu| pdu)
}

fn check_total_length(header: &Header, actual: usize) -> Result<(), DecodeError> {
    let declared = header.total_length as usize;
    if declared != actual {
        return Err(DecodeError {
            command: header.command_id.name(),
            field: "Total_Length",
            offset: 0,
            problem: DecodeProblem::LengthMismatch { declared, actual },
        });
    }
    Ok(())
}

/// Decodes the body that starts `body_start` bytes into `source` (content slices are taken
/// from `source`) and hands the message to `wrap`, so that a [`Packet`] is built where it is
/// returned rather than copied out of an intermediate result.
#[inline(always)]
fn decode_inner<T>(
    command_id: CommandId,
    source: Bytes,
    body_start: usize,
    version: Version,
    wrap: impl FnOnce(Pdu) -> T,
) -> Result<T, DecodeError> {
    let body = source.get(body_start..).unwrap_or_default();
    if command_id == CommandId::SUBMIT {
        // The most frequent message, parsed into the message it is returned in: the
        // ~260-byte struct is not copied through the parser's and the match's results.
        let mut m = Submit::default();
        return match Submit::parse_into(body, version, &mut m) {
            Ok((_, content)) => {
                m.msg_content = source.slice_ref(content);
                Ok(wrap(Pdu::Submit(m)))
            }
            Err(e) => Err(body_error(command_id, body, e)),
        };
    }
    // Every slice the parser hands out lies inside `body`, hence inside `source`.
    match parse_body(command_id, body, version, &mut |part| {
        source.slice_ref(part)
    }) {
        Ok((_, pdu)) => Ok(wrap(pdu)),
        Err(e) => Err(body_error(command_id, body, e)),
    }
}

/// Parses the body of a `command` packet; `to_bytes` turns Msg_Content and unknown bodies
/// (sub-slices of `body`) into owned [`Bytes`]: a zero-copy slice of the frame for
/// [`decode`], a copy for the borrowing [`crate::parse`] API.
#[inline(always)]
pub(crate) fn parse_body<'a>(
    command: CommandId,
    body: &'a [u8],
    version: Version,
    to_bytes: &mut impl FnMut(&'a [u8]) -> Bytes,
) -> IResult<'a, Pdu> {
    let pdu = match command {
        CommandId::CONNECT => Pdu::Connect(Connect::parse(body)?.1),
        CommandId::CONNECT_RESP => Pdu::ConnectResp(ConnectResp::parse(body)?.1),
        CommandId::TERMINATE => Pdu::Terminate,
        CommandId::TERMINATE_RESP => Pdu::TerminateResp,
        CommandId::SUBMIT => Pdu::Submit(Submit::parse(body, version, to_bytes)?.1),
        CommandId::SUBMIT_RESP => Pdu::SubmitResp(SubmitResp::parse(body)?.1),
        CommandId::DELIVER => Pdu::Deliver(Deliver::parse(body, version, to_bytes)?.1),
        CommandId::DELIVER_RESP => Pdu::DeliverResp(DeliverResp::parse(body)?.1),
        CommandId::QUERY => Pdu::Query(Query::parse(body)?.1),
        CommandId::QUERY_RESP => Pdu::QueryResp(QueryResp::parse(body)?.1),
        CommandId::CANCEL => Pdu::Cancel(Cancel::parse(body)?.1),
        CommandId::CANCEL_RESP => Pdu::CancelResp(CancelResp::parse(body)?.1),
        CommandId::ACTIVE_TEST => Pdu::ActiveTest,
        CommandId::ACTIVE_TEST_RESP => Pdu::ActiveTestResp(ActiveTestResp::parse(body)?.1),
        command_id => Pdu::Unknown {
            command_id,
            body: to_bytes(body),
        },
    };
    // Bodiless and unknown commands take the whole body; the parsers above end with a
    // tolerant trailing field or check the body length, so nothing is left unread.
    Ok((&body[body.len()..], pdu))
}

/// The [`DecodeError`] for a body parser's failure; offsets count from the packet start.
#[cold]
#[inline(never)]
fn body_error(
    command_id: CommandId,
    body: &[u8],
    e: nom::Err<crate::parse::Error<'_>>,
) -> DecodeError {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e.into_decode_error(command_id, body),
        // The parsers read complete input and never return `Incomplete`; should one slip
        // by, report a truncation at the end of the body.
        nom::Err::Incomplete(_) => DecodeError {
            command: command_id.name(),
            field: "body",
            offset: HEADER_LEN + body.len(),
            problem: DecodeProblem::Truncated {
                needed: 1,
                remaining: 0,
            },
        },
    }
}

/// Encodes `packet` at `version`, appending to `dst`; computes Total_Length.
///
/// Every check runs before the first byte is written, so `dst` is unchanged on error.
///
/// ```
/// use bytes::BytesMut;
/// use cmpp_codec::{encode, EncodeError, Packet, Submit, Version};
///
/// let mut submit = Submit::default();
/// submit.dest_terminal_ids = vec!["13800138000".try_into().unwrap()];
/// submit.msg_content = "hello".into();
/// let packet = Packet::new(1, submit.clone());
///
/// let mut dst = BytesMut::new();
/// encode(&packet, Version::V30, &mut dst).unwrap();
/// assert_eq!(dst.len(), packet.encoded_len(Version::V30));
/// assert_eq!(&dst[..4], &[0, 0, 0, 200]); // Total_Length: 12 + 151 + 32 + 5
///
/// // A 3.0-width number cannot go out on 2.0: nothing is written.
/// submit.dest_terminal_ids = vec!["8613800138000123456789".try_into().unwrap()];
/// let mut dst = BytesMut::new();
/// let err = encode(&Packet::new(2, submit), Version::V20, &mut dst).unwrap_err();
/// assert!(matches!(err, EncodeError::FieldTooLong { field: "Dest_terminal_Id", .. }));
/// assert!(dst.is_empty());
/// ```
pub fn encode(packet: &Packet, version: Version, dst: &mut BytesMut) -> Result<(), EncodeError> {
    let pdu = &packet.pdu;
    pdu.check(version)?;
    let total = packet.encoded_len(version);
    let total_length = u32::try_from(total).map_err(|_| EncodeError::PacketTooLong {
        len: total,
        max: u32::MAX as usize,
    })?;
    dst.reserve(total);
    dst.put_u32(total_length);
    dst.put_u32(pdu.command_id().0);
    dst.put_u32(packet.sequence_id);
    pdu.write_body(version, dst);
    Ok(())
}
