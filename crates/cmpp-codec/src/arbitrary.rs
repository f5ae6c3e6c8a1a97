//! Structure-aware generation of valid packets for fuzzing (feature `arbitrary`).
//!
//! [`VersionedPacket`] implements [`::arbitrary::Arbitrary`]: from any byte string it builds a
//! version and a [`Packet`] that version's wire layout can carry (every string within its
//! field width and free of NUL, counts and lengths within their limits, 2.0-only values where
//! 2.0 has narrower fields), so [`crate::encode`] must succeed and [`crate::decode`] must
//! give the packet back. The `packet_roundtrip` fuzz target checks exactly that.
//!
//! ```
//! use arbitrary::{Arbitrary, Unstructured};
//! use cmpp_codec::arbitrary::VersionedPacket;
//! use cmpp_codec::decode;
//!
//! let noise = [7u8; 300];
//! let VersionedPacket { version, packet } =
//!     VersionedPacket::arbitrary(&mut Unstructured::new(&noise)).unwrap();
//! let bytes = packet.to_bytes(version).unwrap();
//! assert_eq!(decode(bytes, version), Ok(packet));
//! ```

use ::arbitrary::{Arbitrary, Result, Unstructured};
use bytes::Bytes;

use crate::codes::{ConnectStatus, DeliverResult, Stat, SubmitResult};
use crate::fields::OctetString;
use crate::frame::CommandId;
use crate::msg_id::MsgId;
use crate::pdu::submit::MAX_DESTINATIONS;
use crate::pdu::{
    ActiveTestResp, Cancel, CancelResp, Connect, ConnectResp, Deliver, DeliverContent, DeliverResp,
    Packet, Pdu, Query, QueryResp, StatusReport, Submit, SubmitResp,
};
use crate::{MsgFmt, Version};

/// A packet and a version at which it encodes and decodes back to itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedPacket {
    /// The wire layout the packet fits.
    pub version: Version,
    /// The packet.
    pub packet: Packet,
}

impl<'a> Arbitrary<'a> for VersionedPacket {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let version = if bool::arbitrary(u)? {
            Version::V30
        } else {
            Version::V20
        };
        let packet = Packet {
            sequence_id: u32::arbitrary(u)?,
            pdu: pdu(u, version)?,
        };
        Ok(VersionedPacket { version, packet })
    }
}

/// Number of [`Pdu`] variants [`pdu`] chooses from.
const PDU_KINDS: u8 = 15;

fn pdu(u: &mut Unstructured<'_>, v: Version) -> Result<Pdu> {
    Ok(match u.int_in_range(0..=PDU_KINDS - 1)? {
        0 => Pdu::Connect(Connect {
            source_addr: octets(u, 6)?,
            authenticator_source: Arbitrary::arbitrary(u)?,
            version: Arbitrary::arbitrary(u)?,
            timestamp: Arbitrary::arbitrary(u)?,
        }),
        1 => Pdu::ConnectResp(ConnectResp {
            status: ConnectStatus::from_u32(status(u, v)?),
            authenticator_ismg: Arbitrary::arbitrary(u)?,
            version: Arbitrary::arbitrary(u)?,
        }),
        2 => Pdu::Terminate,
        3 => Pdu::TerminateResp,
        4 => Pdu::Submit(submit(u, v)?),
        5 => Pdu::SubmitResp(SubmitResp {
            msg_id: msg_id(u)?,
            result: SubmitResult::from_u32(status(u, v)?),
        }),
        6 => Pdu::Deliver(deliver(u, v)?),
        7 => Pdu::DeliverResp(DeliverResp {
            msg_id: msg_id(u)?,
            result: DeliverResult::from_u32(status(u, v)?),
        }),
        8 => Pdu::Query(Query {
            time: octets(u, 8)?,
            query_type: Arbitrary::arbitrary(u)?,
            query_code: octets(u, 10)?,
            reserve: octets(u, 8)?,
        }),
        9 => Pdu::QueryResp(QueryResp {
            time: octets(u, 8)?,
            query_type: Arbitrary::arbitrary(u)?,
            query_code: octets(u, 10)?,
            mt_tl_msg: Arbitrary::arbitrary(u)?,
            mt_tl_usr: Arbitrary::arbitrary(u)?,
            mt_scs: Arbitrary::arbitrary(u)?,
            mt_wt: Arbitrary::arbitrary(u)?,
            mt_fl: Arbitrary::arbitrary(u)?,
            mo_scs: Arbitrary::arbitrary(u)?,
            mo_wt: Arbitrary::arbitrary(u)?,
            mo_fl: Arbitrary::arbitrary(u)?,
        }),
        10 => Pdu::Cancel(Cancel { msg_id: msg_id(u)? }),
        11 => Pdu::CancelResp(CancelResp {
            success_id: status(u, v)?,
        }),
        12 => Pdu::ActiveTest,
        13 => Pdu::ActiveTestResp(ActiveTestResp {
            reserved: Arbitrary::arbitrary(u)?,
        }),
        _ => Pdu::Unknown {
            command_id: unknown_command(u)?,
            body: content(u, 4096)?,
        },
    })
}

