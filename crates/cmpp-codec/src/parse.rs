//! Borrowing [nom] parsers for CMPP packets and bodies, to compose into your own nom parsers.
//!
//! [`crate::decode`] is built from these parsers. Use them directly when the bytes are a
//! borrowed slice (a capture file, a pcap payload) or when a CMPP body is one part of a larger
//! nom grammar. Every parser here takes `&[u8]`, returns [`IResult`] (nom's, with this
//! module's [`Error`]) and reads complete input: a short input is an error, never
//! `Incomplete`.
//!
//! * Messages: [`header`], [`packet`], [`body`], and one parser per message ([`submit`],
//!   [`deliver`], [`status_report`], …). Msg_Content and unknown bodies are copied into the
//!   returned message, which owns its bytes; [`crate::decode`] slices them from the frame
//!   without copying instead.
//! * Fields: [`be_u8`], [`be_u32`], [`msg_id`], [`bytes()`], [`array()`], [`octets`],
//!   [`status`], [`counted`], [`trailing`], each naming its field, and [`field`], which names
//!   the field of any nom parser (as nom's `context` does, which [`Error`] also supports).
//!
//! An [`Error`] names the failing field and keeps the input at its start, so
//! [`Error::offset_in`] gives the byte offset and [`Error::into_decode_error`] the same
//! [`DecodeError`] that [`crate::decode`] reports.
//!
//! ```
//! use cmpp_codec::{parse, Packet, Pdu, Submit, Version};
//! use nom::{multi::many0, Parser};
//!
//! // A capture: two packets back to back, as a borrowed slice.
//! let mut submit = Submit::default();
//! submit.dest_terminal_ids = vec!["13800138000".try_into().unwrap()];
//! submit.msg_content = "hello".into();
//! let mut capture = Packet::new(7, submit).to_bytes(Version::V30).unwrap().to_vec();
//! capture.extend_from_slice(&Packet::new(8, Pdu::ActiveTest).to_bytes(Version::V30).unwrap());
//!
//! let (rest, packets) = many0(|i| parse::packet(i, Version::V30))
//!     .parse_complete(&capture[..])
//!     .unwrap();
//! assert!(rest.is_empty());
//! assert_eq!(packets.len(), 2);
//! let Pdu::Submit(got) = &packets[0].pdu else { panic!("not a SUBMIT") };
//! assert_eq!(&got.msg_content[..], b"hello");
//! assert_eq!(packets[1].pdu, Pdu::ActiveTest);
//! ```

use bytes::Bytes;
use nom::error::{ContextError, ErrorKind, ParseError};
use nom::{Mode, Needed, OutputM, OutputMode, Parser, Streaming};

use crate::error::{DecodeError, DecodeProblem};
use crate::fields::OctetString;
use crate::frame::{CommandId, Header, HEADER_LEN};
use crate::msg_id::MsgId;
use crate::pdu::{
    self, ActiveTestResp, Cancel, CancelResp, Connect, ConnectResp, Deliver, DeliverResp, Packet,
    Pdu, Query, QueryResp, StatusReport, Submit, SubmitResp,
};
use crate::Version;

/// Field name of errors raised by a bare nom parser, outside any named field.
const UNNAMED: &str = "body";

/// A parse failure: which field, where, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error<'a> {
    /// The input at the start of the failing field: a suffix of the slice the outermost
    /// parser was given, so its length tells where the field starts.
    pub input: &'a [u8],
    /// Spec name of the field, e.g. "Msg_Length"; "body" when a bare nom parser failed
    /// outside any named field.
    pub field: &'static str,
    /// What was wrong.
    pub problem: DecodeProblem,
}

impl<'a> Error<'a> {
    /// The error for `field`, starting at `input`, failing with `problem`.
    pub fn new(input: &'a [u8], field: &'static str, problem: DecodeProblem) -> Self {
        Error {
            input,
            field,
            problem,
        }
    }

    /// Byte offset of the failing field in `parsed`, the slice the parser was given.
    pub fn offset_in(&self, parsed: &[u8]) -> usize {
        parsed.len().saturating_sub(self.input.len())
    }

