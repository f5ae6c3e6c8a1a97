//! Property tests: encode → decode is the identity for every SGIP message, and decoding
//! arbitrary bytes never panics.

use bytes::Bytes;
use proptest::prelude::*;
use sgip_codec::{
    decode, split_frame, Bind, CommandId, Deliver, Packet, Pdu, Report, ReportState, Resp,
    ResultCode, SequenceNumber, Submit, Text, Trace, TraceHop, TraceResp, Unbind, UserRpt,
};

fn text<const N: usize>() -> impl Strategy<Value = Text<N>> {
    proptest::collection::vec(1u8..=255, 0..=N).prop_map(|v| Text::<N>::new(&v).expect("fits"))
}

fn seq() -> impl Strategy<Value = SequenceNumber> {
    any::<(u32, u32, u32)>().prop_map(|(a, b, c)| SequenceNumber::new(a, b, c))
}

fn content(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

fn resp() -> impl Strategy<Value = Resp> {
    (any::<u8>(), text::<8>()).prop_map(|(r, reserve)| Resp {
        result: ResultCode(r),
        reserve,
    })
}

fn submit() -> impl Strategy<Value = Submit> {
    let a = (
        text::<21>(),
        text::<21>(),
        proptest::collection::vec(text::<21>(), 1..=20),
        text::<5>(),
        text::<10>(),
        any::<u8>(),
        text::<6>(),
        text::<6>(),
    );
    let b = (
        any::<[u8; 3]>(),
        text::<16>(),
        text::<16>(),
        any::<[u8; 5]>(),
        content(300),
        text::<8>(),
    );
    (a, b).prop_map(
        |(
            (
                sp_number,
                charge_number,
                user_numbers,
                corp_id,
                service_type,
                fee_type,
                fee_value,
                given_value,
            ),
            (
                [agent_flag, morelateto_mt_flag, priority],
                expire_time,
                schedule_time,
                flags,
                message_content,
                reserve,
            ),
        )| Submit {
            sp_number,
            charge_number,
            user_numbers,
            corp_id,
            service_type,
            fee_type,
            fee_value,
            given_value,
            agent_flag,
            morelateto_mt_flag,
            priority,
            expire_time,
            schedule_time,
            report_flag: flags[0],
            tp_pid: flags[1],
            tp_udhi: flags[2],
            message_coding: flags[3],
            message_type: flags[4],
            message_content,
            reserve,
        },
    )
}

fn deliver() -> impl Strategy<Value = Deliver> {
    (
        text::<21>(),
        text::<21>(),
        any::<[u8; 3]>(),
        content(1500),
        text::<8>(),
    )
        .prop_map(
            |(
                user_number,
                sp_number,
                [tp_pid, tp_udhi, message_coding],
                message_content,
                reserve,
            )| {
                Deliver {
                    user_number,
                    sp_number,
                    tp_pid,
                    tp_udhi,
                    message_coding,
                    message_content,
                    reserve,
                }
            },
        )
}

fn pdu() -> impl Strategy<Value = Pdu> {
    prop_oneof![
        (any::<u8>(), text::<16>(), text::<16>(), text::<8>()).prop_map(|(t, n, p, r)| {
            Pdu::Bind(Bind {
                login_type: t,
                login_name: n,
                login_password: p,
                reserve: r,
            })
        }),
        resp().prop_map(Pdu::BindResp),
        content(40).prop_map(|extra| Pdu::Unbind(Unbind { extra })),
        content(40).prop_map(|extra| Pdu::UnbindResp(Unbind { extra })),
        submit().prop_map(Pdu::Submit),
        resp().prop_map(Pdu::SubmitResp),
        deliver().prop_map(Pdu::Deliver),
        resp().prop_map(Pdu::DeliverResp),
        (
            seq(),
            any::<u8>(),
            text::<21>(),
            any::<u8>(),
            any::<u8>(),
            text::<8>()
        )
            .prop_map(|(s, t, u, st, e, r)| Pdu::Report(Report {
                submit_sequence: s,
                report_type: t,
                user_number: u,
                state: ReportState::from_u8(st),
                error_code: ResultCode(e),
                reserve: r,
            })),
        resp().prop_map(Pdu::ReportResp),
        (text::<21>(), text::<21>(), any::<u8>(), text::<8>()).prop_map(|(s, u, c, r)| {
            Pdu::UserRpt(UserRpt {
                sp_number: s,
                user_number: u,
                user_condition: c,
                reserve: r,
            })
        }),
        resp().prop_map(Pdu::UserRptResp),
        (seq(), text::<21>(), text::<8>()).prop_map(|(s, u, r)| Pdu::Trace(Trace {
            submit_sequence: s,
            user_number: u,
            reserve: r,
        })),
        proptest::collection::vec(
            (
                any::<u8>(),
                text::<6>(),
                text::<16>(),
                text::<16>(),
                text::<8>()
            ),
            0..=10
        )
        .prop_map(|hops| Pdu::TraceResp(TraceResp {
            hops: hops
                .into_iter()
                .map(
                    |(result, node_id, receive_time, send_time, reserve)| TraceHop {
                        result,
                        node_id,
                        receive_time,
                        send_time,
                        reserve,
                    }
                )
                .collect(),
        })),
        (any::<u32>(), content(100))
            .prop_filter("typed command", |(c, _)| !CommandId(*c).is_known())
            .prop_map(|(c, body)| Pdu::Unknown {
                command_id: CommandId(c),
                body,
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_is_identity(sequence in seq(), pdu in pdu()) {
        let packet = Packet::new(sequence, pdu);
        let raw = packet.to_bytes().expect("valid packet encodes");
        prop_assert_eq!(raw.len(), packet.encoded_len());
        prop_assert_eq!(
            split_frame(&raw, sgip_codec::DEFAULT_MAX_FRAME_LEN),
            Ok(sgip_codec::FrameStatus::Complete(raw.len()))
        );
        prop_assert_eq!(decode(raw).expect("decodes"), packet);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(command in prop_oneof![1u32..=5, Just(0x11u32), Just(0x1000u32), any::<u32>()], body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut raw = Vec::with_capacity(20 + body.len());
        raw.extend_from_slice(&(20 + body.len() as u32).to_be_bytes());
        raw.extend_from_slice(&command.to_be_bytes());
        raw.extend_from_slice(&[0; 12]);
        raw.extend_from_slice(&body);
        if let Ok(p) = decode(Bytes::from(raw.clone())) {
            // Whatever decodes re-encodes (bytes after a NUL inside a text field are not
            // kept, so compare decoded values, not bytes).
            let again = p.to_bytes().expect("re-encodes");
            prop_assert_eq!(decode(again).expect("re-decodes"), p);
        }
        let r = command | 0x8000_0000;
        raw[4..8].copy_from_slice(&r.to_be_bytes());
        let _ = decode(Bytes::from(raw));
    }
}
