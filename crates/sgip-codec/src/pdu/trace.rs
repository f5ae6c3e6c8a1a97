//! Trace and Trace_Resp (test link): where did an MT go?

use bytes::{BufMut, BytesMut};

use crate::error::{DecodeProblem, EncodeError};
use crate::parse::{end, fail, sequence, text, u8_field, PResult};
use crate::seq::SequenceNumber;
use crate::text::Text;
use nom::Parser;

/// Trace: asks the SMG for the path of one earlier Submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trace {
    /// SubmitSequenceNumber of the Submit to trace.
    pub submit_sequence: SequenceNumber,
    /// UserNumber, with "86".
    pub user_number: Text<21>,
    /// Reserve.
    pub reserve: Text<8>,
}

impl Trace {
    pub(crate) const BODY_LEN: usize = 41;

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        dst.put_slice(&self.submit_sequence.to_bytes());
        self.user_number.put(dst);
        self.reserve.put(dst);
    }
}

/// One node an MT passed, in a Trace_Resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceHop {
    /// Result: 0 received OK, 1 pending, else an error code.
    pub result: u8,
    /// NodeId, e.g. "100001".
    pub node_id: Text<6>,
    /// ReceiveTime `yymmddhhmmss` in a 16-byte field (the spec's text says 12 chars, its
    /// table 16 bytes; the wire uses 16).
    pub receive_time: Text<16>,
    /// SendTime, same format.
    pub send_time: Text<16>,
    /// Reserve.
    pub reserve: Text<8>,
}

/// Trace_Resp: the nodes the traced MT passed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceResp {
    /// One entry per node (Count).
    pub hops: Vec<TraceHop>,
}

impl TraceResp {
    const HOP_LEN: usize = 47;

    pub(crate) fn body_len(&self) -> usize {
        1 + Self::HOP_LEN * self.hops.len()
    }

    pub(crate) fn check(&self) -> Result<(), EncodeError> {
        if self.hops.len() > 255 {
            return Err(EncodeError::TraceCount {
                count: self.hops.len(),
            });
        }
        Ok(())
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        // `check` bounded the count to 255.
        dst.put_u8(self.hops.len() as u8);
        for h in &self.hops {
            dst.put_u8(h.result);
            h.node_id.put(dst);
            h.receive_time.put(dst);
            h.send_time.put(dst);
            h.reserve.put(dst);
        }
    }
}

/// Parses a Trace body (41 bytes).
pub fn trace(i: &[u8]) -> PResult<'_, Trace> {
    let (i, submit_sequence) = sequence(i, "SubmitSequenceNumber")?;
    let (i, user_number) = text(i, "UserNumber")?;
    let (i, reserve) = text(i, "Reserve")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        Trace {
            submit_sequence,
            user_number,
            reserve,
        },
    ))
}

fn hop(i: &[u8]) -> PResult<'_, TraceHop> {
    let (i, result) = u8_field(i, "Result")?;
    let (i, node_id) = text(i, "NodeId")?;
    let (i, receive_time) = text(i, "ReceiveTime")?;
    let (i, send_time) = text(i, "SendTime")?;
    let (i, reserve) = text(i, "Reserve")?;
    Ok((
        i,
        TraceHop {
            result,
            node_id,
            receive_time,
            send_time,
            reserve,
        },
    ))
}

/// Parses a Trace_Resp body (1 + 47·Count bytes).
pub fn trace_resp(i: &[u8]) -> PResult<'_, TraceResp> {
    let at_count = i;
    let (i, count) = u8_field(i, "Count")?;
    let declared = TraceResp::HOP_LEN * usize::from(count);
    if declared > i.len() {
        return fail(
            at_count,
            "Count",
            DecodeProblem::DeclaredTooLong {
                declared: declared as u64,
                remaining: i.len(),
            },
        );
    }
    // The bytes for every entry are present, so the allocation is bounded by the frame.
    let (i, hops) = nom::multi::count(hop, usize::from(count)).parse_complete(i)?;
    let (i, ()) = end(i)?;
    Ok((i, TraceResp { hops }))
}
