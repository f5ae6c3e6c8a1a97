use super::*;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use sgip_codec::{
    decode, split_frame, Deliver, FrameStatus, Report, ReportState, Submit, Text, TraceResp,
    UserRpt,
};
use sms_session::{RejectReason, RequestId, RequestOutcome, ResendReason, SessionConfig};
use tokio::time::Instant;

const T: Duration = Duration::from_secs(30);
/// SP node id of area 010, corp 12345.
const SP_NODE: u32 = 3_010_012_345;
/// SMG node id `1AAAAX` for area 010.
const SMG_NODE: u32 = 101_001;

fn config() -> SessionConfig {
    SessionConfig::default()
        .with_window(2)
        .with_response_timeout(T)
        .with_max_tries(3)
        .with_flow_control(2, Duration::from_secs(1), Duration::from_secs(10))
}

/// 2026-12-04 06:26:21 Beijing (the TV-7 capture's time) + `secs`.
fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 22, 26, 21).unwrap() + chrono::Duration::seconds(secs)
}

/// A clock the test moves by hand.
#[derive(Debug)]
struct Stepped(Mutex<DateTime<Utc>>);

impl Clock for Stepped {
    fn now_utc(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl Stepped {
    fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
}

fn fixed(t: DateTime<Utc>) -> Arc<Stepped> {
    Arc::new(Stepped(Mutex::new(t)))
}

/// An SP and an SMG numbering on one clock the test moves by hand.
fn stepped_clock() -> (Arc<Stepped>, Numbering, Numbering) {
    let now = fixed(at(0));
    let sp = Numbering::new(SP_NODE, now.clone());
    let smg = Numbering::new(SMG_NODE, now.clone());
    (now, sp, smg)
}

fn sp_numbering() -> Numbering {
    Numbering::new(SP_NODE, fixed(at(0))).starting_at(1)
}

fn smg_numbering() -> Numbering {
    Numbering::new(SMG_NODE, fixed(at(5))).starting_at(1)
}

fn frame(pdu: impl Into<Pdu>) -> BytesMut {
    let mut b = BytesMut::new();
    encode(&Packet::new(SequenceNumber::default(), pdu.into()), &mut b).unwrap();
    b
}

fn submit_pdu() -> Submit {
    Submit {
        sp_number: Text::try_from("10690090").unwrap(),
        user_numbers: vec![Text::try_from("8617600000000").unwrap()],
        corp_id: Text::try_from("12345").unwrap(),
        message_content: Bytes::from_static(b"hello sgip"),
        ..Submit::default()
    }
}

fn deliver_pdu() -> Deliver {
    Deliver {
        user_number: Text::try_from("8617600000000").unwrap(),
        sp_number: Text::try_from("10690090").unwrap(),
        message_content: Bytes::from_static(b"TD"),
        ..Deliver::default()
    }
}

fn report_pdu(submit: SequenceNumber, state: ReportState, error: u8) -> Report {
    Report {
        submit_sequence: submit,
        report_type: 0,
        user_number: Text::try_from("8617600000000").unwrap(),
        state,
        error_code: ResultCode(error),
        reserve: Text::EMPTY,
    }
}

fn user_rpt_pdu() -> UserRpt {
    UserRpt {
        sp_number: Text::try_from("10690090").unwrap(),
        user_number: Text::try_from("8617600000000").unwrap(),
        user_condition: 1,
        reserve: Text::EMPTY,
    }
}

/// Everything the session wants to send now, decoded.
fn sent<P: Protocol>(s: &mut sms_session::Session<P>, now: Instant) -> Vec<Packet> {
    let mut buf = BytesMut::new();
    while s.poll_transmit(now, &mut buf) {}
    let mut out = Vec::new();
    while let Ok(FrameStatus::Complete(n)) = split_frame(&buf, 4096) {
        out.push(decode(buf.split_to(n).freeze()).unwrap());
    }
    assert!(buf.is_empty(), "only whole packets are written");
    out
}

fn events<P: Protocol>(s: &mut sms_session::Session<P>) -> Vec<sms_session::SessionEvent<P>> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn completions<P>(
    s: &mut sms_session::Session<P>,
) -> Vec<(RequestId, SequenceNumber, RequestOutcome<P::Response>)>
where
    P: Protocol<Seq = SequenceNumber>,
{
    events(s)
        .into_iter()
        .filter_map(|e| match e {
            sms_session::SessionEvent::Completed { id, seq, outcome } => Some((id, seq, outcome)),
            _ => None,
        })
        .collect()
}

fn submit_resp(seq: SequenceNumber, result: u8) -> Packet {
    Packet::new(seq, Pdu::SubmitResp(Resp::new(ResultCode(result))))
}

// ---------------------------------------------------------------------------------------
// Numbering

#[test]
fn numbering_stamps_node_time_and_a_counter_shared_by_clones() {
    let (now, sp, _) = stepped_clock();
    let other_link = sp.clone();
    let a = sp.next();
    assert_eq!(a, SequenceNumber::new(SP_NODE, 1_204_062_621, 0));
    now.set(at(61));
    // A second link of the same pool continues the counter: no two packets share 12 bytes.
    let b = other_link.next();
    assert_eq!(b, SequenceNumber::new(SP_NODE, 1_204_062_722, 1));
    assert_eq!(sp.next_counter(), 2);
    // The counter wraps instead of overflowing.
    let wrapped = Numbering::new(0, fixed(at(0))).starting_at(u32::MAX);
    assert_eq!(wrapped.next().counter, u32::MAX);
    assert_eq!(wrapped.next().counter, 0);
    assert!(format!("{sp:?}").contains("3010012345"));
}

// ---------------------------------------------------------------------------------------
// SP, MT link

#[test]
fn sp_submit_carries_the_twelve_byte_sequence_and_is_matched_on_it() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    let (id, seq) = s.submit(frame(submit_pdu()), t0).unwrap();
    assert_eq!(seq, SequenceNumber::new(SP_NODE, 1_204_062_621, 1));
    let pkts = sent(&mut s, t0);
    assert_eq!(pkts.len(), 1);
    assert_eq!(pkts[0].sequence, seq);
    assert_eq!(pkts[0].pdu, Pdu::Submit(submit_pdu()));
    assert_eq!(
        events(&mut s),
        vec![sms_session::SessionEvent::Transmitted {
            id,
            seq,
            attempt: 1,
            reason: None
        }]
    );
    // A Submit_Resp with the same node and counter but another time part is not ours.
    let other_second = SequenceNumber {
        time: seq.time + 1,
        ..seq
    };
    s.handle_packet(submit_resp(other_second, 0), t0);
    assert_eq!(
        events(&mut s),
        vec![sms_session::SessionEvent::UnmatchedResponse {
            seq: other_second,
            command: "SUBMIT_RESP"
        }]
    );
    assert_eq!(s.in_flight(), 1);
    s.handle_packet(submit_resp(seq, 0), t0 + Duration::from_secs(1));
    assert_eq!(
        completions(&mut s),
        vec![(
            id,
            seq,
            RequestOutcome::Response {
                resp: SpResponse::Submit(Resp::new(ResultCode::OK)),
                tries: 1
            }
        )]
    );
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn sp_window_full_then_released() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    let (_, first) = s.submit(frame(submit_pdu()), t0).unwrap();
    s.submit(frame(submit_pdu()), t0).unwrap();
    assert!(!s.can_submit(t0));
    let rej = s.submit(frame(submit_pdu()), t0).unwrap_err();
    assert_eq!(rej.reason, RejectReason::WindowFull);
    sent(&mut s, t0);
    s.handle_packet(submit_resp(first, 0), t0);
    assert!(s.can_submit(t0));
    let (_, seq) = s.submit(rej.frame, t0).unwrap();
    assert_eq!(seq.counter, 3);
}

#[test]
fn sp_only_submit_and_trace_are_requests_on_the_mt_link() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    for pdu in [
        Pdu::Deliver(deliver_pdu()),
        Pdu::Report(report_pdu(
            SequenceNumber::default(),
            ReportState::Delivered,
            0,
        )),
        Pdu::Unbind(Unbind::default()),
    ] {
        let rej = s.submit(frame(pdu), t0).unwrap_err();
        assert_eq!(rej.reason, RejectReason::NotASubmit);
    }
    assert_eq!(
        s.submit(BytesMut::from(&[0u8; 3][..]), t0)
            .unwrap_err()
            .reason,
        RejectReason::NotASubmit,
        "a runt frame is refused, not indexed"
    );
    let trace = sgip_codec::Trace {
        submit_sequence: SequenceNumber::new(SP_NODE, 1, 1),
        user_number: Text::try_from("8617600000000").unwrap(),
        reserve: Text::EMPTY,
    };
    let (id, seq) = s.submit(frame(trace), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    let answer = TraceResp { hops: vec![] };
    s.handle_packet(Packet::new(seq, Pdu::TraceResp(answer.clone())), t0);
    assert_eq!(
        completions(&mut s),
        vec![(
            id,
            seq,
            RequestOutcome::Response {
                resp: SpResponse::Trace(answer),
                tries: 1
            }
        )]
    );
    // A Submit_Resp to a Trace's sequence number answers the wrong command.
    let (_, seq) = s.submit(frame(submit_pdu()), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    s.handle_packet(
        Packet::new(seq, Pdu::TraceResp(TraceResp { hops: vec![] })),
        t0,
    );
    assert!(matches!(
        events(&mut s)[..],
        [sms_session::SessionEvent::UnmatchedResponse {
            command: "TRACE_RESP",
            ..
        }]
    ));
}

#[test]
fn sp_timeout_resends_the_same_twelve_bytes_then_fails_after_n_tries() {
    let (now, numbering, _) = stepped_clock();
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(numbering), t0);
    let (id, seq) = s.submit(frame(submit_pdu()), t0).unwrap();
    let first = sent(&mut s, t0);
    events(&mut s);
    // No heartbeat in SGIP: the only timer is the response deadline.
    assert_eq!(s.poll_timeout(), Some(t0 + T));
    s.handle_timeout(t0 + T - Duration::from_millis(1));
    assert!(sent(&mut s, t0 + T - Duration::from_millis(1)).is_empty());
    for attempt in 2..=3u32 {
        // The wall clock moves on; a re-send keeps the original time part.
        now.set(at(i64::from(attempt) * 30));
        let when = t0 + T * (attempt - 1);
        s.handle_timeout(when);
        assert_eq!(sent(&mut s, when), first, "re-send is byte-identical");
        assert_eq!(
            events(&mut s),
            vec![sms_session::SessionEvent::Transmitted {
                id,
                seq,
                attempt,
                reason: Some(ResendReason::Timeout)
            }]
        );
    }
    s.handle_timeout(t0 + T * 3);
    assert!(sent(&mut s, t0 + T * 3).is_empty());
    assert_eq!(
        completions(&mut s),
        vec![(id, seq, RequestOutcome::NoResponse { tries: 3 })]
    );
}

#[test]
fn sp_throttle_results_back_off_and_resend_then_succeed() {
    // 33 (flow limit per second), 88 (vendor flow control), 11 (node busy).
    for code in [33u8, 88, 11] {
        let t0 = Instant::now();
        let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
        let (id, seq) = s.submit(frame(submit_pdu()), t0).unwrap();
        let first = sent(&mut s, t0);
        events(&mut s);
        s.handle_packet(submit_resp(seq, code), t0);
        assert!(completions(&mut s).is_empty(), "Result {code} is not final");
        assert_eq!(
            s.submit(frame(submit_pdu()), t0).unwrap_err().reason,
            RejectReason::Paused
        );
        assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(1)));
        let t1 = t0 + Duration::from_secs(1);
        s.handle_timeout(t1);
        assert_eq!(sent(&mut s, t1), first);
        assert_eq!(
            events(&mut s),
            vec![sms_session::SessionEvent::Transmitted {
                id,
                seq,
                attempt: 2,
                reason: Some(ResendReason::FlowControl)
            }]
        );
        s.handle_packet(submit_resp(seq, 0), t1);
        assert_eq!(
            completions(&mut s),
            vec![(
                id,
                seq,
                RequestOutcome::Response {
                    resp: SpResponse::Submit(Resp::new(ResultCode::OK)),
                    tries: 2
                }
            )]
        );
    }
}

