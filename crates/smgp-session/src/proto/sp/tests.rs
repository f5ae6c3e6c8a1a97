use super::*;
use std::time::Duration;

use bytes::Bytes;
use smgp_codec::{decode, split_frame, FrameStatus, Query, StatusReport, Submit, Text};
use sms_session::{RejectReason, RequestId, ResendReason, SessionConfig};
use tokio::time::Instant;

type SessionEvent = sms_session::SessionEvent<SmgpSp>;
type RequestOutcome = sms_session::RequestOutcome<SpResponse>;

const T: Duration = Duration::from_secs(60);
const C: Duration = Duration::from_secs(180);

fn config() -> SessionConfig {
    SessionConfig::default()
        .with_window(2)
        .with_response_timeout(T)
        .with_max_tries(3)
        .with_heartbeat(C)
        .with_flow_control(2, Duration::from_secs(1), Duration::from_secs(10))
}

fn sp(first: u32) -> SmgpSp {
    SmgpSp::new(Version::V30, first)
}

fn submit_frame() -> BytesMut {
    let mut s = Submit {
        src_term_id: Text::new(b"1069000").unwrap(),
        dest_term_ids: vec![Text::new(b"17600000000").unwrap()],
        msg_content: Bytes::from_static(b"hello smgp"),
        ..Submit::default()
    };
    s.tlvs.set(smgp_codec::tlv::tag::TP_UDHI, vec![0u8]);
    sp(0).encode_request(s).unwrap()
}

/// Everything the session wants to send now, decoded.
fn sent(s: &mut SpSession, now: Instant) -> Vec<Packet> {
    let mut buf = BytesMut::new();
    while s.poll_transmit(now, &mut buf) {}
    let mut out = Vec::new();
    while let Ok(FrameStatus::Complete(n)) = split_frame(&buf, 4096) {
        out.push(decode(buf.split_to(n).freeze(), Version::V30).unwrap());
    }
    assert!(buf.is_empty());
    out
}

fn events(s: &mut SpSession) -> Vec<SessionEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn completions(s: &mut SpSession) -> Vec<(RequestId, RequestOutcome)> {
    events(s)
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::Completed { id, outcome, .. } => Some((id, outcome)),
            _ => None,
        })
        .collect()
}

fn msg_id(n: u8) -> MsgId {
    MsgId([0x01, 0x00, 0x61, 0x12, 0x04, 0x18, 0x30, 0x00, 0x00, n])
}

fn resp(seq: u32, status: u32) -> Packet {
    Packet::new(
        seq,
        Pdu::SubmitResp(SubmitResp {
            msg_id: msg_id(seq as u8),
            status: Status(status),
            tlvs: Tlvs::new(),
        }),
    )
}

fn active_test(seq: u32) -> Packet {
    Packet::new(seq, Pdu::ActiveTest(Bodiless::default()))
}

fn active_test_resp(seq: u32) -> Packet {
    Packet::new(seq, Pdu::ActiveTestResp(Bodiless::default()))
}

fn exit(seq: u32) -> Packet {
    Packet::new(seq, Pdu::Exit(Bodiless::default()))
}

fn exit_resp(seq: u32) -> Packet {
    Packet::new(seq, Pdu::ExitResp(Bodiless::default()))
}

fn deliver_resp(seq: u32, id: MsgId, status: u32) -> Packet {
    Packet::new(
        seq,
        Pdu::DeliverResp(DeliverResp {
            msg_id: id,
            status: Status(status),
            tlvs: Tlvs::new(),
        }),
    )
}

/// A status report Deliver about the Submit that got `reported`.
fn report(own_id: MsgId, reported: MsgId, stat: &str) -> Deliver {
    let content = StatusReport {
        id: reported,
        sub: Text::new(b"001").unwrap(),
        dlvrd: Text::new(b"001").unwrap(),
        submit_date: Text::new(b"2612041830").unwrap(),
        done_date: Text::new(b"2612041831").unwrap(),
        stat: smgp_codec::Stat(Text::new(stat.as_bytes()).unwrap()),
        err: Text::new(b"000").unwrap(),
        text: Vec::new(),
    }
    .to_content();
    Deliver {
        msg_id: own_id,
        is_report: 1,
        src_term_id: Text::new(b"17600000000").unwrap(),
        dest_term_id: Text::new(b"1069000").unwrap(),
        msg_content: Bytes::from(content),
        ..Deliver::default()
    }
}

fn mo(own_id: MsgId, text: &'static [u8]) -> Deliver {
    Deliver {
        msg_id: own_id,
        src_term_id: Text::new(b"17611111111").unwrap(),
        dest_term_id: Text::new(b"1069000").unwrap(),
        msg_content: Bytes::from_static(text),
        ..Deliver::default()
    }
}