    /// The [`DecodeError`] for a failure while parsing `body`, the body of a `command`
    /// packet: the offset counts from the first byte of the packet, as [`crate::decode`]'s.
    pub fn into_decode_error(self, command: CommandId, body: &[u8]) -> DecodeError {
        DecodeError {
            command: command.name(),
            field: self.field,
            offset: HEADER_LEN + self.offset_in(body),
            problem: self.problem,
        }
    }

    /// Names an unnamed error after `field`, which starts at `input`; an error already
    /// naming an inner field keeps that name (the innermost field is the precise one).
    fn within(self, field: &'static str, input: &'a [u8]) -> Self {
        if self.field == UNNAMED {
            Error {
                input,
                field,
                problem: self.problem,
            }
        } else {
            self
        }
    }

    /// The same error after the parsed slice is placed in a larger input: `parsed` starts
    /// where `outer` does, and the error's input becomes the suffix of `outer` starting at
    /// the field. Keeps [`Error::input`] a suffix of the outermost input.
    pub(crate) fn rebase(self, parsed: &[u8], outer: &'a [u8]) -> Self {
        let at = self.offset_in(parsed);
        Error {
            input: outer.get(at..).unwrap_or_default(),
            ..self
        }
    }
}

impl<'a> ParseError<&'a [u8]> for Error<'a> {
    fn from_error_kind(input: &'a [u8], _kind: ErrorKind) -> Self {
        // nom's own parsers fail this way at the end of complete input.
        Error::new(
            input,
            UNNAMED,
            DecodeProblem::Truncated {
                needed: input.len() + 1,
                remaining: input.len(),
            },
        )
    }

    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

impl<'a> ContextError<&'a [u8]> for Error<'a> {
    fn add_context(input: &'a [u8], context: &'static str, other: Self) -> Self {
        other.within(context, input)
    }
}

/// nom's `IResult` over a borrowed byte slice with this module's [`Error`].
pub type IResult<'a, T> = nom::IResult<&'a [u8], T, Error<'a>>;

/// The parser of [`field`].
#[derive(Debug, Clone, Copy)]
pub struct Field<P> {
    name: &'static str,
    parser: P,
}

/// Names the field `parser` reads: its errors carry `name` and the input at the field start,
/// and a field cut short by the end of the input is [`DecodeProblem::Truncated`] with the
/// exact number of bytes it needed (nom's `Needed`).
///
/// ```
/// use cmpp_codec::parse::{field, Error};
/// use cmpp_codec::DecodeProblem;
/// use nom::Parser;
///
/// let mut timestamp = field("Timestamp", nom::number::be_u32());
/// assert_eq!(timestamp.parse_complete(&[0, 0, 1, 0, 9][..]), Ok((&[9u8][..], 256)));
/// let input = &[0, 1][..];
/// assert_eq!(
///     timestamp.parse_complete(input),
///     Err(nom::Err::Error(Error {
///         input,
///         field: "Timestamp",
///         problem: DecodeProblem::Truncated { needed: 4, remaining: 2 },
///     }))
/// );
/// ```
pub fn field<P>(name: &'static str, parser: P) -> Field<P> {
    Field { name, parser }
}

impl<'a, P> Parser<&'a [u8]> for Field<P>
where
    P: Parser<&'a [u8], Error = Error<'a>>,
{
    type Output = P::Output;
    type Error = Error<'a>;

    #[inline(always)]
    fn process<OM: OutputMode>(
        &mut self,
        input: &'a [u8],
    ) -> nom::PResult<OM, &'a [u8], Self::Output, Self::Error> {
        // Streaming mode, so a field cut short says how many bytes it lacked; the input is
        // complete, so that becomes an error here.
        let name = self.name;
        match self
            .parser
            .process::<OutputM<OM::Output, OM::Error, Streaming>>(input)
        {
            Ok(done) => Ok(done),
            Err(e) => Err(named::<OM>(e, name, input)),
        }
    }
}