#[test]
fn sp_cmpp_flow_control_code_8_is_a_final_sgip_length_error() {
    // Quirk 15: 8 means "message length error" in SGIP, not flow control.
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    let (id, seq) = s.submit(frame(submit_pdu()), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    s.handle_packet(submit_resp(seq, 8), t0);
    let done = completions(&mut s);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].0, id);
    match &done[0].2 {
        RequestOutcome::Response { resp, tries: 1 } => {
            assert_eq!(resp.result(), Some(ResultCode(8)));
            assert_eq!(
                resp.result().unwrap().cause_class(),
                sgip_codec::CauseClass::Sp
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sp_flow_control_gives_up_after_the_allowed_resends() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    let (id, seq) = s.submit(frame(submit_pdu()), t0).unwrap();
    let mut now = t0;
    for _ in 0..3 {
        sent(&mut s, now);
        s.handle_packet(submit_resp(seq, 88), now);
        now += Duration::from_secs(10);
        s.handle_timeout(now);
    }
    assert_eq!(
        completions(&mut s),
        vec![(id, seq, RequestOutcome::FlowControl { tries: 3 })]
    );
}

#[test]
fn sgip_has_no_heartbeat() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    assert_eq!(s.poll_timeout(), None, "an idle SGIP link has no timer");
    let much_later = t0 + Duration::from_secs(24 * 3600);
    s.handle_timeout(much_later);
    assert!(sent(&mut s, much_later).is_empty());
    assert!(events(&mut s).is_empty());
    assert!(!s.is_closed());
    // Nothing encodes a heartbeat either: it is a bug, reported rather than sent.
    let mut buf = BytesMut::new();
    let err = SpMt::new(sp_numbering())
        .encode_control(&Control::Heartbeat(SequenceNumber::default()), &mut buf)
        .unwrap_err();
    assert!(err.contains("no packet"), "{err}");
    assert!(buf.is_empty());
}

#[test]
fn sp_close_drains_then_unbinds_and_ends_on_unbind_resp() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    let (_, seq) = s.submit(frame(submit_pdu()), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    s.close(t0 + Duration::from_secs(60), t0);
    assert!(s.is_closing());
    assert_eq!(
        s.submit(frame(submit_pdu()), t0).unwrap_err().reason,
        RejectReason::Closing
    );
    assert!(sent(&mut s, t0).is_empty(), "Unbind waits for the drain");
    s.handle_packet(submit_resp(seq, 0), t0);
    assert_eq!(completions(&mut s).len(), 1);
    let unbind = sent(&mut s, t0);
    assert_eq!(unbind.len(), 1);
    assert!(matches!(unbind[0].pdu, Pdu::Unbind(_)));
    assert_eq!(unbind[0].sequence.node_id, SP_NODE);
    assert_ne!(unbind[0].sequence, seq);
    // Quirk 5: a 29-byte Unbind_Resp (Result + Reserve) still ends the session.
    let resp = Packet::new(
        unbind[0].sequence,
        Pdu::UnbindResp(Unbind {
            extra: Bytes::from_static(&[0; 9]),
        }),
    );
    s.handle_packet(resp, t0);
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![sms_session::SessionEvent::Terminated { by_peer: false }]
    );
}

