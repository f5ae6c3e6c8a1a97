//! The gateway session on a simulated clock: every SUBMIT answered, T/N DELIVER re-sends,
//! heartbeats, idle and write deadlines, drain.

use super::*;
use cmpp_codec::{
    DeliverContent, DeliverResp, DeliverResult, MsgFmt, OctetString, Packet, Stat, StatusReport,
};

const V: Version = Version::V30;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn session(t0: Instant) -> ServerSession {
    ServerSession::new(
        ServerSessionConfig {
            response_timeout: secs(10),
            max_tries: 3,
            heartbeat: secs(60),
            idle_timeout: secs(600),
            submit_window: 2,
            deliver_window: 2,
            write_deadline: secs(5),
            ..ServerSessionConfig::default()
        },
        t0,
    )
}

fn submit() -> Submit {
    Submit {
        pk_total: 1,
        pk_number: 1,
        dest_terminal_ids: vec![OctetString::new(b"13800138000").unwrap()],
        msg_content: Bytes::from_static(b"hi"),
        ..Submit::default()
    }
}

fn frame(seq: u32, pdu: impl Into<Pdu>) -> Bytes {
    Packet::new(seq, pdu).to_bytes(V).unwrap()
}

fn report(id: u64) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(id),
        dest_id: OctetString::new(b"1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: OctetString::new(b"13800138000").unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Report(StatusReport {
            msg_id: MsgId::from_u64(id),
            stat: Stat::DELIVRD,
            submit_time: OctetString::new(b"2410210800").unwrap(),
            done_time: OctetString::new(b"2410210801").unwrap(),
            dest_terminal_id: OctetString::new(b"13800138000").unwrap(),
            smsc_sequence: 1,
        }),
        link_id: OctetString::EMPTY,
    }
}

/// Every packet the session wants written, decoded.
fn sent(s: &mut ServerSession) -> Vec<Packet> {
    let mut buf = BytesMut::new();
    s.poll_transmit(&mut buf);
    let mut out = Vec::new();
    while !buf.is_empty() {
        let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        out.push(decode(buf.split_to(len).freeze(), V).unwrap());
    }
    out
}

fn events(s: &mut ServerSession) -> Vec<ServerEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn submit_results(packets: &[Packet]) -> Vec<(u32, u32)> {
    packets
        .iter()
        .filter_map(|p| match &p.pdu {
            Pdu::SubmitResp(r) => Some((p.sequence_id, r.result.to_u32())),
            _ => None,
        })
        .collect()
}

#[test]
fn malformed_submits_are_answered_and_the_link_stays_up() {
    let t0 = Instant::now();
    let mut s = session(t0);
    let good = frame(1, submit());
    // Truncated body: header says 60 bytes, body cut.
    let mut truncated = BytesMut::from(&good[..60]);
    truncated[..4].copy_from_slice(&60u32.to_be_bytes());
    truncated[8..12].copy_from_slice(&2u32.to_be_bytes());
    s.handle_frame(truncated.freeze(), t0);
    // DestUsr_tl = 9 with one recipient present (offset 12 + 128).
    let mut dest = BytesMut::from(&good[..]);
    dest[140] = 9;
    dest[8..12].copy_from_slice(&3u32.to_be_bytes());
    s.handle_frame(dest.freeze(), t0);
    // Msg_Length beyond the content (offset 12 + 128 + 1 + 32 + 1).
    let mut msg_len = BytesMut::from(&good[..]);
    msg_len[174] = 200;
    msg_len[8..12].copy_from_slice(&4u32.to_be_bytes());
    s.handle_frame(msg_len.freeze(), t0);
    let out = sent(&mut s);
    assert_eq!(submit_results(&out), vec![(2, 4), (3, 1), (4, 4)]);
    assert!(!s.is_closed());
    let refused: Vec<u32> = events(&mut s)
        .iter()
        .filter_map(|e| match e {
            ServerEvent::SubmitRefused { result, .. } => Some(*result),
            _ => None,
        })
        .collect();
    assert_eq!(refused, vec![4, 1, 4]);
    // And a good SUBMIT after them still reaches the handler.
    s.handle_frame(good, t0);
    assert!(matches!(
        events(&mut s).as_slice(),
        [ServerEvent::Submit { sequence_id: 1, .. }]
    ));
}