/// The error of field `name` starting at `input`, from its parser's streaming-mode error.
#[inline(always)]
fn named<'a, OM: OutputMode>(
    e: nom::Err<Error<'a>, <OM::Error as Mode>::Output<Error<'a>>>,
    name: &'static str,
    input: &'a [u8],
) -> nom::Err<Error<'a>, <OM::Error as Mode>::Output<Error<'a>>> {
    match e {
        nom::Err::Incomplete(needed) => {
            let missing = match needed {
                Needed::Size(n) => n.get(),
                Needed::Unknown => 1,
            };
            nom::Err::Error(OM::Error::bind(|| truncated(input, name, missing)))
        }
        nom::Err::Error(e) => nom::Err::Error(OM::Error::map(e, |e| e.within(name, input))),
        nom::Err::Failure(e) => nom::Err::Failure(e.within(name, input)),
    }
}

/// A byte slice for nom's primitives ([`nom::bytes::take`], [`nom::number::be_u32`], …) to
/// run on inside the field parsers: nom's `Input` impl for `&[u8]` leaves `take_from` out of
/// line, a function call per field; every method here inlines, so a field is a length check
/// and a load. The field parsers take and return plain `&[u8]`.
#[derive(Debug, Clone, Copy)]
struct Slice<'a>(&'a [u8]);

impl<'a> nom::Input for Slice<'a> {
    type Item = u8;
    type Iter = std::iter::Copied<std::slice::Iter<'a, u8>>;
    type IterIndices = std::iter::Enumerate<Self::Iter>;

    #[inline(always)]
    fn input_len(&self) -> usize {
        self.0.len()
    }

    #[inline(always)]
    fn take(&self, index: usize) -> Self {
        Slice(self.0.get(..index).unwrap_or(self.0))
    }

    #[inline(always)]
    fn take_from(&self, index: usize) -> Self {
        Slice(self.0.get(index..).unwrap_or_default())
    }

    #[inline(always)]
    fn take_split(&self, index: usize) -> (Self, Self) {
        let (prefix, suffix) = self.0.split_at_checked(index).unwrap_or((self.0, &[]));
        (Slice(suffix), Slice(prefix))
    }

    #[inline(always)]
    fn position<P>(&self, predicate: P) -> Option<usize>
    where
        P: Fn(Self::Item) -> bool,
    {
        self.0.iter().position(|&b| predicate(b))
    }

    #[inline(always)]
    fn iter_elements(&self) -> Self::Iter {
        self.0.iter().copied()
    }

    #[inline(always)]
    fn iter_indices(&self) -> Self::IterIndices {
        self.iter_elements().enumerate()
    }

    #[inline(always)]
    fn slice_index(&self, count: usize) -> Result<usize, Needed> {
        match count.checked_sub(self.0.len()) {
            Some(missing) if missing > 0 => Err(Needed::new(missing)),
            _ => Ok(count),
        }
    }
}

impl<'a> ParseError<Slice<'a>> for Error<'a> {
    fn from_error_kind(input: Slice<'a>, kind: ErrorKind) -> Self {
        <Error<'a> as ParseError<&'a [u8]>>::from_error_kind(input.0, kind)
    }

    fn append(_input: Slice<'a>, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

/// A field read by one of nom's primitives (run on [`Slice`]), its value passed through
/// `convert`.
#[derive(Debug, Clone, Copy)]
struct Primitive<P, F> {
    name: &'static str,
    parser: P,
    convert: F,
}

impl<'a, P, F, O> Parser<&'a [u8]> for Primitive<P, F>
where
    P: Parser<Slice<'a>, Error = Error<'a>>,
    F: FnMut(P::Output) -> O,
{
    type Output = O;
    type Error = Error<'a>;

    #[inline(always)]
    fn process<OM: OutputMode>(
        &mut self,
        input: &'a [u8],
    ) -> nom::PResult<OM, &'a [u8], Self::Output, Self::Error> {
        // Streaming mode, as in `Field`, for the exact count of missing bytes.
        match self
            .parser
            .process::<OutputM<OM::Output, OM::Error, Streaming>>(Slice(input))
        {
            Ok((Slice(rest), out)) => {
                let convert = &mut self.convert;
                // A closure marked for inlining: passing `convert` itself leaves a call
                // through the `&mut F` shim on the hot path.
                #[allow(clippy::redundant_closure)]
                Ok((
                    rest,
                    OM::Output::map(
                        out,
                        #[inline(always)]
                        |o| convert(o),
                    ),
                ))
            }
            Err(e) => Err(named::<OM>(e, self.name, input)),
        }
    }
}