#[test]
fn sp_close_deadline_abandons_unanswered_submits() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    let (id, seq) = s.submit(frame(submit_pdu()), t0).unwrap();
    sent(&mut s, t0);
    events(&mut s);
    let deadline = t0 + Duration::from_secs(5);
    s.close(deadline, t0);
    s.handle_timeout(deadline);
    assert_eq!(
        completions(&mut s),
        vec![(
            id,
            seq,
            RequestOutcome::Abandoned {
                maybe_accepted: true,
                tries: 1
            }
        )]
    );
    assert!(matches!(
        sent(&mut s, deadline)[..],
        [Packet {
            pdu: Pdu::Unbind(_),
            ..
        }]
    ));
    // No Unbind_Resp within T: closed anyway.
    s.handle_timeout(deadline + T);
    assert!(s.is_closed());
}

#[test]
fn peer_unbind_is_answered_with_its_own_sequence_and_closes() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    let theirs = SequenceNumber::new(SMG_NODE, 1_204_062_700, 9);
    s.handle_packet(Packet::new(theirs, Pdu::Unbind(Unbind::default())), t0);
    let out = sent(&mut s, t0);
    assert_eq!(
        out,
        vec![Packet::new(theirs, Pdu::UnbindResp(Unbind::default()))]
    );
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![sms_session::SessionEvent::Terminated { by_peer: true }]
    );
    // The spec's 20-byte Unbind_Resp.
    assert_eq!(out[0].to_bytes().unwrap().len(), 20);
}