#[test]
fn invalid_submits_get_their_result_codes() {
    let t0 = Instant::now();
    let mut s = session(t0);
    let mut none = submit();
    none.dest_terminal_ids.clear();
    let mut pk = submit();
    pk.pk_total = 1;
    pk.pk_number = 2;
    let mut letters = submit();
    letters.dest_terminal_ids = vec![OctetString::new(b"1380013800a").unwrap()];
    // The encoder refuses these, so they are built by patching valid frames.
    let mut none_frame = BytesMut::from(&frame(1, submit())[..]);
    none_frame[140] = 0;
    let tail_start = 141 + 32;
    let rest = none_frame.split_off(tail_start);
    none_frame.truncate(141);
    none_frame.extend_from_slice(&rest);
    let n = none_frame.len() as u32;
    none_frame[..4].copy_from_slice(&n.to_be_bytes());
    s.handle_frame(none_frame.freeze(), t0);
    s.handle_frame(frame(2, pk), t0);
    s.handle_frame(frame(3, letters), t0);
    let mut long_frame = BytesMut::from(&frame(4, submit())[..]);
    let content_at = 175;
    long_frame.truncate(content_at - 1);
    long_frame.extend_from_slice(&[255]);
    long_frame.extend_from_slice(&[b'a'; 255]);
    long_frame.extend_from_slice(&[0; 20]);
    let n = long_frame.len() as u32;
    long_frame[..4].copy_from_slice(&n.to_be_bytes());
    s.handle_frame(long_frame.freeze(), t0);
    let mut tail = BytesMut::from(&frame(5, submit())[..]);
    tail.extend_from_slice(&[0; 3000]);
    let n = tail.len() as u32;
    tail[..4].copy_from_slice(&n.to_be_bytes());
    s.handle_frame(tail.freeze(), t0);
    let mut small_tail = BytesMut::from(&frame(6, submit())[..]);
    small_tail.extend_from_slice(&[0; 20]);
    let n = small_tail.len() as u32;
    small_tail[..4].copy_from_slice(&n.to_be_bytes());
    s.handle_frame(small_tail.freeze(), t0);
    assert_eq!(
        submit_results(&sent(&mut s)),
        vec![(1, 1), (2, 1), (3, 13), (4, 6), (5, 4)]
    );
    let ev = events(&mut s);
    assert!(
        ev.iter()
            .any(|e| matches!(e, ServerEvent::Submit { sequence_id: 6, .. })),
        "a 20-byte tail is tolerated: {ev:?}"
    );
}

#[test]
fn lenient_checks_pass_quirks_to_the_handler() {
    let t0 = Instant::now();
    let mut s = ServerSession::new(
        ServerSessionConfig {
            checks: SubmitChecks::lenient(),
            ..ServerSessionConfig::default()
        },
        t0,
    );
    let mut pk = submit();
    pk.pk_number = 5;
    s.handle_frame(frame(1, pk), t0);
    assert!(matches!(
        events(&mut s).as_slice(),
        [ServerEvent::Submit { sequence_id: 1, .. }]
    ));
}

#[test]
fn delayed_answers_count_against_the_window() {
    let t0 = Instant::now();
    let mut s = session(t0);
    for seq in 1..=3 {
        s.handle_frame(frame(seq, submit()), t0);
        for e in events(&mut s) {
            if let ServerEvent::Submit { sequence_id, .. } = e {
                s.respond_after(sequence_id, MsgId::from_u64(9), 0, t0 + secs(1));
            }
        }
    }
    assert_eq!(submit_results(&sent(&mut s)), vec![(3, 8)]);
    assert_eq!(s.poll_timeout(), Some(t0 + secs(1)));
    s.handle_timeout(t0 + secs(1));
    assert_eq!(submit_results(&sent(&mut s)), vec![(1, 0), (2, 0)]);
}