/// Field `name` read by nom primitive `parser`, its value converted by `convert`.
#[inline(always)]
fn primitive<'a, P, F, O>(name: &'static str, parser: P, convert: F) -> Primitive<P, F>
where
    P: Parser<Slice<'a>, Error = Error<'a>>,
    F: FnMut(P::Output) -> O,
{
    Primitive {
        name,
        parser,
        convert,
    }
}

/// A parser written as a function over complete input, like nom's impl for closures, but
/// always inlined: the field parsers sit on the decoding hot path.
#[derive(Debug, Clone, Copy)]
struct Inline<F>(F);

impl<'a, F, O> Parser<&'a [u8]> for Inline<F>
where
    F: FnMut(&'a [u8]) -> IResult<'a, O>,
{
    type Output = O;
    type Error = Error<'a>;

    #[inline(always)]
    fn process<OM: OutputMode>(
        &mut self,
        input: &'a [u8],
    ) -> nom::PResult<OM, &'a [u8], Self::Output, Self::Error> {
        match (self.0)(input) {
            Ok((rest, out)) => Ok((rest, OM::Output::bind(|| out))),
            Err(nom::Err::Error(e)) => Err(nom::Err::Error(OM::Error::bind(|| e))),
            Err(nom::Err::Failure(e)) => Err(nom::Err::Failure(e)),
            Err(nom::Err::Incomplete(n)) => Err(nom::Err::Incomplete(n)),
        }
    }
}

#[cold]
#[inline(never)]
fn truncated<'a>(input: &'a [u8], field: &'static str, missing: usize) -> Error<'a> {
    Error::new(
        input,
        field,
        DecodeProblem::Truncated {
            needed: input.len() + missing,
            remaining: input.len(),
        },
    )
}

/// Fails at `input` (the start of `field`) with `problem`.
#[cold]
#[inline(never)]
pub(crate) fn fail<'a, T>(
    input: &'a [u8],
    field: &'static str,
    problem: DecodeProblem,
) -> IResult<'a, T> {
    Err(nom::Err::Error(Error::new(input, field, problem)))
}

// ---------------------------------------------------------------------------------------
// Fields

/// A one-byte field.
#[inline(always)]
pub fn be_u8<'a>(name: &'static str) -> impl Parser<&'a [u8], Output = u8, Error = Error<'a>> {
    primitive(name, nom::number::be_u8(), |v| v)
}

/// A big-endian four-byte field.
#[inline(always)]
pub fn be_u32<'a>(name: &'static str) -> impl Parser<&'a [u8], Output = u32, Error = Error<'a>> {
    primitive(name, nom::number::be_u32(), |v| v)
}

/// An eight-byte Msg_Id field.
#[inline(always)]
pub fn msg_id<'a>(name: &'static str) -> impl Parser<&'a [u8], Output = MsgId, Error = Error<'a>> {
    primitive(name, nom::number::be_u64(), MsgId::from_u64)
}

/// Exactly `n` bytes, borrowed.
#[inline(always)]
pub fn bytes<'a>(
    name: &'static str,
    n: usize,
) -> impl Parser<&'a [u8], Output = &'a [u8], Error = Error<'a>> {
    primitive(name, nom::bytes::take(n), |Slice(value)| value)
}