#[test]
fn submit_is_written_and_matched_by_sequence_id() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(100), t0);
    let (id, seq) = s.submit(submit_frame(), t0).unwrap();
    assert_eq!(seq, 100);
    let pkts = sent(&mut s, t0);
    assert_eq!(pkts.len(), 1);
    assert_eq!(pkts[0].sequence_id, 100);
    let Pdu::Submit(sub) = &pkts[0].pdu else {
        panic!("not a Submit: {:?}", pkts[0]);
    };
    // The TLV tail travels with the request.
    assert_eq!(sub.tlvs.tp_udhi(), Some(0));
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Transmitted {
            id,
            seq: 100,
            attempt: 1,
            reason: None
        }]
    );
    s.handle_packet(resp(100, 0), t0 + Duration::from_secs(1));
    let done = completions(&mut s);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].0, id);
    let RequestOutcome::Response {
        resp: SpResponse::Submit(r),
        tries: 1,
    } = &done[0].1
    else {
        panic!("{:?}", done[0].1);
    };
    assert_eq!(r.msg_id, msg_id(100));
    assert_eq!(r.msg_id.to_string(), "01006112041830000064");
    assert_eq!(s.in_flight(), 0);
    // A second response with the same SequenceID is unmatched, not completed twice.
    s.handle_packet(resp(100, 0), t0 + Duration::from_secs(2));
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::UnmatchedResponse {
            seq: 100,
            command: "SUBMIT_RESP"
        }]
    );
}

#[test]
fn window_full_then_released() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    s.submit(submit_frame(), t0).unwrap();
    s.submit(submit_frame(), t0).unwrap();
    assert!(!s.can_submit(t0));
    let rej = s.submit(submit_frame(), t0).unwrap_err();
    assert_eq!(rej.reason, RejectReason::WindowFull);
    assert!(!rej.frame.is_empty(), "frame handed back");
    sent(&mut s, t0);
    s.handle_packet(resp(2, 0), t0);
    assert!(s.can_submit(t0));
    let (_, seq) = s.submit(rej.frame, t0).unwrap();
    assert_eq!(seq, 3);
}

#[test]
fn timeout_resends_same_sequence_then_fails_after_n_tries() {
    let t0 = Instant::now();
    let cfg = config().with_heartbeat(Duration::from_secs(3600));
    let mut s = SpSession::new(cfg, sp(7), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    let first = sent(&mut s, t0);
    events(&mut s);
    assert_eq!(s.poll_timeout(), Some(t0 + T));
    s.handle_timeout(t0 + T - Duration::from_millis(1));
    assert!(sent(&mut s, t0 + T - Duration::from_millis(1)).is_empty());
    for attempt in 2..=3u32 {
        let now = t0 + T * (attempt - 1);
        s.handle_timeout(now);
        assert_eq!(sent(&mut s, now), first, "same SequenceID and bytes");
        assert_eq!(
            events(&mut s),
            vec![SessionEvent::Transmitted {
                id,
                seq: 7,
                attempt,
                reason: Some(ResendReason::Timeout)
            }]
        );
    }
    s.handle_timeout(t0 + T * 3);
    assert!(sent(&mut s, t0 + T * 3).is_empty());
    assert_eq!(
        completions(&mut s),
        vec![(id, RequestOutcome::NoResponse { tries: 3 })]
    );
}

#[test]
fn status_1_system_busy_backs_off_and_resends() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    s.handle_packet(resp(1, 1), t0);
    assert!(completions(&mut s).is_empty(), "status 1 is not final");
    assert_eq!(
        s.submit(submit_frame(), t0).unwrap_err().reason,
        RejectReason::Paused
    );
    let t1 = t0 + Duration::from_secs(1);
    assert_eq!(s.poll_timeout(), Some(t1));
    s.handle_timeout(t1);
    let again = sent(&mut s, t1);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].sequence_id, 1);
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Transmitted {
            id,
            seq: 1,
            attempt: 2,
            reason: Some(ResendReason::FlowControl)
        }]
    );
    s.handle_packet(resp(1, 0), t1);
    assert!(matches!(
        &completions(&mut s)[..],
        [(_, RequestOutcome::Response { tries: 2, resp: SpResponse::Submit(r) })] if r.status.is_ok()
    ));
}