#[test]
fn delivers_resent_per_t_then_lost_after_n() {
    let t0 = Instant::now();
    let mut s = session(t0);
    assert!(matches!(
        s.send_deliver(report(1), 0, t0),
        SendDeliver::Sent(1)
    ));
    assert!(matches!(
        s.send_deliver(report(2), 0, t0),
        SendDeliver::Sent(2)
    ));
    assert!(matches!(
        s.send_deliver(report(3), 0, t0),
        SendDeliver::NoRoom(_)
    ));
    assert_eq!(sent(&mut s).len(), 2);
    // 2 is acknowledged, 1 never is.
    let ack = DeliverResp {
        msg_id: MsgId::from_u64(2),
        result: DeliverResult::Ok,
    };
    s.handle_frame(frame(2, ack), t0 + secs(1));
    assert!(matches!(
        events(&mut s).as_slice(),
        [ServerEvent::DeliverAcked { sequence_id: 2, .. }]
    ));
    for k in 1..=2u64 {
        assert_eq!(s.poll_timeout(), Some(t0 + secs(10 * k)));
        s.handle_timeout(t0 + secs(10 * k));
        let out = sent(&mut s);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].sequence_id, 1, "same Sequence_Id");
        assert!(matches!(
            events(&mut s).as_slice(),
            [ServerEvent::DeliverResent { sequence_id: 1, .. }]
        ));
    }
    s.handle_timeout(t0 + secs(30));
    assert!(matches!(
        events(&mut s).as_slice(),
        [ServerEvent::DeliverLost {
            sequence_id: 1,
            tries: 3,
            ..
        }]
    ));
    assert_eq!(s.delivers_in_flight(), 0);
    assert!(sent(&mut s).is_empty());
}

#[test]
fn unacked_delivers_are_handed_back_in_order() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.send_deliver(report(1), 0, t0);
    s.send_deliver(report(2), 3, t0);
    let back = s.take_unacked();
    let ids: Vec<(u64, u32)> = back.iter().map(|(d, l)| (d.msg_id.as_u64(), *l)).collect();
    assert_eq!(ids, vec![(1, 1), (2, 4)]);
}

#[test]
fn heartbeat_probes_then_closes_a_dead_link() {
    let t0 = Instant::now();
    let mut s = session(t0);
    assert_eq!(s.poll_timeout(), Some(t0 + secs(60)));
    s.handle_timeout(t0 + secs(60));
    let p = sent(&mut s);
    assert!(matches!(p[0].pdu, Pdu::ActiveTest));
    let seq = p[0].sequence_id;
    s.handle_timeout(t0 + secs(70));
    s.handle_timeout(t0 + secs(80));
    let again = sent(&mut s);
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|p| p.sequence_id == seq));
    s.handle_timeout(t0 + secs(90));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::LinkDead { tries: 3 })]
    );
    assert!(s.is_closed());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn idle_timeout_closes() {
    let t0 = Instant::now();
    let mut s = ServerSession::new(
        ServerSessionConfig {
            heartbeat: secs(1000),
            idle_timeout: secs(30),
            ..ServerSessionConfig::default()
        },
        t0,
    );
    s.handle_frame(frame(1, Pdu::ActiveTest), t0 + secs(10));
    assert_eq!(s.poll_timeout(), Some(t0 + secs(40)));
    s.handle_timeout(t0 + secs(40));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::Idle(secs(30)))]
    );
}

#[test]
fn write_deadline_closes_a_peer_that_does_not_read() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.send_deliver(report(1), 0, t0);
    let _ = sent(&mut s);
    s.write_blocked(t0);
    s.write_blocked(t0 + secs(3)); // still the first moment counts
    assert_eq!(s.poll_timeout(), Some(t0 + secs(5)));
    s.handle_timeout(t0 + secs(4));
    assert!(!s.is_closed());
    s.handle_timeout(t0 + secs(5));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::WriteStalled(secs(5)))]
    );
    // Its unacknowledged DELIVER is handed back for the account's queue.
    assert_eq!(s.take_unacked().len(), 1);
}

#[test]
fn flushed_writes_reset_the_write_deadline() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.write_blocked(t0);
    s.write_flushed();
    s.write_blocked(t0 + secs(4));
    s.handle_timeout(t0 + secs(5));
    assert!(!s.is_closed());
    assert_eq!(s.poll_timeout(), Some(t0 + secs(9)));
}

#[test]
fn drain_terminates_and_closes_on_answer_or_deadline() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.terminate(t0 + secs(5), t0);
    let p = sent(&mut s);
    assert!(matches!(p[0].pdu, Pdu::Terminate));
    assert_eq!(s.deliver_room(), 0, "no new DELIVERs while draining");
    // SUBMITs during the drain are still answered.
    s.handle_frame(frame(7, submit()), t0 + secs(1));
    assert!(matches!(
        events(&mut s).as_slice(),
        [ServerEvent::Submit { sequence_id: 7, .. }]
    ));
    s.handle_frame(frame(p[0].sequence_id, Pdu::TerminateResp), t0 + secs(2));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::Drained { answered: true })]
    );

    let mut s = session(t0);
    s.terminate(t0 + secs(5), t0);
    assert_eq!(s.poll_timeout(), Some(t0 + secs(5)));
    s.handle_timeout(t0 + secs(5));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::Drained {
            answered: false
        })]
    );
}