/// A fixed-size byte array (authenticators, Stat).
#[inline(always)]
pub fn array<'a, const K: usize>(
    name: &'static str,
) -> impl Parser<&'a [u8], Output = [u8; K], Error = Error<'a>> {
    // `take(K)` yields exactly K bytes, so the conversion always succeeds.
    primitive(
        name,
        nom::bytes::take(K),
        #[inline(always)]
        |Slice(b)| b.first_chunk::<K>().copied().unwrap_or([0; K]),
    )
}

/// A NUL-padded Octet String field `width` bytes wide on the wire, kept up to its first NUL
/// (or whole when full, as real gateways send). `width` may exceed `N` only for values that
/// are known to be shorter; the value is cut at `N` bytes.
#[inline(always)]
pub fn octets<'a, const N: usize>(
    name: &'static str,
    width: usize,
) -> impl Parser<&'a [u8], Output = OctetString<N>, Error = Error<'a>> {
    primitive(
        name,
        nom::bytes::take(width),
        #[inline(always)]
        |Slice(value)| OctetString::from_field(value),
    )
}

/// A status field 1 byte (2.0) or 4 bytes (3.0) wide, as a u32.
#[inline(always)]
pub fn status<'a>(
    name: &'static str,
    width: usize,
) -> impl Parser<&'a [u8], Output = u32, Error = Error<'a>> {
    let wide = width == 4;
    Inline(
        #[inline(always)]
        move |input: &'a [u8]| {
            if wide {
                be_u32(name).parse_complete(input)
            } else {
                primitive(name, nom::number::be_u8(), u32::from).parse_complete(input)
            }
        },
    )
}

/// A one-byte count `name` followed by `count × unit` bytes: returns the count and those
/// bytes. A count that promises more bytes than remain fails on the count field
/// ([`DecodeProblem::DeclaredTooLong`]), since that is the field that is wrong.
#[inline(always)]
pub fn counted<'a>(
    name: &'static str,
    unit: usize,
) -> impl Parser<&'a [u8], Output = (u8, &'a [u8]), Error = Error<'a>> {
    Inline(
        #[inline(always)]
        move |input: &'a [u8]| {
            let (rest, count) = be_u8(name).parse_complete(input)?;
            let declared = usize::from(count) * unit;
            match rest.split_at_checked(declared) {
                Some((data, rest)) => Ok((rest, (count, data))),
                None => fail(
                    input,
                    name,
                    DecodeProblem::DeclaredTooLong {
                        declared,
                        remaining: rest.len(),
                    },
                ),
            }
        },
    )
}

/// An optional last string field: up to `width` bytes of whatever is left. A missing field
/// is empty and bytes after it are ignored (real gateways send short or long tails), so it
/// consumes the whole input and never fails.
#[inline(always)]
pub fn trailing<'a, const N: usize>(
    width: usize,
) -> impl Parser<&'a [u8], Output = OctetString<N>, Error = Error<'a>> {
    Inline(
        #[inline(always)]
        move |input: &'a [u8]| {
            let value = input.get(..width).unwrap_or(input);
            Ok((&input[input.len()..], OctetString::from_field(value)))
        },
    )
}

// ---------------------------------------------------------------------------------------
// Messages

/// The 12-byte header.
pub fn header(input: &[u8]) -> IResult<'_, Header> {
    (
        be_u32("Total_Length"),
        be_u32("Command_Id"),
        be_u32("Sequence_Id"),
    )
        .map(|(total_length, command_id, sequence_id)| Header {
            total_length,
            command_id: CommandId(command_id),
            sequence_id,
        })
        .parse_complete(input)
}

/// One whole packet: the header, then the body of Total_Length − 12 bytes at `version`.
///
/// The body is cut to its declared length before it is parsed, so it never reads into the
/// next packet; bytes it leaves unread (beyond a tolerated trailing field) go with it.
pub fn packet(input: &[u8], version: Version) -> IResult<'_, Packet> {
    let (rest, header) = header(input)?;
    let declared = header.total_length as usize;
    let Some(body_len) = declared.checked_sub(HEADER_LEN) else {
        return fail(
            input,
            "Total_Length",
            DecodeProblem::LengthMismatch {
                declared,
                actual: HEADER_LEN,
            },
        );
    };
    let Some((data, rest)) = rest.split_at_checked(body_len) else {
        return fail(
            input,
            "Total_Length",
            DecodeProblem::DeclaredTooLong {
                declared: body_len,
                remaining: rest.len(),
            },
        );
    };
    match body(header.command_id, data, version) {
        Ok((_, pdu)) => Ok((
            rest,
            Packet {
                sequence_id: header.sequence_id,
                pdu,
            },
        )),
        // Errors point into the body, which lies inside `input`.
        Err(e) => Err(e.map(|e| e.rebase(data, input.get(HEADER_LEN..).unwrap_or_default()))),
    }
}