#[test]
fn quota_and_hours_codes_are_final_not_retried() {
    // Quirk 9: 74 (outside allowed hours) and 75 (daily quota) must not be retried today.
    for status in [74, 75, 21, 47] {
        let t0 = Instant::now();
        let mut s = SpSession::new(config(), sp(1), t0);
        let (id, _) = s.submit(submit_frame(), t0).unwrap();
        sent(&mut s, t0);
        s.handle_packet(resp(1, status), t0);
        let done = completions(&mut s);
        assert_eq!(done.len(), 1, "status {status}");
        assert_eq!(done[0].0, id);
        let RequestOutcome::Response {
            resp: SpResponse::Submit(r),
            ..
        } = &done[0].1
        else {
            panic!("{:?}", done[0].1);
        };
        assert_eq!(r.status, Status(status));
        assert_eq!(r.status.cause_class(), smgp_codec::CauseClass::Sp);
        assert!(s.can_submit(t0), "no pause after status {status}");
    }
}

#[test]
fn status_1_fails_after_bounded_resends() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    let mut now = t0;
    sent(&mut s, now);
    for _ in 0..2 {
        s.handle_packet(resp(1, 1), now);
        now = s.poll_timeout().unwrap();
        s.handle_timeout(now);
        assert_eq!(sent(&mut s, now).len(), 1);
    }
    events(&mut s);
    s.handle_packet(resp(1, 1), now);
    assert_eq!(
        completions(&mut s),
        vec![(id, RequestOutcome::FlowControl { tries: 3 })]
    );
}

#[test]
fn active_test_after_idle_and_link_dead_after_n_unanswered() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    assert_eq!(s.poll_timeout(), Some(t0 + C));
    s.handle_timeout(t0 + C);
    let hb = sent(&mut s, t0 + C);
    assert_eq!(hb.len(), 1);
    assert_eq!(hb[0].pdu, Pdu::ActiveTest(Bodiless::default()));
    let hb_seq = hb[0].sequence_id;
    for k in 1..3u32 {
        let now = t0 + C + T * k;
        assert_eq!(s.poll_timeout(), Some(now));
        s.handle_timeout(now);
        assert_eq!(sent(&mut s, now), vec![active_test(hb_seq)]);
    }
    assert!(!s.is_closed());
    s.handle_timeout(t0 + C + T * 3);
    assert!(s.is_closed());
    assert_eq!(events(&mut s), vec![SessionEvent::LinkDead]);
}

#[test]
fn answered_active_test_keeps_link_alive_even_13_bytes() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    s.handle_timeout(t0 + C);
    let hb = sent(&mut s, t0 + C);
    let t1 = t0 + C + Duration::from_secs(5);
    // Quirk 6: a 13-byte Active_Test_Resp (CMPP-style reserved byte) answers it as well.
    let raw = Bytes::from(vec![
        0,
        0,
        0,
        13,
        0x80,
        0,
        0,
        4,
        0,
        0,
        0,
        hb[0].sequence_id as u8,
        0,
    ]);
    s.handle_packet(decode(raw, Version::V30).unwrap(), t1);
    assert!(events(&mut s).is_empty());
    let mut now = t1;
    while let Some(t) = s.poll_timeout().filter(|&t| t < t1 + C) {
        s.handle_timeout(t);
        now = t;
    }
    assert!(!s.is_closed());
    assert!(sent(&mut s, now).is_empty());
    assert_eq!(s.poll_timeout(), Some(t1 + C));
}

#[test]
fn gateway_active_test_answered_at_once_even_with_full_window() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    s.submit(submit_frame(), t0).unwrap();
    s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    assert!(!s.can_submit(t0));
    s.handle_packet(active_test(900), t0);
    assert_eq!(sent(&mut s, t0), vec![active_test_resp(900)]);
}

#[test]
fn report_is_answered_only_after_answer_and_names_the_submit() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    s.handle_packet(resp(1, 0), t0);
    let submit_msg_id = match &completions(&mut s)[..] {
        [(
            done,
            RequestOutcome::Response {
                resp: SpResponse::Submit(r),
                ..
            },
        )] if *done == id => r.msg_id,
        other => panic!("{other:?}"),
    };
    let own = MsgId([9; 10]);
    let dlv = report(own, submit_msg_id, "DELIVRD");
    s.handle_packet(Packet::new(501, dlv.clone()), t0);
    assert!(sent(&mut s, t0).is_empty(), "not answered before answer()");
    let got = events(&mut s);
    let [SessionEvent::Inbound { seq: 501, inbound }] = &got[..] else {
        panic!("{got:?}");
    };
    assert_eq!(inbound, &dlv);
    // The report is matched to its Submit by the MsgID inside the content.
    let r = inbound.report().unwrap().unwrap();
    assert_eq!(r.id, submit_msg_id);
    assert!(r.stat.is_delivered());
    assert_eq!(s.unanswered_inbound(), 1);
    assert!(s.answer(501, Status::OK));
    assert!(!s.answer(501, Status::OK), "answered once only");
    // Deliver_Resp repeats the Deliver's own MsgID, not the reported one.
    assert_eq!(sent(&mut s, t0), vec![deliver_resp(501, own, 0)]);
    assert_eq!(s.unanswered_inbound(), 0);
}