fn submit(u: &mut Unstructured<'_>, v: Version) -> Result<Submit> {
    let tw = v.terminal_id_width();
    let msg_fmt = MsgFmt::from_byte(u8::arbitrary(u)?);
    let count = u.int_in_range(1..=MAX_DESTINATIONS)?;
    let dest_terminal_ids = (0..count)
        .map(|_| octets(u, tw))
        .collect::<Result<Vec<_>>>()?;
    Ok(Submit {
        msg_id: msg_id(u)?,
        pk_total: Arbitrary::arbitrary(u)?,
        pk_number: Arbitrary::arbitrary(u)?,
        registered_delivery: Arbitrary::arbitrary(u)?,
        msg_level: Arbitrary::arbitrary(u)?,
        service_id: octets(u, 10)?,
        fee_user_type: Arbitrary::arbitrary(u)?,
        fee_terminal_id: octets(u, tw)?,
        fee_terminal_type: v30_byte(u, v)?,
        tp_pid: Arbitrary::arbitrary(u)?,
        tp_udhi: Arbitrary::arbitrary(u)?,
        msg_fmt,
        msg_src: octets(u, 6)?,
        fee_type: octets(u, 2)?,
        fee_code: octets(u, 6)?,
        valid_time: octets(u, 17)?,
        at_time: octets(u, 17)?,
        src_id: octets(u, 21)?,
        dest_terminal_ids,
        dest_terminal_type: v30_byte(u, v)?,
        msg_content: content(u, msg_fmt.max_submit_len())?,
        link_id: octets(u, v.link_id_width())?,
    })
}

fn deliver(u: &mut Unstructured<'_>, v: Version) -> Result<Deliver> {
    let tw = v.terminal_id_width();
    Ok(Deliver {
        msg_id: msg_id(u)?,
        dest_id: octets(u, 21)?,
        service_id: octets(u, 10)?,
        tp_pid: Arbitrary::arbitrary(u)?,
        tp_udhi: Arbitrary::arbitrary(u)?,
        msg_fmt: MsgFmt::from_byte(u8::arbitrary(u)?),
        src_terminal_id: octets(u, tw)?,
        src_terminal_type: v30_byte(u, v)?,
        content: if bool::arbitrary(u)? {
            DeliverContent::Report(StatusReport {
                msg_id: msg_id(u)?,
                stat: Stat::from_raw(Arbitrary::arbitrary(u)?),
                submit_time: octets(u, 10)?,
                done_time: octets(u, 10)?,
                dest_terminal_id: octets(u, tw)?,
                smsc_sequence: Arbitrary::arbitrary(u)?,
            })
        } else {
            DeliverContent::Message(content(u, 255)?)
        },
        link_id: octets(u, v.link_id_width())?,
    })
}

