//! Typed messages, the [`Pdu`] enum over them, and the top-level [`decode`],
//! [`decode_lenient`] and [`encode`].

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, DecodeProblem, EncodeError, TlvError};
use crate::frame::{CommandId, Header, HEADER_LEN};
use crate::parse::{share, FieldError, PResult};
use crate::Version;

pub mod deliver;
pub mod link;
pub mod login;
pub mod query;
pub mod submit;

pub use deliver::{Deliver, DeliverResp};
pub use link::Bodiless;
pub use login::{Login, LoginResp};
pub use query::{Query, QueryResp};
pub use submit::{Submit, SubmitResp};

/// Any SP-side SMGP message, plus unknown commands kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pdu {
    /// Login.
    Login(Login),
    /// Login_Resp.
    LoginResp(LoginResp),
    /// Submit.
    Submit(Submit),
    /// Submit_Resp.
    SubmitResp(SubmitResp),
    /// Deliver.
    Deliver(Deliver),
    /// Deliver_Resp.
    DeliverResp(DeliverResp),
    /// Active_Test.
    ActiveTest(Bodiless),
    /// Active_Test_Resp.
    ActiveTestResp(Bodiless),
    /// Exit.
    Exit(Bodiless),
    /// Exit_Resp.
    ExitResp(Bodiless),
    /// Query.
    Query(Query),
    /// Query_Resp.
    QueryResp(QueryResp),
    /// A command without a typed message here (Forward, route and payment commands, vendor
    /// ids): the raw body.
    Unknown {
        /// RequestID from the header.
        command_id: CommandId,
        /// The bytes after the header.
        body: Bytes,
    },
}

/// One packet: SequenceID plus the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// SequenceID: a response echoes its request's.
    pub sequence_id: u32,
    /// The message.
    pub pdu: Pdu,
}

/// What [`decode_lenient`] returns: the packet, and the TLV error if the tail was broken
/// (the packet then holds the fixed part and the TLVs before the break).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The packet.
    pub packet: Packet,
    /// The broken TLV, if any.
    pub tlv_error: Option<TlvError>,
}

impl Packet {
    /// A packet with this SequenceID and message.
    pub fn new(sequence_id: u32, pdu: impl Into<Pdu>) -> Self {
        Packet {
            sequence_id,
            pdu: pdu.into(),
        }
    }

    /// Encodes into a fresh buffer.
    pub fn to_bytes(&self, version: Version) -> Result<Bytes, EncodeError> {
        let mut dst = BytesMut::with_capacity(self.encoded_len());
        encode(self, version, &mut dst)?;
        Ok(dst.freeze())
    }

    /// PacketLength this packet encodes to.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.pdu.body_len()
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
pdu_from!(Login, LoginResp, Submit, Deliver, Query, QueryResp);

impl Pdu {
    /// The RequestID this message is sent with.
    pub fn command_id(&self) -> CommandId {
        match self {
            Pdu::Login(_) => CommandId::LOGIN,
            Pdu::LoginResp(_) => CommandId::LOGIN_RESP,
            Pdu::Submit(_) => CommandId::SUBMIT,
            Pdu::SubmitResp(_) => CommandId::SUBMIT_RESP,
            Pdu::Deliver(_) => CommandId::DELIVER,
            Pdu::DeliverResp(_) => CommandId::DELIVER_RESP,
            Pdu::ActiveTest(_) => CommandId::ACTIVE_TEST,
            Pdu::ActiveTestResp(_) => CommandId::ACTIVE_TEST_RESP,
            Pdu::Exit(_) => CommandId::EXIT,
            Pdu::ExitResp(_) => CommandId::EXIT_RESP,
            Pdu::Query(_) => CommandId::QUERY,
            Pdu::QueryResp(_) => CommandId::QUERY_RESP,
            Pdu::Unknown { command_id, .. } => *command_id,
        }
    }

    /// Short command name, e.g. "SUBMIT".
    pub fn name(&self) -> &'static str {
        self.command_id().name()
    }

    /// True for responses (RequestID bit 31).
    pub fn is_response(&self) -> bool {
        self.command_id().is_response()
    }

    fn body_len(&self) -> usize {
        match self {
            Pdu::Login(_) => Login::BODY_LEN,
            Pdu::LoginResp(_) => LoginResp::BODY_LEN,
            Pdu::Submit(m) => m.body_len(),
            Pdu::SubmitResp(m) | Pdu::DeliverResp(m) => m.body_len(),
            Pdu::Deliver(m) => m.body_len(),
            Pdu::ActiveTest(m) | Pdu::ActiveTestResp(m) | Pdu::Exit(m) | Pdu::ExitResp(m) => {
                m.extra.len()
            }
            Pdu::Query(_) => Query::BODY_LEN,
            Pdu::QueryResp(_) => QueryResp::BODY_LEN,
            Pdu::Unknown { body, .. } => body.len(),
        }
    }