#[test]
fn mo_can_be_refused_with_a_status_and_is_forgotten_with_the_link() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    s.handle_packet(Packet::new(7, mo(MsgId([1; 10]), b"TD")), t0);
    s.handle_packet(Packet::new(8, mo(MsgId([2; 10]), b"hi")), t0);
    assert_eq!(events(&mut s).len(), 2);
    // Status 1 asks the gateway to push it again later.
    assert!(s.answer(8, Status(1)));
    assert_eq!(sent(&mut s, t0), vec![deliver_resp(8, MsgId([2; 10]), 1)]);
    s.link_lost();
    assert!(
        !s.answer(7, Status::OK),
        "the gateway re-sends it on the next link; this link cannot answer it"
    );
    assert!(sent(&mut s, t0).is_empty());
}

#[test]
fn query_is_matched_only_by_query_resp() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(10), t0);
    let query = Query {
        query_time: Text::new(b"20261204").unwrap(),
        query_type: 0,
        query_code: Text::EMPTY,
    };
    let (qid, qseq) = s.submit(sp(0).encode_request(query).unwrap(), t0).unwrap();
    assert_eq!(sent(&mut s, t0), vec![Packet::new(qseq, query)]);
    events(&mut s);
    // A Submit_Resp with the Query's SequenceID does not answer it.
    s.handle_packet(resp(qseq, 0), t0);
    assert_eq!(s.in_flight(), 1);
    let qr = QueryResp {
        query_time: query.query_time,
        mt_total: 12,
        mt_success: 11,
        ..QueryResp::default()
    };
    s.handle_packet(Packet::new(qseq, qr), t0);
    assert_eq!(
        events(&mut s),
        vec![
            SessionEvent::UnmatchedResponse {
                seq: qseq,
                command: "SUBMIT_RESP"
            },
            SessionEvent::Completed {
                id: qid,
                seq: qseq,
                outcome: RequestOutcome::Response {
                    resp: SpResponse::Query(qr),
                    tries: 1
                }
            }
        ]
    );
}

#[test]
fn only_submit_and_query_take_a_window_slot() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    let frame = |pdu: Pdu| sp(0).encode_request(pdu).unwrap();
    for pdu in [
        Pdu::ActiveTest(Bodiless::default()),
        Pdu::Exit(Bodiless::default()),
        Pdu::Deliver(mo(MsgId::default(), b"x")),
    ] {
        assert_eq!(
            s.submit(frame(pdu), t0).unwrap_err().reason,
            RejectReason::NotASubmit
        );
    }
    assert_eq!(
        s.submit(BytesMut::from(&[0u8, 0, 0][..]), t0)
            .unwrap_err()
            .reason,
        RejectReason::NotASubmit
    );
}

#[test]
fn unexpected_packets_are_reported_not_answered() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    s.handle_packet(Packet::new(3, mo(MsgId::default(), b"x")), t0);
    events(&mut s);
    // A Submit from the gateway makes no sense on the SP side.
    s.handle_packet(decode(submit_frame().freeze(), Version::V30).unwrap(), t0);
    assert!(matches!(
        &events(&mut s)[..],
        [SessionEvent::ProtocolViolation { reason }] if reason.contains("SUBMIT")
    ));
    assert!(sent(&mut s, t0).is_empty());
}

#[test]
fn sequence_ids_wrap_around_and_skip_busy_ones() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config().with_window(4), sp(u32::MAX), t0);
    let (_, a) = s.submit(submit_frame(), t0).unwrap();
    let (_, b) = s.submit(submit_frame(), t0).unwrap();
    assert_eq!((a, b), (u32::MAX, 0));
    assert_eq!(s.protocol().next_sequence_id(), 1);
}

