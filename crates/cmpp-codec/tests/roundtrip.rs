//! Property tests: encode→decode is the identity for every message type at both versions,
//! and decoding arbitrary input never panics.

use bytes::Bytes;
use cmpp_codec::{
    decode, split_frame, ActiveTestResp, Cancel, CancelResp, CommandId, Connect, ConnectResp,
    ConnectStatus, Deliver, DeliverContent, DeliverResp, DeliverResult, FrameStatus, MsgFmt, MsgId,
    OctetString, Packet, Pdu, Query, QueryResp, Stat, StatusReport, Submit, SubmitResp,
    SubmitResult, Version,
};
use proptest::prelude::*;

fn octets<const N: usize>(max: usize) -> impl Strategy<Value = OctetString<N>> {
    proptest::collection::vec(1u8..=255, 0..=max.min(N))
        .prop_map(|v| OctetString::<N>::new(&v).expect("no NUL, fits"))
}

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![Just(Version::V20), Just(Version::V30)]
}

fn msg_id() -> impl Strategy<Value = MsgId> {
    any::<u64>().prop_map(MsgId::from_u64)
}

/// A status value that fits the version's width.
fn status(v: Version) -> BoxedStrategy<u32> {
    match v {
        Version::V20 => (0u32..=255).boxed(),
        Version::V30 => any::<u32>().boxed(),
    }
}

/// A 3.0-only byte: 0 on 2.0 (not on the wire there).
fn v30_byte(v: Version) -> BoxedStrategy<u8> {
    match v {
        Version::V20 => Just(0).boxed(),
        Version::V30 => any::<u8>().boxed(),
    }
}

fn submit(v: Version) -> impl Strategy<Value = Submit> {
    let tw = v.terminal_id_width();
    let lw = v.link_id_width();
    let head = (
        msg_id(),
        any::<[u8; 4]>(),
        octets::<10>(10),
        any::<u8>(),
        octets::<32>(tw),
        v30_byte(v),
        any::<[u8; 2]>(),
        any::<u8>(),
    );
    let mid = (
        octets::<6>(6),
        octets::<2>(2),
        octets::<6>(6),
        octets::<17>(17),
        octets::<17>(17),
        octets::<21>(21),
    );
    let tail = (
        proptest::collection::vec(octets::<32>(tw), 1..=3),
        v30_byte(v),
        octets::<20>(lw),
    );
    (head, mid, tail).prop_flat_map(move |(head, mid, tail)| {
        let fmt = MsgFmt::from_byte(head.7);
        proptest::collection::vec(any::<u8>(), 0..=fmt.max_submit_len()).prop_map(move |content| {
            let (msg_id, pk, service_id, fee_user_type, fee_terminal_id, ftt, tp, _) = head;
            let (msg_src, fee_type, fee_code, valid_time, at_time, src_id) = mid;
            let (dest_terminal_ids, dest_terminal_type, link_id) = tail.clone();
            Submit {
                msg_id,
                pk_total: pk[0],
                pk_number: pk[1],
                registered_delivery: pk[2],
                msg_level: pk[3],
                service_id,
                fee_user_type,
                fee_terminal_id,
                fee_terminal_type: ftt,
                tp_pid: tp[0],
                tp_udhi: tp[1],
                msg_fmt: fmt,
                msg_src,
                fee_type,
                fee_code,
                valid_time,
                at_time,
                src_id,
                dest_terminal_ids,
                dest_terminal_type,
                msg_content: Bytes::from(content),
                link_id,
            }
        })
    })
}

fn report(v: Version) -> impl Strategy<Value = StatusReport> {
    (
        msg_id(),
        any::<[u8; 7]>(),
        octets::<10>(10),
        octets::<10>(10),
        octets::<32>(v.terminal_id_width()),
        any::<u32>(),
    )
        .prop_map(
            |(msg_id, stat, submit_time, done_time, dest_terminal_id, smsc_sequence)| {
                StatusReport {
                    msg_id,
                    stat: Stat::from_raw(stat),
                    submit_time,
                    done_time,
                    dest_terminal_id,
                    smsc_sequence,
                }
            },
        )
}

fn deliver(v: Version) -> impl Strategy<Value = Deliver> {
    let content = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..=255)
            .prop_map(|c| DeliverContent::Message(Bytes::from(c))),
        report(v).prop_map(DeliverContent::Report),
    ];
    (
        msg_id(),
        octets::<21>(21),
        octets::<10>(10),
        any::<[u8; 3]>(),
        octets::<32>(v.terminal_id_width()),
        v30_byte(v),
        content,
        octets::<20>(v.link_id_width()),
    )
        .prop_map(
            |(
                msg_id,
                dest_id,
                service_id,
                b,
                src_terminal_id,
                src_terminal_type,
                content,
                link_id,
            )| {
                Deliver {
                    msg_id,
                    dest_id,
                    service_id,
                    tp_pid: b[0],
                    tp_udhi: b[1],
                    msg_fmt: MsgFmt::from_byte(b[2]),
                    src_terminal_id,
                    src_terminal_type,
                    content,
                    link_id,
                }
            },
        )
}