    fn check(&self, version: Version) -> Result<(), EncodeError> {
        match self {
            Pdu::Submit(m) => m.check(version),
            Pdu::SubmitResp(m) | Pdu::DeliverResp(m) => submit::check_tlvs(&m.tlvs, version),
            Pdu::Deliver(m) => {
                if m.msg_content.len() > 255 {
                    return Err(EncodeError::ContentTooLong {
                        len: m.msg_content.len(),
                    });
                }
                submit::check_tlvs(&m.tlvs, version)
            }
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
            Pdu::Login(m) => m.write(dst),
            Pdu::LoginResp(m) => m.write(dst),
            Pdu::Submit(m) => m.write(dst),
            Pdu::SubmitResp(m) | Pdu::DeliverResp(m) => m.write(dst),
            Pdu::Deliver(m) => m.write(dst),
            Pdu::ActiveTest(m) | Pdu::ActiveTestResp(m) | Pdu::Exit(m) | Pdu::ExitResp(m) => {
                dst.put_slice(&m.extra)
            }
            Pdu::Query(m) => m.write(dst),
            Pdu::QueryResp(m) => m.write(dst),
            Pdu::Unknown { body, .. } => dst.put_slice(body),
        }
    }
}

/// Decodes one complete frame (exactly the bytes [`crate::split_frame`] reported) in
/// `version`'s layout. A broken TLV tail is an error naming the TLV; use
/// [`decode_lenient`] to keep the fixed part.
///
/// Submit at 2.0/3.0: when the layout with FixedFee does not decode cleanly but the 1.3
/// layout does, with recipients and a TLV tail, the 1.3 reading is returned
/// (`fixed_fee: None`), because some peers send 1.3 bodies with 3.0 TLVs. Contents and unknown bodies share `frame`'s buffer.
pub fn decode(frame: Bytes, version: Version) -> Result<Packet, DecodeError> {
    let header = Header::parse(&frame)?;
    check_length(&header, frame.len())?;
    let body = frame.get(HEADER_LEN..).unwrap_or_default();
    let mut packet = Packet {
        sequence_id: header.sequence_id,
        pdu: Pdu::Exit(Bodiless::default()),
    };
    match decode_into(header.command_id, body, &frame, version, &mut packet.pdu)? {
        None => Ok(packet),
        Some(e) => Err(e.into()),
    }
}

/// Like [`decode`], but a broken TLV tail after a correct fixed body is returned beside the
/// packet instead of failing it.
pub fn decode_lenient(frame: Bytes, version: Version) -> Result<Decoded, DecodeError> {
    let header = Header::parse(&frame)?;
    check_length(&header, frame.len())?;
    let body = frame.get(HEADER_LEN..).unwrap_or_default();
    let mut packet = Packet {
        sequence_id: header.sequence_id,
        pdu: Pdu::Exit(Bodiless::default()),
    };
    let tlv_error = decode_into(header.command_id, body, &frame, version, &mut packet.pdu)?;
    Ok(Decoded { packet, tlv_error })
}

/// Second step of the two-step API: decodes the body after `header` (exactly PacketLength −
/// 12 bytes), strictly. Error offsets still count from the packet start.
pub fn decode_body(header: &Header, body: Bytes, version: Version) -> Result<Pdu, DecodeError> {
    check_length(header, body.len() + HEADER_LEN)?;
    let mut pdu = Pdu::Exit(Bodiless::default());
    match decode_into(header.command_id, &body, &body, version, &mut pdu)? {
        None => Ok(pdu),
        Some(e) => Err(e.into()),
    }
}

fn check_length(header: &Header, actual: usize) -> Result<(), DecodeError> {
    let declared = header.length as usize;
    if declared != actual {
        return Err(DecodeError {
            command: header.command_id.name(),
            field: "PacketLength",
            offset: 0,
            problem: DecodeProblem::LengthMismatch { declared, actual },
        });
    }
    Ok(())
}

