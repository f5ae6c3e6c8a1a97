use super::*;
use std::time::Duration;

use bytes::Bytes;
use cmpp_codec::{decode, split_frame, FrameStatus, MsgId, OctetString, Submit};
use tokio::time::Instant;

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

fn submit_frame() -> BytesMut {
    let s = Submit {
        dest_terminal_ids: vec![OctetString::try_from("13800138000").unwrap()],
        msg_content: Bytes::from_static(b"hi"),
        ..Submit::default()
    };
    let mut b = BytesMut::new();
    encode(&Packet::new(0, s), Version::V30, &mut b).unwrap();
    b
}

/// Everything the session wants to send now, decoded.
fn sent(s: &mut ClientSession, now: Instant) -> Vec<Packet> {
    let mut buf = BytesMut::new();
    while s.poll_transmit(now, &mut buf) {}
    let mut out = Vec::new();
    while let Ok(FrameStatus::Complete(n)) = split_frame(&buf, 4096) {
        out.push(decode(buf.split_to(n).freeze(), Version::V30).unwrap());
    }
    assert!(buf.is_empty());
    out
}

fn events(s: &mut ClientSession) -> Vec<SessionEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn completions(s: &mut ClientSession) -> Vec<(RequestId, RequestOutcome)> {
    events(s)
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::Completed { id, outcome, .. } => Some((id, outcome)),
            _ => None,
        })
        .collect()
}

fn resp(seq: u32, result: SubmitResult) -> Packet {
    Packet::new(
        seq,
        SubmitResp {
            msg_id: MsgId::from_u64(0x1234_0000 + u64::from(seq)),
            result,
        },
    )
}

/// Steps the session through its timers until `until`.
fn run_timers(s: &mut ClientSession, until: Instant) {
    while let Some(t) = s.poll_timeout() {
        if t > until {
            break;
        }
        s.handle_timeout(t);
    }
}

#[test]
fn submit_is_written_and_matched_by_sequence_id() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 100), t0);
    let (id, seq) = s.submit(submit_frame(), t0).unwrap();
    assert_eq!(seq, 100);
    let pkts = sent(&mut s, t0);
    assert_eq!(pkts.len(), 1);
    assert_eq!(pkts[0].sequence_id, 100);
    assert!(matches!(pkts[0].pdu, Pdu::Submit(_)));
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Transmitted {
            id,
            seq: 100,
            attempt: 1,
            reason: None
        }]
    );
    s.handle_packet(resp(100, SubmitResult::Ok), t0 + Duration::from_secs(1));
    let done = completions(&mut s);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].0, id);
    assert!(matches!(
        done[0].1,
        RequestOutcome::Response {
            tries: 1,
            resp: Response::Submit(SubmitResp {
                result: SubmitResult::Ok,
                ..
            })
        }
    ));
    assert_eq!(s.in_flight(), 0);
    // A second response with the same Sequence_Id is reported as unmatched, not completed twice.
    s.handle_packet(resp(100, SubmitResult::Ok), t0 + Duration::from_secs(2));
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
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    s.submit(submit_frame(), t0).unwrap();
    s.submit(submit_frame(), t0).unwrap();
    assert!(!s.can_submit(t0));
    let rej = s.submit(submit_frame(), t0).unwrap_err();
    assert_eq!(rej.reason, RejectReason::WindowFull);
    assert!(!rej.frame.is_empty(), "frame handed back");
    sent(&mut s, t0);
    s.handle_packet(resp(1, SubmitResult::Ok), t0);
    assert!(s.can_submit(t0));
    let (_, seq) = s.submit(rej.frame, t0).unwrap();
    assert_eq!(seq, 3);
}