/// A value of at most `width` bytes (and at most `N`) without NUL, which the wire pads.
fn octets<const N: usize>(u: &mut Unstructured<'_>, width: usize) -> Result<OctetString<N>> {
    let len = u.int_in_range(0..=width.min(N))?;
    let mut value = [1u8; N];
    for b in value.iter_mut().take(len) {
        // NUL ends a value on the wire, so it cannot be part of one.
        *b = u8::arbitrary(u)?.max(1);
    }
    OctetString::new(value.get(..len).unwrap_or_default())
        .map_err(|_| ::arbitrary::Error::IncorrectFormat)
}

/// Raw bytes of at most `max` bytes (Msg_Content, unknown bodies).
fn content(u: &mut Unstructured<'_>, max: usize) -> Result<Bytes> {
    let len = u.int_in_range(0..=max)?;
    let bytes = (0..len)
        .map(|_| u8::arbitrary(u))
        .collect::<Result<Vec<u8>>>()?;
    Ok(Bytes::from(bytes))
}

fn msg_id(u: &mut Unstructured<'_>) -> Result<MsgId> {
    Ok(MsgId::from_u64(u64::arbitrary(u)?))
}

/// A status value that fits its width: 1 byte on 2.0, 4 on 3.0.
fn status(u: &mut Unstructured<'_>, v: Version) -> Result<u32> {
    Ok(match v {
        Version::V30 => u32::arbitrary(u)?,
        Version::V20 => u32::from(u8::arbitrary(u)?),
    })
}

/// A byte sent only on 3.0 (terminal types); 2.0 decodes it as 0.
fn v30_byte(u: &mut Unstructured<'_>, v: Version) -> Result<u8> {
    match v {
        Version::V30 => u8::arbitrary(u),
        Version::V20 => Ok(0),
    }
}

/// A Command_Id without a typed message here (typed ids would decode to their message).
fn unknown_command(u: &mut Unstructured<'_>) -> Result<CommandId> {
    let id = CommandId(u32::arbitrary(u)?);
    // Bit 12 set is never a known id, and the result stays a request or a response.
    Ok(if id.is_known() {
        CommandId(id.0 | 0x1000)
    } else {
        id
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, parse};
    use proptest::prelude::*;

    /// The packet generated from `data`, if there was enough of it.
    fn generate(data: &[u8]) -> Option<VersionedPacket> {
        VersionedPacket::arbitrary(&mut Unstructured::new(data)).ok()
    }

    proptest! {
        // The fuzz target's guarantee, run by `cargo test`: every generated packet encodes,
        // and decodes back to itself through `decode` and the borrowing `parse::packet`.
        #[test]
        fn every_generated_packet_encodes_and_decodes_back(
            data in proptest::collection::vec(any::<u8>(), 0..4096)
        ) {
            if let Some(VersionedPacket { version, packet }) = generate(&data) {
                let bytes = packet
                    .to_bytes(version)
                    .map_err(|e| TestCaseError::fail(format!("{packet:?} does not encode: {e}")))?;
                prop_assert_eq!(bytes.len(), packet.encoded_len(version));
                prop_assert_eq!(parse::packet(&bytes, version), Ok((&[][..], packet.clone())));
                prop_assert_eq!(decode(bytes, version), Ok(packet));
            }
        }
    }

    #[test]
    fn generator_reaches_every_message_and_both_versions() {
        let mut kinds = std::collections::BTreeSet::new();
        let mut versions = std::collections::BTreeSet::new();
        let mut full_width_numbers = false;
        for seed in 0..3000u32 {
            // Deterministic, varied input: a small xorshift stream per seed.
            let mut x = seed.wrapping_mul(2_654_435_761).max(1);
            let data: Vec<u8> = (0..2048)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let Some(VersionedPacket { version, packet }) = generate(&data) else {
                continue;
            };
            kinds.insert(packet.pdu.name());
            versions.insert(version.to_string());
            if let Pdu::Submit(s) = &packet.pdu {
                full_width_numbers |= s
                    .dest_terminal_ids
                    .iter()
                    .any(|d| d.len() == version.terminal_id_width());
            }
        }
        assert_eq!(kinds.len(), usize::from(PDU_KINDS), "kinds seen: {kinds:?}");
        assert_eq!(versions.len(), 2);
        assert!(full_width_numbers, "no full-width destination generated");
    }
}