/// The body of a `command` packet (the bytes after the header) at `version`.
///
/// An unknown Command_Id gives [`Pdu::Unknown`] with a copy of the body.
pub fn body(command: CommandId, input: &[u8], version: Version) -> IResult<'_, Pdu> {
    pdu::parse_body(command, input, version, &mut Bytes::copy_from_slice)
}

/// CMPP_CONNECT body.
pub fn connect(input: &[u8]) -> IResult<'_, Connect> {
    Connect::parse(input)
}

/// CMPP_CONNECT_RESP body; the Status width (1 or 4) follows the body length.
pub fn connect_resp(input: &[u8]) -> IResult<'_, ConnectResp> {
    ConnectResp::parse(input)
}

/// CMPP_SUBMIT body at `version`; Msg_Content is copied into the message.
///
/// ```
/// use cmpp_codec::{parse, Packet, Submit, Version, HEADER_LEN};
///
/// let mut submit = Submit::default();
/// submit.dest_terminal_ids = vec!["13800138000".try_into().unwrap()];
/// submit.msg_content = "hi".into();
/// let frame = Packet::new(1, submit.clone()).to_bytes(Version::V20).unwrap();
///
/// let (rest, parsed) = parse::submit(&frame[HEADER_LEN..], Version::V20).unwrap();
/// assert!(rest.is_empty());
/// assert_eq!(parsed, submit);
///
/// // A body cut inside DestUsr_tl's list names the count field and its offset.
/// let body = &frame[HEADER_LEN..HEADER_LEN + 120];
/// let nom::Err::Error(e) = parse::submit(body, Version::V20).unwrap_err() else {
///     panic!("not an error")
/// };
/// assert_eq!((e.field, e.offset_in(body)), ("DestUsr_tl", 116));
/// ```
pub fn submit(input: &[u8], version: Version) -> IResult<'_, Submit> {
    Submit::parse(input, version, Bytes::copy_from_slice)
}

/// CMPP_SUBMIT_RESP body; the Result width (1 or 4) follows the body length.
pub fn submit_resp(input: &[u8]) -> IResult<'_, SubmitResp> {
    SubmitResp::parse(input)
}

/// CMPP_DELIVER body at `version`; an MO Msg_Content is copied into the message.
pub fn deliver(input: &[u8], version: Version) -> IResult<'_, Deliver> {
    Deliver::parse(input, version, Bytes::copy_from_slice)
}

/// CMPP_DELIVER_RESP body; the Result width (1 or 4) follows the body length.
pub fn deliver_resp(input: &[u8]) -> IResult<'_, DeliverResp> {
    DeliverResp::parse(input)
}

/// A status report: the Msg_Content of a DELIVER with Registered_Delivery = 1 (60 bytes on
/// 2.0, 71 on 3.0, other lengths ≥ 39 tolerated).
pub fn status_report(input: &[u8]) -> IResult<'_, StatusReport> {
    StatusReport::parse(input)
}

/// CMPP_QUERY body.
pub fn query(input: &[u8]) -> IResult<'_, Query> {
    Query::parse(input)
}

/// CMPP_QUERY_RESP body.
pub fn query_resp(input: &[u8]) -> IResult<'_, QueryResp> {
    QueryResp::parse(input)
}

/// CMPP_CANCEL body.
pub fn cancel(input: &[u8]) -> IResult<'_, Cancel> {
    Cancel::parse(input)
}