#[test]
fn requests_the_smg_never_sends_on_the_mt_link_are_reported_not_taken() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    let seq = SequenceNumber::new(SMG_NODE, 1, 1);
    s.handle_packet(Packet::new(seq, Pdu::Deliver(deliver_pdu())), t0);
    match &events(&mut s)[..] {
        [sms_session::SessionEvent::ProtocolViolation { reason }] => {
            assert!(reason.contains("DELIVER"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(sent(&mut s, t0).is_empty());
    assert_eq!(s.unanswered_inbound(), 0);
}

#[test]
fn link_lost_returns_open_submits_with_their_sequence_numbers() {
    let t0 = Instant::now();
    let mut s = SpMtSession::new(config(), SpMt::new(sp_numbering()), t0);
    let (written, wseq) = s.submit(frame(submit_pdu()), t0).unwrap();
    sent(&mut s, t0);
    let (queued, _) = s.submit(frame(submit_pdu()), t0).unwrap();
    let lost = s.link_lost();
    assert_eq!(lost.len(), 2);
    assert_eq!((lost[0].id, lost[0].maybe_accepted), (written, true));
    assert_eq!((lost[1].id, lost[1].maybe_accepted), (queued, false));
    // The frame still carries the lost link's number; a new session re-numbers it.
    assert_eq!(SpMt::sequence_of(&lost[0].frame), Some(wseq));
    let mut next = SpMtSession::new(config(), s.into_protocol(), t0);
    let (_, seq) = next.submit(BytesMut::from(&lost[0].frame[..]), t0).unwrap();
    assert_ne!(seq, wseq);
    assert_eq!(seq.counter, 3, "the counter continues across links");
}

// ---------------------------------------------------------------------------------------
// SP, MO link (the listener)

#[test]
fn sp_listener_answers_deliver_report_and_userrpt_only_after_answer() {
    let t0 = Instant::now();
    let mut s = SpMoSession::new(config(), SpMo::new(sp_numbering()), t0);
    let submit_seq = SequenceNumber::new(SP_NODE, 1_204_062_621, 1);
    let pushes = [
        (
            SequenceNumber::new(SMG_NODE, 1_204_062_630, 1),
            Pdu::Deliver(deliver_pdu()),
            SpInbound::Deliver(deliver_pdu()),
        ),
        (
            SequenceNumber::new(SMG_NODE, 1_204_062_630, 2),
            Pdu::Report(report_pdu(submit_seq, ReportState::Delivered, 0)),
            SpInbound::Report(report_pdu(submit_seq, ReportState::Delivered, 0)),
        ),
        (
            SequenceNumber::new(SMG_NODE, 1_204_062_630, 3),
            Pdu::UserRpt(user_rpt_pdu()),
            SpInbound::UserRpt(user_rpt_pdu()),
        ),
    ];
    for (seq, pdu, _) in &pushes {
        s.handle_packet(Packet::new(*seq, pdu.clone()), t0);
    }
    assert_eq!(
        events(&mut s),
        pushes
            .iter()
            .map(|(seq, _, inbound)| sms_session::SessionEvent::Inbound {
                seq: *seq,
                inbound: inbound.clone()
            })
            .collect::<Vec<_>>()
    );
    assert!(
        sent(&mut s, t0).is_empty(),
        "nothing answered before the app holds it"
    );
    assert_eq!(s.unanswered_inbound(), 3);
    // Answered in any order, each with its own response command and sequence number.
    assert!(s.answer(pushes[1].0, ResultCode::OK));
    assert!(s.answer(pushes[2].0, ResultCode::OK));
    assert!(s.answer(pushes[0].0, ResultCode(5)));
    assert_eq!(
        sent(&mut s, t0),
        vec![
            Packet::new(pushes[1].0, Pdu::ReportResp(Resp::new(ResultCode::OK))),
            Packet::new(pushes[2].0, Pdu::UserRptResp(Resp::new(ResultCode::OK))),
            Packet::new(pushes[0].0, Pdu::DeliverResp(Resp::new(ResultCode(5)))),
        ]
    );
    assert!(!s.answer(pushes[0].0, ResultCode::OK), "answered once");
    assert!(sent(&mut s, t0).is_empty());
}

#[test]
fn report_names_its_submit_by_all_twelve_bytes() {
    // The SP's MT session submits; the SMG's push session reports; the SP's listener
    // session hands over a Report whose submit_sequence equals the Submit's seq exactly.
    let (now, sp_num, smg_num) = stepped_clock();
    let t0 = Instant::now();
    let mut mt = SpMtSession::new(config(), SpMt::new(sp_num.clone()), t0);
    let (_, early) = mt.submit(frame(submit_pdu()), t0).unwrap();
    now.set(at(1));
    let (_, late) = mt.submit(frame(submit_pdu()), t0).unwrap();
    assert_eq!(early.node_id, late.node_id);
    assert_ne!(early.time, late.time);

    let mut push = SmgMoSession::new(config(), SmgMo::new(smg_num), t0);
    let mut listener = SpMoSession::new(config(), SpMo::new(sp_num), t0);
    push.submit(frame(report_pdu(late, ReportState::Failed, 25)), t0)
        .unwrap();
    for p in sent(&mut push, t0) {
        listener.handle_packet(p, t0);
    }
    let reported = match &events(&mut listener)[..] {
        [sms_session::SessionEvent::Inbound {
            inbound: SpInbound::Report(r),
            ..
        }] => *r,
        other => panic!("{other:?}"),
    };
    assert_eq!(reported.submit_sequence, late);
    assert_ne!(reported.submit_sequence, early);
    assert_eq!(reported.submit_sequence.to_bytes(), late.to_bytes());
    assert_eq!(reported.cause_class(), sgip_codec::CauseClass::User);
}

#[test]
fn sp_listener_redelivery_is_answered_once_and_lost_links_forget_unanswered() {
    let t0 = Instant::now();
    let mut s = SpMoSession::new(config(), SpMo::new(sp_numbering()), t0);
    let seq = SequenceNumber::new(SMG_NODE, 1, 1);
    s.handle_packet(Packet::new(seq, Pdu::Deliver(deliver_pdu())), t0);
    s.handle_packet(Packet::new(seq, Pdu::Deliver(deliver_pdu())), t0);
    assert_eq!(
        events(&mut s).len(),
        2,
        "the app sees the copy (at least once)"
    );
    assert_eq!(s.unanswered_inbound(), 1);
    assert!(s.answer(seq, ResultCode::OK));
    assert_eq!(sent(&mut s, t0).len(), 1, "one answer for both copies");

    let other = SequenceNumber::new(SMG_NODE, 1, 2);
    s.handle_packet(Packet::new(other, Pdu::Deliver(deliver_pdu())), t0);
    assert!(s.link_lost().is_empty());
    assert!(
        !s.answer(other, ResultCode::OK),
        "the SMG re-sends it on a new link"
    );
}

#[test]
fn sp_listener_sends_no_requests_and_reports_a_submit_from_the_smg() {
    let t0 = Instant::now();
    let mut s = SpMoSession::new(config(), SpMo::new(sp_numbering()), t0);
    assert_eq!(
        s.submit(frame(submit_pdu()), t0).unwrap_err().reason,
        RejectReason::NotASubmit
    );
    s.handle_packet(
        Packet::new(SequenceNumber::default(), Pdu::Submit(submit_pdu())),
        t0,
    );
    assert!(matches!(
        events(&mut s)[..],
        [sms_session::SessionEvent::ProtocolViolation { .. }]
    ));
    // The SMG ends the batch with Unbind; the listener answers.
    let seq = SequenceNumber::new(SMG_NODE, 2, 2);
    s.handle_packet(Packet::new(seq, Pdu::Unbind(Unbind::default())), t0);
    assert_eq!(
        sent(&mut s, t0),
        vec![Packet::new(seq, Pdu::UnbindResp(Unbind::default()))]
    );
    assert!(s.is_closed());
}

// ---------------------------------------------------------------------------------------
// Gateway, MT link (accepting Submits)

#[test]
fn gateway_answers_each_submit_with_its_decision_only_after_answer() {
    let t0 = Instant::now();
    let mut s = SmgMtSession::new(config(), SmgMt::new(smg_numbering()), t0);
    let a = SequenceNumber::new(SP_NODE, 1_204_062_621, 1);
    let b = SequenceNumber::new(SP_NODE, 1_204_062_621, 2);
    s.handle_packet(Packet::new(a, Pdu::Submit(submit_pdu())), t0);
    s.handle_packet(Packet::new(b, Pdu::Submit(submit_pdu())), t0);
    assert_eq!(
        events(&mut s),
        vec![
            sms_session::SessionEvent::Inbound {
                seq: a,
                inbound: submit_pdu()
            },
            sms_session::SessionEvent::Inbound {
                seq: b,
                inbound: submit_pdu()
            }
        ]
    );
    assert!(sent(&mut s, t0).is_empty());
    assert!(s.answer(b, ResultCode(33)));
    assert!(s.answer(a, ResultCode::OK));
    assert_eq!(
        sent(&mut s, t0),
        vec![
            Packet::new(b, Pdu::SubmitResp(Resp::new(ResultCode(33)))),
            Packet::new(a, Pdu::SubmitResp(Resp::new(ResultCode::OK))),
        ]
    );
    assert!(!s.answer(a, ResultCode::OK));
}

#[test]
fn gateway_mt_link_refuses_pushes_and_answers_unbind() {
    let t0 = Instant::now();
    let mut s = SmgMtSession::new(config(), SmgMt::new(smg_numbering()), t0);
    assert_eq!(
        s.submit(frame(deliver_pdu()), t0).unwrap_err().reason,
        RejectReason::NotASubmit,
        "pushes go on the MO link"
    );
    s.handle_packet(
        Packet::new(SequenceNumber::default(), Pdu::Deliver(deliver_pdu())),
        t0,
    );
    assert!(matches!(
        events(&mut s)[..],
        [sms_session::SessionEvent::ProtocolViolation { .. }]
    ));
    let seq = SequenceNumber::new(SP_NODE, 5, 5);
    s.handle_packet(Packet::new(seq, Pdu::Unbind(Unbind::default())), t0);
    assert_eq!(
        sent(&mut s, t0),
        vec![Packet::new(seq, Pdu::UnbindResp(Unbind::default()))]
    );
    assert_eq!(
        events(&mut s),
        vec![sms_session::SessionEvent::Terminated { by_peer: true }]
    );
}

// ---------------------------------------------------------------------------------------
// Gateway, MO link (pushing to the SP's listener)

#[test]
fn gateway_pushes_deliver_report_and_userrpt_matched_to_their_responses() {
    let t0 = Instant::now();
    let mut s = SmgMoSession::new(config().with_window(3), SmgMo::new(smg_numbering()), t0);
    let (d, dseq) = s.submit(frame(deliver_pdu()), t0).unwrap();
    let submit = SequenceNumber::new(SP_NODE, 1_204_062_621, 1);
    let (r, rseq) = s
        .submit(frame(report_pdu(submit, ReportState::Delivered, 0)), t0)
        .unwrap();
    let (u, useq) = s.submit(frame(user_rpt_pdu()), t0).unwrap();
    assert_eq!(
        [dseq.node_id, dseq.time, dseq.counter],
        [SMG_NODE, 1_204_062_626, 1]
    );
    let out = sent(&mut s, t0);
    assert_eq!(out.len(), 3);
    assert!(matches!(out[1].pdu, Pdu::Report(ref rep) if rep.submit_sequence == submit));
    events(&mut s);
    // A Report_Resp to the Deliver's number answers the wrong command.
    s.handle_packet(Packet::new(dseq, Pdu::ReportResp(Resp::default())), t0);
    assert!(matches!(
        events(&mut s)[..],
        [sms_session::SessionEvent::UnmatchedResponse {
            command: "REPORT_RESP",
            ..
        }]
    ));
    s.handle_packet(Packet::new(useq, Pdu::UserRptResp(Resp::default())), t0);
    s.handle_packet(Packet::new(dseq, Pdu::DeliverResp(Resp::default())), t0);
    s.handle_packet(Packet::new(rseq, Pdu::ReportResp(Resp::default())), t0);
    let done: Vec<_> = completions(&mut s).into_iter().map(|c| c.0).collect();
    assert_eq!(done, vec![u, d, r]);
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn gateway_push_is_resent_after_t_until_the_sp_answers() {
    let t0 = Instant::now();
    let mut s = SmgMoSession::new(config(), SmgMo::new(smg_numbering()), t0);
    let (id, seq) = s.submit(frame(deliver_pdu()), t0).unwrap();
    let first = sent(&mut s, t0);
    s.handle_timeout(t0 + T);
    assert_eq!(sent(&mut s, t0 + T), first);
    s.handle_packet(
        Packet::new(seq, Pdu::DeliverResp(Resp::default())),
        t0 + T + Duration::from_secs(1),
    );
    let done = completions(&mut s);
    assert_eq!(
        done,
        vec![(
            id,
            seq,
            RequestOutcome::Response {
                resp: Resp::default(),
                tries: 2
            }
        )]
    );
    // The SP may refuse (or throttle) a push too.
    let (_, seq) = s.submit(frame(deliver_pdu()), t0 + T).unwrap();
    sent(&mut s, t0 + T);
    s.handle_packet(
        Packet::new(seq, Pdu::DeliverResp(Resp::new(ResultCode(88)))),
        t0 + T,
    );
    assert!(!s.can_submit(t0 + T), "paused after a throttle answer");
}

#[test]
fn gateway_push_link_closes_with_unbind() {
    let t0 = Instant::now();
    let mut s = SmgMoSession::new(config(), SmgMo::new(smg_numbering()), t0);
    s.close(t0 + T, t0);
    let out = sent(&mut s, t0);
    assert!(
        matches!(out[..], [Packet { pdu: Pdu::Unbind(_), sequence }] if sequence.node_id == SMG_NODE)
    );
    s.handle_packet(
        Packet::new(out[0].sequence, Pdu::UnbindResp(Unbind::default())),
        t0,
    );
    assert!(s.is_closed());
}

#[test]
fn an_answer_for_a_command_without_a_generic_response_is_an_error_not_a_panic() {
    let mut buf = BytesMut::new();
    let err = SpMo::new(sp_numbering())
        .encode_control(
            &Control::Answer {
                seq: SequenceNumber::default(),
                key: CommandId::TRACE,
                answer: ResultCode::OK,
            },
            &mut buf,
        )
        .unwrap_err();
    assert!(err.contains("TRACE"), "{err}");
    assert!(buf.is_empty());
    assert_eq!(command_of(&[0, 0, 0]), None);
}