#[test]
fn timeout_resends_same_sequence_then_fails_after_n_tries() {
    let t0 = Instant::now();
    // Heartbeat out of the way: 3T would otherwise coincide with C.
    let cfg = config().with_heartbeat(Duration::from_secs(3600));
    let mut s = ClientSession::new(cfg, CmppSp::new(Version::V30, 7), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    let first = sent(&mut s, t0);
    events(&mut s);
    assert_eq!(s.poll_timeout(), Some(t0 + T));
    // Just before T nothing happens.
    s.handle_timeout(t0 + T - Duration::from_millis(1));
    assert!(sent(&mut s, t0 + T - Duration::from_millis(1)).is_empty());
    for attempt in 2..=3u32 {
        let now = t0 + T * (attempt - 1);
        s.handle_timeout(now);
        let again = sent(&mut s, now);
        assert_eq!(
            again, first,
            "resend carries the same Sequence_Id and bytes"
        );
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
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn response_arriving_exactly_when_timer_fires_resolves_once() {
    let t0 = Instant::now();
    // Response handled first at the deadline: no resend.
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    s.handle_packet(resp(1, SubmitResult::Ok), t0 + T);
    s.handle_timeout(t0 + T);
    assert!(sent(&mut s, t0 + T).is_empty());
    let done = completions(&mut s);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].0, id);

    // Timer handled first: a resend is queued, then the response to the first transmission
    // arrives before it is written; it still resolves the request, and the queued resend is
    // dropped.
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    s.handle_timeout(t0 + T);
    s.handle_packet(resp(1, SubmitResult::Ok), t0 + T);
    assert!(
        sent(&mut s, t0 + T).is_empty(),
        "answered request not resent"
    );
    let done = completions(&mut s);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].0, id);
    assert!(matches!(
        done[0].1,
        RequestOutcome::Response { tries: 1, .. }
    ));

    // Final timeout first: the request fails; the late response is unmatched.
    let mut s = ClientSession::new(config().with_max_tries(1), CmppSp::new(Version::V30, 1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    s.handle_timeout(t0 + T);
    s.handle_packet(resp(1, SubmitResult::Ok), t0 + T);
    assert_eq!(
        events(&mut s),
        vec![
            SessionEvent::Completed {
                id,
                seq: 1,
                outcome: RequestOutcome::NoResponse { tries: 1 }
            },
            SessionEvent::UnmatchedResponse {
                seq: 1,
                command: "SUBMIT_RESP"
            }
        ]
    );
}

#[test]
fn flow_control_backs_off_pauses_and_resends_then_succeeds() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    s.handle_packet(resp(1, SubmitResult::FlowControl), t0);
    assert!(completions(&mut s).is_empty(), "result 8 is not final");
    // New sends are paused for the back-off.
    assert!(!s.can_submit(t0));
    assert_eq!(
        s.submit(submit_frame(), t0).unwrap_err().reason,
        RejectReason::Paused
    );
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    let t1 = t0 + Duration::from_secs(1);
    s.handle_timeout(t1);
    assert!(s.can_submit(t1));
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
    // Second result 8: the back-off doubles.
    s.handle_packet(resp(1, SubmitResult::FlowControl), t1);
    assert_eq!(s.poll_timeout(), Some(t1 + Duration::from_secs(2)));
    let t2 = t1 + Duration::from_secs(2);
    s.handle_timeout(t2);
    sent(&mut s, t2);
    s.handle_packet(resp(1, SubmitResult::Ok), t2);
    let done = completions(&mut s);
    assert_eq!(done.len(), 1);
    assert!(matches!(
        done[0].1,
        RequestOutcome::Response {
            tries: 3,
            resp: Response::Submit(SubmitResp {
                result: SubmitResult::Ok,
                ..
            })
        }
    ));
}

#[test]
fn flow_control_fails_after_bounded_resends() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    let mut now = t0;
    sent(&mut s, now);
    for _ in 0..2 {
        s.handle_packet(resp(1, SubmitResult::FlowControl), now);
        now = s.poll_timeout().unwrap();
        s.handle_timeout(now);
        assert_eq!(sent(&mut s, now).len(), 1);
    }
    events(&mut s);
    s.handle_packet(resp(1, SubmitResult::FlowControl), now);
    assert_eq!(
        completions(&mut s),
        vec![(id, RequestOutcome::FlowControl { tries: 3 })]
    );
}

#[test]
fn non_retryable_error_result_is_final() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    s.handle_packet(resp(1, SubmitResult::BadServiceId), t0);
    let done = completions(&mut s);
    assert!(matches!(
        done[0].1,
        RequestOutcome::Response {
            resp: Response::Submit(SubmitResp {
                result: SubmitResult::BadServiceId,
                ..
            }),
            ..
        }
    ));
}

#[test]
fn heartbeat_after_idle_and_link_dead_after_n_unanswered() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    assert_eq!(s.poll_timeout(), Some(t0 + C));
    s.handle_timeout(t0 + C);
    let hb = sent(&mut s, t0 + C);
    assert_eq!(hb.len(), 1);
    assert_eq!(hb[0].pdu, Pdu::ActiveTest);
    let hb_seq = hb[0].sequence_id;
    // Unanswered: resent after T with the same Sequence_Id, N transmissions in total.
    for k in 1..3u32 {
        let now = t0 + C + T * k;
        assert_eq!(s.poll_timeout(), Some(now));
        s.handle_timeout(now);
        let again = sent(&mut s, now);
        assert_eq!(again, vec![Packet::new(hb_seq, Pdu::ActiveTest)]);
    }
    assert!(!s.is_closed());
    s.handle_timeout(t0 + C + T * 3);
    assert!(s.is_closed());
    assert_eq!(events(&mut s), vec![SessionEvent::LinkDead]);
}