/// CMPP_CANCEL_RESP body; the Success_Id width (1 or 4) follows the body length.
pub fn cancel_resp(input: &[u8]) -> IResult<'_, CancelResp> {
    CancelResp::parse(input)
}

/// CMPP_ACTIVE_TEST_RESP body (a missing Reserved byte reads as 0).
pub fn active_test_resp(input: &[u8]) -> IResult<'_, ActiveTestResp> {
    ActiveTestResp::parse(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(r: IResult<'_, impl std::fmt::Debug>) -> Error<'_> {
        match r {
            Err(nom::Err::Error(e)) => e,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn fields_name_themselves_and_count_missing_bytes() {
        let e = error(be_u32("MT_FL").parse_complete(&[1, 2, 3][..]));
        assert_eq!(e.field, "MT_FL");
        assert_eq!(
            e.problem,
            DecodeProblem::Truncated {
                needed: 4,
                remaining: 3
            }
        );
        let e = error(bytes("Src_Id", 21).parse_complete(&[b'1'; 20][..]));
        assert_eq!(
            e.problem,
            DecodeProblem::Truncated {
                needed: 21,
                remaining: 20
            }
        );
        assert_eq!(
            octets::<6>("Msg_src", 6).parse_complete(&b"900001xy"[..]),
            Ok((&b"xy"[..], OctetString::<6>::try_from("900001").unwrap()))
        );
    }

    #[test]
    fn offsets_count_from_the_outermost_input() {
        // Two fields in sequence: the second one's error starts 4 bytes in.
        let input = &[0, 0, 0, 1, 7][..];
        let e = error((be_u32("A"), be_u32("B")).parse_complete(input));
        assert_eq!((e.field, e.offset_in(input)), ("B", 4));
        // An inner name wins over an outer `field` or nom `context`.
        let e = error(field("outer", be_u32("inner")).parse_complete(&[0][..]));
        assert_eq!(e.field, "inner");
        let e =
            error(nom::error::context("ctx", nom::bytes::take(3usize)).parse_complete(&[0][..]));
        assert_eq!(e.field, "ctx");
    }

    #[test]
    fn trailing_tolerates_short_and_long_tails() {
        let value = |input: &'static [u8], width: usize| {
            let (rest, v) = trailing::<8>(width).parse_complete(input).unwrap();
            assert!(rest.is_empty(), "trailing leaves nothing");
            v
        };
        assert!(value(b"", 8).is_empty());
        assert_eq!(value(b"abc", 8), "abc");
        assert_eq!(value(b"12345678extra", 8), "12345678");
        assert_eq!(value(b"1234\0\0\0\0", 8), "1234");
    }

    #[test]
    fn counted_blames_the_count_field() {
        let input = &[2, 0xaa, 0xbb, 0xcc][..];
        assert_eq!(
            counted("DestUsr_tl", 1).parse_complete(input),
            Ok((&[0xcc][..], (2, &[0xaa, 0xbb][..])))
        );
        let e = error(counted("DestUsr_tl", 2).parse_complete(input));
        assert_eq!(e.offset_in(input), 0);
        assert_eq!(
            e.problem,
            DecodeProblem::DeclaredTooLong {
                declared: 4,
                remaining: 3
            }
        );
    }

    #[test]
    fn packet_rejects_impossible_total_length_and_missing_body() {
        let short = [0, 0, 0, 9, 0, 0, 0, 8, 0, 0, 0, 1];
        let e = error(packet(&short, Version::V30));
        assert_eq!(e.field, "Total_Length");
        let cut = [0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0, 0, 1];
        let e = error(packet(&cut, Version::V30));
        assert_eq!(
            e.problem,
            DecodeProblem::DeclaredTooLong {
                declared: 1,
                remaining: 0
            }
        );
        let ok = [0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0, 0, 1, 0, 0xff];
        let (rest, p) = packet(&ok, Version::V30).unwrap();
        assert_eq!(rest, &[0xff]);
        assert_eq!(p.pdu, Pdu::ActiveTestResp(ActiveTestResp { reserved: 0 }));
    }
}