#[test]
fn peer_terminate_is_answered() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.handle_frame(frame(42, Pdu::Terminate), t0);
    let p = sent(&mut s);
    assert_eq!(p[0].sequence_id, 42);
    assert!(matches!(p[0].pdu, Pdu::TerminateResp));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::PeerTerminated)]
    );
}

#[test]
fn unexpected_packet_closes_with_a_protocol_error() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.handle_frame(frame(1, report(1)), t0);
    let ev = events(&mut s);
    assert!(
        matches!(&ev[..], [ServerEvent::Closed(r)] if r.is_protocol_error()),
        "{ev:?}"
    );
}

fn ack(seq: u32, id: u64, result: u32) -> Bytes {
    frame(
        seq,
        DeliverResp {
            msg_id: MsgId::from_u64(id),
            result: DeliverResult::from_u32(result),
        },
    )
}

fn raw(s: &mut ServerSession) -> BytesMut {
    let mut buf = BytesMut::new();
    s.poll_transmit(&mut buf);
    buf
}

#[test]
fn the_core_resends_an_unanswered_deliver_byte_for_byte_then_reports_it_lost() {
    let t0 = Instant::now();
    let mut s = session(t0);
    assert!(matches!(
        s.send_deliver(report(7), 0, t0),
        SendDeliver::Sent(1)
    ));
    // The DELIVER is the core's request: its window, its T and N.
    assert_eq!(s.core().in_flight(), 1);
    assert_eq!(s.core().config().response_timeout, secs(10));
    assert_eq!(s.core().config().max_tries, 3);
    let first = raw(&mut s);
    assert_eq!(first, &frame(1, report(7))[..]);
    let mut resends = Vec::new();
    for k in 1..=2u64 {
        s.handle_timeout(t0 + secs(10 * k));
        // The frame the core holds goes out again as it was, Sequence_Id and all.
        assert_eq!(raw(&mut s), first, "resend {k}");
        resends.extend(events(&mut s));
    }
    assert_eq!(
        resends,
        vec![
            ServerEvent::DeliverResent {
                sequence_id: 1,
                attempt: 2
            },
            ServerEvent::DeliverResent {
                sequence_id: 1,
                attempt: 3
            },
        ]
    );
    s.handle_timeout(t0 + secs(30));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::DeliverLost {
            sequence_id: 1,
            deliver: Box::new(report(7)),
            tries: 3
        }]
    );
    assert_eq!(s.core().in_flight(), 0);
    assert!(
        s.take_unacked().is_empty(),
        "a lost DELIVER is not handed back"
    );
}

#[test]
fn a_late_deliver_resp_to_the_first_transmission_still_counts() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.send_deliver(report(1), 0, t0);
    s.handle_timeout(t0 + secs(10));
    let _ = events(&mut s);
    s.handle_frame(ack(1, 1, 0), t0 + secs(11));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::DeliverAcked {
            sequence_id: 1,
            msg_id: MsgId::from_u64(1),
            result: 0
        }]
    );
    // A second answer to it matches nothing and is only a warning.
    s.handle_frame(ack(1, 1, 0), t0 + secs(12));
    assert!(matches!(
        events(&mut s).as_slice(),
        [ServerEvent::Warning(_)]
    ));
    assert!(!s.is_closed());
}

#[test]
fn result_8_on_a_deliver_backs_off_and_sends_it_again() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.send_deliver(report(1), 0, t0);
    let first = raw(&mut s);
    s.handle_frame(ack(1, 1, 8), t0 + secs(1));
    assert!(events(&mut s).is_empty());
    // Backing off: nothing new goes out until the pause is over.
    assert_eq!(s.deliver_room(), 0);
    assert!(matches!(
        s.send_deliver(report(2), 0, t0 + secs(1)),
        SendDeliver::NoRoom(_)
    ));
    let resend_at = s.poll_timeout().unwrap();
    assert!(resend_at > t0 + secs(1) && resend_at < t0 + secs(10));
    s.handle_timeout(resend_at);
    assert_eq!(raw(&mut s), first, "same DELIVER, same Sequence_Id");
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::DeliverResent {
            sequence_id: 1,
            attempt: 2
        }]
    );
    assert_eq!(s.deliver_room(), 1);
    s.handle_frame(ack(1, 1, 0), resend_at);
    assert!(matches!(
        events(&mut s).as_slice(),
        [ServerEvent::DeliverAcked { result: 0, .. }]
    ));
    assert_eq!(s.deliver_room(), 2);
}