#[test]
fn answered_heartbeat_keeps_link_alive() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    s.handle_timeout(t0 + C);
    let hb = sent(&mut s, t0 + C);
    let t1 = t0 + C + Duration::from_secs(5);
    s.handle_packet(
        Packet::new(hb[0].sequence_id, ActiveTestResp::default()),
        t1,
    );
    run_timers(&mut s, t1 + C - Duration::from_millis(1));
    assert!(!s.is_closed());
    assert_eq!(s.poll_timeout(), Some(t1 + C));
}

#[test]
fn answers_active_test_and_deliver_even_with_full_window() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    s.submit(submit_frame(), t0).unwrap();
    s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    assert!(!s.can_submit(t0));
    s.handle_packet(Packet::new(900, Pdu::ActiveTest), t0);
    let deliver = Deliver {
        msg_id: MsgId::from_u64(42),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: cmpp_codec::MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from("13800138000").unwrap(),
        src_terminal_type: 0,
        content: cmpp_codec::DeliverContent::Message(Bytes::from_static(b"up")),
        link_id: OctetString::EMPTY,
    };
    s.handle_packet(Packet::new(901, deliver.clone()), t0);
    // The DELIVER is not answered before the caller has accepted it.
    assert_eq!(
        sent(&mut s, t0),
        vec![Packet::new(900, ActiveTestResp::default())]
    );
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Inbound {
            seq: 901,
            inbound: deliver
        }]
    );
    assert_eq!(s.unanswered_inbound(), 1);
    assert!(s.answer(901, DeliverResult::Ok));
    assert!(!s.answer(901, DeliverResult::Ok), "answered once only");
    assert_eq!(
        sent(&mut s, t0),
        vec![Packet::new(
            901,
            DeliverResp {
                msg_id: MsgId::from_u64(42),
                result: DeliverResult::Ok
            }
        )]
    );
    assert_eq!(s.unanswered_inbound(), 0);
}

fn mo(msg_id: u64) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(msg_id),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: cmpp_codec::MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from("13800138000").unwrap(),
        src_terminal_type: 0,
        content: cmpp_codec::DeliverContent::Message(Bytes::from_static(b"TD")),
        link_id: OctetString::EMPTY,
    }
}

#[test]
fn unacked_delivers_are_forgotten_with_the_link_and_never_answered() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    s.handle_packet(Packet::new(7, mo(1)), t0);
    s.handle_packet(Packet::new(8, mo(2)), t0);
    events(&mut s);
    assert!(s.answer(8, DeliverResult::Ok));
    assert!(!s.answer(99, DeliverResult::Ok), "unknown Sequence_Id");
    s.link_lost();
    assert!(
        !s.answer(7, DeliverResult::Ok),
        "the gateway re-sends it on the next link; this link cannot answer it"
    );
    assert!(sent(&mut s, t0).is_empty());
}

#[test]
fn a_copy_answered_earlier_can_be_answered_again() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    s.handle_packet(Packet::new(7, mo(1)), t0);
    assert!(s.answer(7, DeliverResult::Ok));
    // The gateway did not get the answer and sent the DELIVER again (same Sequence_Id).
    s.handle_packet(Packet::new(7, mo(1)), t0);
    assert!(s.answer(7, DeliverResult::Ok));
    assert_eq!(sent(&mut s, t0).len(), 2);
}

fn control_frame(pdu: Pdu) -> BytesMut {
    let mut b = BytesMut::new();
    encode(&Packet::new(0, pdu), Version::V30, &mut b).unwrap();
    b
}

#[test]
fn query_and_cancel_are_matched_to_their_own_kind_of_response() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 10), t0);
    let query = cmpp_codec::Query {
        time: OctetString::try_from("20261204").unwrap(),
        query_type: 0,
        query_code: OctetString::EMPTY,
        reserve: OctetString::EMPTY,
    };
    let (qid, qseq) = s.submit(control_frame(Pdu::Query(query)), t0).unwrap();
    let (cid, cseq) = s
        .submit(
            control_frame(Pdu::Cancel(cmpp_codec::Cancel {
                msg_id: MsgId::from_u64(5),
            })),
            t0,
        )
        .unwrap();
    assert_eq!(sent(&mut s, t0).len(), 2);
    events(&mut s);
    // A SUBMIT_RESP or CANCEL_RESP with the QUERY's Sequence_Id does not answer it.
    s.handle_packet(resp(qseq, SubmitResult::Ok), t0);
    s.handle_packet(Packet::new(qseq, CancelResp { success_id: 0 }), t0);
    assert_eq!(s.in_flight(), 2);
    let qr = QueryResp {
        mt_tl_msg: 3,
        ..QueryResp::default()
    };
    s.handle_packet(Packet::new(qseq, qr), t0);
    s.handle_packet(Packet::new(cseq, CancelResp { success_id: 0 }), t0);
    assert_eq!(
        completions(&mut s),
        vec![
            (
                qid,
                RequestOutcome::Response {
                    resp: Response::Query(qr),
                    tries: 1
                }
            ),
            (
                cid,
                RequestOutcome::Response {
                    resp: Response::Cancel(CancelResp { success_id: 0 }),
                    tries: 1
                }
            ),
        ]
    );
    let rejected = s.submit(control_frame(Pdu::ActiveTest), t0).unwrap_err();
    assert_eq!(rejected.reason, RejectReason::NotASubmit);
}