/// Decodes the body into `out`; a broken TLV tail is returned as the [`TlvError`].
#[inline(always)]
fn decode_into(
    command_id: CommandId,
    body: &[u8],
    frame: &Bytes,
    version: Version,
    out: &mut Pdu,
) -> Result<Option<TlvError>, DecodeError> {
    let bodiless = || Bodiless {
        extra: share(Some(frame), body),
    };
    let set = |out: &mut Pdu, pdu: Pdu| -> Option<FieldError<'_>> {
        *out = pdu;
        None
    };
    let result: PResult<'_, Option<FieldError<'_>>> = match command_id {
        CommandId::LOGIN => login::login(body).map(|(r, m)| (r, set(out, Pdu::Login(m)))),
        CommandId::LOGIN_RESP => {
            login::login_resp(body).map(|(r, m)| (r, set(out, Pdu::LoginResp(m))))
        }
        CommandId::SUBMIT => {
            // Decoded in `out`'s own slot: the ~200-byte Submit is not built elsewhere and
            // moved in (two copies through memcpy, a fifth of the decode time).
            *out = Pdu::Submit(Submit::default());
            let Pdu::Submit(m) = out else {
                // Not taken: `out` was made a Submit on the line above.
                return Ok(None);
            };
            let fixed_fee = version.has_fixed_fee();
            let mut result = submit::submit_into(body, fixed_fee, Some(frame), m);
            // A 1.3-layout body with 3.0 TLVs (quirk 5) read as 2.0/3.0 misreads every field
            // after FeeCode; take the 1.3 reading when it decodes cleanly and looks like that
            // quirk: recipients and a TLV tail. (A merely truncated 3.0 body can also read
            // cleanly as 1.3, but then without recipients or TLVs.) Both readings are made
            // in the same slot, so the clean path copies nothing; when the 1.3 reading does
            // not qualify, the first reading is made again for its error.
            if fixed_fee && !matches!(result, Ok((_, None))) {
                let retry = submit::submit_into(body, false, Some(frame), m);
                let qualifies = matches!(retry, Ok((_, None)))
                    && !m.dest_term_ids.is_empty()
                    && !m.tlvs.is_empty();
                result = if qualifies {
                    retry
                } else {
                    submit::submit_into(body, true, Some(frame), m)
                };
            }
            result
        }
        CommandId::SUBMIT_RESP => submit::resp_in(body, Some(frame))
            .map(|(r, (m, e))| (r, set(out, Pdu::SubmitResp(m)).or(e))),
        CommandId::DELIVER => {
            let mut m = Deliver::default();
            let result = deliver::deliver_into(body, Some(frame), &mut m);
            *out = Pdu::Deliver(m);
            result
        }
        CommandId::DELIVER_RESP => submit::resp_in(body, Some(frame))
            .map(|(r, (m, e))| (r, set(out, Pdu::DeliverResp(m)).or(e))),
        CommandId::ACTIVE_TEST => Ok((body, set(out, Pdu::ActiveTest(bodiless())))),
        CommandId::ACTIVE_TEST_RESP => Ok((body, set(out, Pdu::ActiveTestResp(bodiless())))),
        CommandId::EXIT => Ok((body, set(out, Pdu::Exit(bodiless())))),
        CommandId::EXIT_RESP => Ok((body, set(out, Pdu::ExitResp(bodiless())))),
        CommandId::QUERY => query::query(body).map(|(r, m)| (r, set(out, Pdu::Query(m)))),
        CommandId::QUERY_RESP => {
            query::query_resp(body).map(|(r, m)| (r, set(out, Pdu::QueryResp(m))))
        }
        _ => Ok((
            body,
            set(
                out,
                Pdu::Unknown {
                    command_id,
                    body: share(Some(frame), body),
                },
            ),
        )),
    };
    match result {
        Ok((_, None)) => Ok(None),
        Ok((_, Some(e))) => Ok(Some(TlvError {
            command: command_id.name(),
            tag: e.rest.first_chunk::<2>().map(|t| u16::from_be_bytes(*t)),
            name: e.field,
            offset: offset_of(body, e.rest),
            problem: e.problem,
        })),
        Err(e) => Err(body_error(command_id, body, e)),
    }
}

/// Offset from the packet start of `rest`, a sub-slice of `body`.
fn offset_of(body: &[u8], rest: &[u8]) -> usize {
    // Both slices point into the same buffer, so the address difference is the offset.
    HEADER_LEN + (rest.as_ptr() as usize).saturating_sub(body.as_ptr() as usize)
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
    DecodeError {
        command: command_id.name(),
        field,
        offset: offset_of(body, rest),
        problem,
    }
}

/// Encodes `packet` in `version`'s layout, appending to `dst`; computes PacketLength.
///
/// Every check runs before the first byte is written, so `dst` is unchanged on error.
pub fn encode(packet: &Packet, version: Version, dst: &mut BytesMut) -> Result<(), EncodeError> {
    let pdu = &packet.pdu;
    pdu.check(version)?;
    let total = packet.encoded_len();
    let length = u32::try_from(total).map_err(|_| EncodeError::PacketTooLong {
        len: total,
        max: u32::MAX as usize,
    })?;
    dst.reserve(total);
    dst.put_u32(length);
    dst.put_u32(pdu.command_id().0);
    dst.put_u32(packet.sequence_id);
    pdu.write_body(dst);
    Ok(())
}