#[test]
fn the_drain_waits_for_delivers_in_flight_before_terminate() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.send_deliver(report(1), 0, t0);
    let _ = sent(&mut s);
    s.terminate(t0 + secs(8), t0);
    assert!(
        sent(&mut s).is_empty(),
        "TERMINATE waits for the DELIVER_RESP"
    );
    assert!(s.is_terminating());
    s.handle_frame(ack(1, 1, 0), t0 + secs(1));
    let p = sent(&mut s);
    assert!(matches!(
        p.as_slice(),
        [Packet {
            pdu: Pdu::Terminate,
            ..
        }]
    ));
    s.handle_frame(frame(p[0].sequence_id, Pdu::TerminateResp), t0 + secs(2));
    assert_eq!(
        events(&mut s),
        vec![
            ServerEvent::DeliverAcked {
                sequence_id: 1,
                msg_id: MsgId::from_u64(1),
                result: 0
            },
            ServerEvent::Closed(CloseReason::Drained { answered: true })
        ]
    );
    assert!(s.take_unacked().is_empty());
}

#[test]
fn an_unanswered_deliver_is_handed_back_after_the_drain() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.send_deliver(report(1), 2, t0);
    let _ = sent(&mut s);
    s.terminate(t0 + secs(8), t0);
    // Halfway to the deadline the DELIVER is given up and TERMINATE goes out.
    assert_eq!(s.poll_timeout(), Some(t0 + secs(4)));
    s.handle_timeout(t0 + secs(4));
    assert!(matches!(
        sent(&mut s).as_slice(),
        [Packet {
            pdu: Pdu::Terminate,
            ..
        }]
    ));
    assert!(events(&mut s).is_empty(), "not reported lost: handed back");
    assert_eq!(s.poll_timeout(), Some(t0 + secs(8)));
    s.handle_timeout(t0 + secs(8));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::Drained {
            answered: false
        })]
    );
    let back = s.take_unacked();
    assert_eq!(back.len(), 1);
    assert_eq!((back[0].0.msg_id, back[0].1), (MsgId::from_u64(1), 3));
}

#[test]
fn an_unanswered_terminate_ends_the_drain_after_t() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.terminate(t0 + secs(60), t0);
    assert!(matches!(
        sent(&mut s).as_slice(),
        [Packet {
            pdu: Pdu::Terminate,
            ..
        }]
    ));
    assert_eq!(s.poll_timeout(), Some(t0 + secs(10)));
    s.handle_timeout(t0 + secs(10));
    assert_eq!(
        events(&mut s),
        vec![ServerEvent::Closed(CloseReason::Drained {
            answered: false
        })]
    );
}

#[test]
fn every_request_is_answered_once() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.handle_frame(frame(5, submit()), t0);
    let _ = events(&mut s);
    s.respond_submit(5, MsgId::from_u64(1), 0);
    s.respond_submit(5, MsgId::from_u64(1), 0);
    assert_eq!(submit_results(&sent(&mut s)), vec![(5, 0)]);
    let ev = events(&mut s);
    assert_eq!(ev[0], ServerEvent::SubmitAnswered { result: 0 });
    assert!(matches!(&ev[1..], [ServerEvent::Warning(_)]), "{ev:?}");

    let query = Query {
        time: OctetString::new(b"20241021").unwrap(),
        query_type: 0,
        query_code: OctetString::EMPTY,
        reserve: OctetString::EMPTY,
    };
    s.handle_frame(frame(6, query), t0);
    assert!(matches!(
        events(&mut s).as_slice(),
        [ServerEvent::Query { sequence_id: 6, .. }]
    ));
    // Not an answer to a QUERY: nothing goes out.
    s.respond(6, Pdu::ActiveTest);
    assert!(sent(&mut s).is_empty());
    s.respond(6, cmpp_codec::QueryResp::default());
    s.respond(6, cmpp_codec::QueryResp::default());
    let out = sent(&mut s);
    assert!(matches!(
        out.as_slice(),
        [Packet {
            sequence_id: 6,
            pdu: Pdu::QueryResp(_)
        }]
    ));
    // The SP's heartbeat is answered by the core with its Sequence_Id.
    s.handle_frame(frame(9, Pdu::ActiveTest), t0);
    assert!(matches!(
        sent(&mut s).as_slice(),
        [Packet {
            sequence_id: 9,
            pdu: Pdu::ActiveTestResp(_)
        }]
    ));
}