#[test]
fn link_lost_with_full_window_resolves_every_request_once() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config().with_window(4), CmppSp::new(Version::V30, 1), t0);
    let (a, _) = s.submit(submit_frame(), t0).unwrap();
    let (b, _) = s.submit(submit_frame(), t0).unwrap();
    let (c, _) = s.submit(submit_frame(), t0).unwrap();
    // a and b are written; c is still queued (not written).
    let mut buf = BytesMut::new();
    assert!(s.poll_transmit(t0, &mut buf));
    assert!(s.poll_transmit(t0, &mut buf));
    // b is refused with result 8 and waits for its back-off.
    s.handle_packet(resp(2, SubmitResult::FlowControl), t0);
    let (d, _) = {
        s.handle_timeout(s.poll_timeout().unwrap());
        s.submit(submit_frame(), t0 + Duration::from_secs(1))
            .unwrap()
    };
    let lost = s.link_lost();
    let summary: Vec<(RequestId, bool)> = lost.iter().map(|l| (l.id, l.maybe_accepted)).collect();
    // b was re-queued by the back-off timer but not yet re-sent: not accepted.
    assert_eq!(summary, vec![(a, true), (b, false), (c, false), (d, false)]);
    assert!(s.is_closed());
    assert_eq!(s.in_flight(), 0);
    assert!(s.link_lost().is_empty(), "nothing is returned twice");
    assert!(s.poll_timeout().is_none());
    // Late response after the loss is not matched to anything.
    s.handle_packet(resp(1, SubmitResult::Ok), t0);
    assert!(completions(&mut s).is_empty());
}

#[test]
fn graceful_drain_waits_then_terminates() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    s.close(t0 + Duration::from_secs(30), t0);
    assert!(s.is_closing());
    assert_eq!(
        s.submit(submit_frame(), t0).unwrap_err().reason,
        RejectReason::Closing
    );
    assert!(sent(&mut s, t0).is_empty(), "no TERMINATE while in flight");
    s.handle_packet(resp(1, SubmitResult::Ok), t0 + Duration::from_secs(1));
    let out = sent(&mut s, t0 + Duration::from_secs(1));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].pdu, Pdu::Terminate);
    assert_eq!(completions(&mut s)[0].0, id);
    s.handle_packet(
        Packet::new(out[0].sequence_id, Pdu::TerminateResp),
        t0 + Duration::from_secs(2),
    );
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Terminated { by_peer: false }]
    );
}

#[test]
fn drain_deadline_abandons_unanswered_and_terminate_times_out() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    let (id, _) = s.submit(submit_frame(), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    let deadline = t0 + Duration::from_secs(5);
    s.close(deadline, t0);
    assert_eq!(s.poll_timeout(), Some(deadline));
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
    assert_eq!(sent(&mut s, deadline)[0].pdu, Pdu::Terminate);
    s.handle_timeout(deadline + T);
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Terminated { by_peer: false }]
    );
}

#[test]
fn peer_terminate_is_answered_and_closes() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    s.handle_packet(Packet::new(77, Pdu::Terminate), t0);
    assert_eq!(sent(&mut s, t0), vec![Packet::new(77, Pdu::TerminateResp)]);
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Terminated { by_peer: true }]
    );
}

#[test]
fn non_submit_frame_is_rejected() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(config(), CmppSp::new(Version::V30, 1), t0);
    let mut b = BytesMut::new();
    encode(&Packet::new(1, Pdu::ActiveTest), Version::V30, &mut b).unwrap();
    assert_eq!(
        s.submit(b, t0).unwrap_err().reason,
        RejectReason::NotASubmit
    );
    assert_eq!(
        s.submit(BytesMut::new(), t0).unwrap_err().reason,
        RejectReason::NotASubmit
    );
}