#[test]
fn link_lost_returns_every_open_request_once() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config().with_window(3), sp(1), t0);
    let (a, _) = s.submit(submit_frame(), t0).unwrap();
    let (b, _) = s.submit(submit_frame(), t0).unwrap();
    let (c, _) = s.submit(submit_frame(), t0).unwrap();
    let mut buf = BytesMut::new();
    assert!(s.poll_transmit(t0, &mut buf));
    assert!(s.poll_transmit(t0, &mut buf));
    // b is refused with status 1 and waits for its back-off: not accepted.
    s.handle_packet(resp(2, 1), t0);
    let lost = s.link_lost();
    let summary: Vec<(RequestId, bool)> = lost.iter().map(|l| (l.id, l.maybe_accepted)).collect();
    assert_eq!(summary, vec![(a, true), (b, false), (c, false)]);
    // The frames can be submitted on the next link as they are.
    assert_eq!(SmgpSp::request_command(&lost[2].frame), Some(0x2));
    assert!(s.link_lost().is_empty(), "nothing is returned twice");
    s.handle_packet(resp(1, 0), t0);
    assert!(completions(&mut s).is_empty());
}

#[test]
fn close_drains_then_exit_and_exit_resp() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    s.close(t0 + Duration::from_secs(30), t0);
    assert_eq!(
        s.submit(submit_frame(), t0).unwrap_err().reason,
        RejectReason::Closing
    );
    assert!(sent(&mut s, t0).is_empty(), "no Exit while in flight");
    let t1 = t0 + Duration::from_secs(1);
    s.handle_packet(resp(1, 0), t1);
    let out = sent(&mut s, t1);
    assert_eq!(out, vec![exit(2)]);
    assert_eq!(completions(&mut s)[0].0, id);
    s.handle_packet(exit_resp(2), t1);
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Terminated { by_peer: false }]
    );
}

#[test]
fn drain_deadline_abandons_and_unanswered_exit_times_out() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    let deadline = t0 + Duration::from_secs(5);
    s.close(deadline, t0);
    s.handle_timeout(deadline);
    assert_eq!(
        completions(&mut s),
        vec![(
            id,
            RequestOutcome::Abandoned {
                maybe_accepted: true,
                tries: 1
            }
        )]
    );
    assert_eq!(sent(&mut s, deadline), vec![exit(2)]);
    s.handle_timeout(deadline + T);
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Terminated { by_peer: false }]
    );
}

#[test]
fn gateway_exit_is_answered_and_closes() {
    let t0 = Instant::now();
    let mut s = SpSession::new(config(), sp(1), t0);
    s.handle_packet(exit(77), t0);
    assert_eq!(sent(&mut s, t0), vec![exit_resp(77)]);
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Terminated { by_peer: true }]
    );
}

#[test]
fn control_packets_are_byte_exact() {
    // TV-7: Active_Test and Exit with SequenceID 1234 are header-only, 12 bytes.
    let mut p = sp(1234);
    let mut buf = BytesMut::new();
    p.encode_control(&Control::Heartbeat(1234), &mut buf)
        .unwrap();
    assert_eq!(&buf[..], &[0, 0, 0, 12, 0, 0, 0, 4, 0, 0, 4, 0xd2]);
    buf.clear();
    p.encode_control(&Control::Terminate(1234), &mut buf)
        .unwrap();
    assert_eq!(&buf[..], &[0, 0, 0, 12, 0, 0, 0, 6, 0, 0, 4, 0xd2]);
    // TV-3: the Deliver_Resp to the MO with SequenceID 123 and MsgID 00..09.
    buf.clear();
    let key = MsgId([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    p.encode_control(
        &Control::Answer {
            seq: 123,
            key,
            answer: Status::OK,
        },
        &mut buf,
    )
    .unwrap();
    assert_eq!(
        &buf[..],
        &[0, 0, 0, 0x1a, 0x80, 0, 0, 3, 0, 0, 0, 0x7b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0]
    );
}

#[test]
fn a_deliver_with_a_broken_tlv_tail_keeps_its_fixed_part() {
    use sms_session::link::Wire;
    let mut d = mo(MsgId([4; 10]), b"hi");
    d.tlvs.set(smgp_codec::tlv::tag::TP_UDHI, vec![0u8]);
    let mut raw = Packet::new(9, d.clone())
        .to_bytes(Version::V30)
        .unwrap()
        .to_vec();
    // A PkTotal TLV that claims 5 bytes but carries 1.
    raw.extend_from_slice(&[0, 9, 0, 5, 1]);
    let len = raw.len() as u32;
    raw[..4].copy_from_slice(&len.to_be_bytes());
    let raw = Bytes::from(raw);
    assert!(
        decode(raw.clone(), Version::V30).is_err(),
        "strict decoding refuses it"
    );
    let p = sp(1).decode(raw).unwrap();
    assert_eq!(
        p,
        Packet::new(9, d),
        "fixed part and the TLVs before the break"
    );
    assert!(sp(1)
        .decode(Bytes::from_static(&[0, 0, 0, 12, 0, 0, 0, 3, 0, 0, 0, 1]))
        .is_err());
}