fn pdu(v: Version) -> BoxedStrategy<Pdu> {
    prop_oneof![
        (octets::<6>(6), any::<[u8; 16]>(), any::<u8>(), any::<u32>()).prop_map(
            |(s, a, ver, t)| {
                Pdu::Connect(Connect {
                    source_addr: s,
                    authenticator_source: a,
                    version: ver,
                    timestamp: t,
                })
            }
        ),
        (status(v), any::<[u8; 16]>(), any::<u8>()).prop_map(|(s, a, ver)| {
            Pdu::ConnectResp(ConnectResp {
                status: ConnectStatus::from_u32(s),
                authenticator_ismg: a,
                version: ver,
            })
        }),
        Just(Pdu::Terminate),
        Just(Pdu::TerminateResp),
        submit(v).prop_map(Pdu::Submit),
        (msg_id(), status(v)).prop_map(|(m, r)| Pdu::SubmitResp(SubmitResp {
            msg_id: m,
            result: SubmitResult::from_u32(r)
        })),
        deliver(v).prop_map(Pdu::Deliver),
        (msg_id(), status(v)).prop_map(|(m, r)| Pdu::DeliverResp(DeliverResp {
            msg_id: m,
            result: DeliverResult::from_u32(r)
        })),
        (
            octets::<8>(8),
            any::<u8>(),
            octets::<10>(10),
            octets::<8>(8)
        )
            .prop_map(|(time, query_type, query_code, reserve)| Pdu::Query(Query {
                time,
                query_type,
                query_code,
                reserve
            })),
        (
            octets::<8>(8),
            any::<u8>(),
            octets::<10>(10),
            any::<[u32; 8]>()
        )
            .prop_map(
                |(time, query_type, query_code, n)| Pdu::QueryResp(QueryResp {
                    time,
                    query_type,
                    query_code,
                    mt_tl_msg: n[0],
                    mt_tl_usr: n[1],
                    mt_scs: n[2],
                    mt_wt: n[3],
                    mt_fl: n[4],
                    mo_scs: n[5],
                    mo_wt: n[6],
                    mo_fl: n[7],
                })
            ),
        msg_id().prop_map(|m| Pdu::Cancel(Cancel { msg_id: m })),
        status(v).prop_map(|s| Pdu::CancelResp(CancelResp { success_id: s })),
        Just(Pdu::ActiveTest),
        any::<u8>().prop_map(|r| Pdu::ActiveTestResp(ActiveTestResp { reserved: r })),
        (
            0x0000_0009u32..0x0000_0020,
            proptest::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(c, body)| Pdu::Unknown {
                command_id: CommandId(c),
                body: Bytes::from(body)
            }),
    ]
    .boxed()
}

fn packet() -> impl Strategy<Value = (Version, Packet)> {
    version().prop_flat_map(|v| {
        (any::<u32>(), pdu(v)).prop_map(move |(seq, p)| (v, Packet::new(seq, p)))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encode_then_decode_is_identity((version, packet) in packet()) {
        let bytes = packet.to_bytes(version).unwrap();
        prop_assert_eq!(bytes.len(), packet.encoded_len(version));
        prop_assert_eq!(split_frame(&bytes, 4096), Ok(FrameStatus::Complete(bytes.len())));
        let back = decode(bytes, version).unwrap();
        prop_assert_eq!(back, packet);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        for version in [Version::V20, Version::V30] {
            if let Ok(FrameStatus::Complete(n)) = split_frame(&data, 4096) {
                let _ = decode(Bytes::copy_from_slice(&data[..n]), version);
            }
            let _ = decode(Bytes::copy_from_slice(&data), version);
        }
    }

    #[test]
    fn arbitrary_body_behind_valid_header_never_panics(
        command in prop_oneof![
            (1u32..=8),
            (1u32..=8).prop_map(|c| c | 0x8000_0000),
            any::<u32>()
        ],
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut frame = ((body.len() + 12) as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&command.to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 1]);
        frame.extend_from_slice(&body);
        for version in [Version::V20, Version::V30] {
            match decode(Bytes::copy_from_slice(&frame), version) {
                // Whatever decodes must re-encode or fail with a typed error.
                Ok(p) => { let _ = p.to_bytes(version); }
                Err(e) => prop_assert!(e.offset <= frame.len(), "offset {} beyond {}", e.offset, frame.len()),
            }
        }
    }

    #[test]
    fn msg_id_text_forms_round_trip(v in any::<u64>()) {
        let id = MsgId::from_u64(v);
        prop_assert_eq!(id.to_string().parse::<MsgId>(), Ok(id));
        prop_assert_eq!(id.to_hex().parse::<MsgId>(), Ok(id));
    }
}
