use super::*;
use std::time::Duration;

use bytes::Bytes;
use smgp_codec::{decode, split_frame, FrameStatus, StatusReport, Text};
use sms_session::{RejectReason, RequestId, ResendReason, SessionConfig};
use tokio::time::Instant;

use crate::proto::sp::{SmgpSp, SpResponse, SpSession};

type SessionEvent = sms_session::SessionEvent<SmgpGateway>;
type RequestOutcome = sms_session::RequestOutcome<DeliverResp>;

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

fn gw(first: u32) -> SmgpGateway {
    SmgpGateway::new(Version::V30, first)
}

fn sent(s: &mut GatewaySession, now: Instant) -> Vec<Packet> {
    let mut buf = BytesMut::new();
    while s.poll_transmit(now, &mut buf) {}
    let mut out = Vec::new();
    while let Ok(FrameStatus::Complete(n)) = split_frame(&buf, 4096) {
        out.push(decode(buf.split_to(n).freeze(), Version::V30).unwrap());
    }
    assert!(buf.is_empty());
    out
}

fn events(s: &mut GatewaySession) -> Vec<SessionEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn completions(s: &mut GatewaySession) -> Vec<(RequestId, RequestOutcome)> {
    events(s)
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::Completed { id, outcome, .. } => Some((id, outcome)),
            _ => None,
        })
        .collect()
}

fn report_deliver(own: u8, reported: MsgId) -> Deliver {
    let content = StatusReport {
        id: reported,
        stat: smgp_codec::Stat(Text::new(b"DELIVRD").unwrap()),
        err: Text::new(b"000").unwrap(),
        ..StatusReport::default()
    }
    .to_content();
    Deliver {
        msg_id: MsgId([own; 10]),
        is_report: 1,
        msg_content: Bytes::from(content),
        ..Deliver::default()
    }
}

fn deliver_frame(own: u8) -> BytesMut {
    gw(0)
        .encode_deliver(report_deliver(own, MsgId([0x42; 10])))
        .unwrap()
}

fn deliver_resp(seq: u32, own: u8, status: u32) -> Packet {
    Packet::new(
        seq,
        Pdu::DeliverResp(DeliverResp {
            msg_id: MsgId([own; 10]),
            status: Status(status),
            tlvs: Tlvs::new(),
        }),
    )
}

fn submit() -> Submit {
    Submit {
        src_term_id: Text::new(b"1069000").unwrap(),
        dest_term_ids: vec![Text::new(b"17600000000").unwrap()],
        msg_content: Bytes::from_static(b"code 1234"),
        ..Submit::default()
    }
}

#[test]
fn deliver_push_is_written_and_matched_by_deliver_resp() {
    let t0 = Instant::now();
    let mut s = GatewaySession::new(config(), gw(50), t0);
    let (id, seq) = s.submit(deliver_frame(1), t0).unwrap();
    assert_eq!(seq, 50);
    let out = sent(&mut s, t0);
    assert_eq!(
        out,
        vec![Packet::new(50, report_deliver(1, MsgId([0x42; 10])))]
    );
    // A Submit_Resp has a Deliver_Resp's body but another RequestID: it answers nothing.
    let Pdu::DeliverResp(body) = deliver_resp(50, 1, 0).pdu else {
        unreachable!()
    };
    s.handle_packet(Packet::new(50, Pdu::SubmitResp(body)), t0);
    assert!(matches!(
        &events(&mut s)[..],
        [_, SessionEvent::ProtocolViolation { reason }] if reason.contains("SUBMIT_RESP")
    ));
    assert_eq!(s.in_flight(), 1);
    s.handle_packet(deliver_resp(50, 1, 0), t0);
    assert!(matches!(
        &completions(&mut s)[..],
        [(done, RequestOutcome::Response { tries: 1, resp })] if *done == id && resp.status.is_ok()
    ));
    s.handle_packet(deliver_resp(50, 1, 0), t0);
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::UnmatchedResponse {
            seq: 50,
            command: "DELIVER_RESP"
        }]
    );
}

#[test]
fn unanswered_push_is_resent_after_t_with_the_same_sequence() {
    let t0 = Instant::now();
    let mut s = GatewaySession::new(
        config().with_heartbeat(Duration::from_secs(3600)),
        gw(1),
        t0,
    );
    let (id, _) = s.submit(deliver_frame(1), t0).unwrap();
    let first = sent(&mut s, t0);
    events(&mut s);
    s.handle_timeout(t0 + T);
    assert_eq!(sent(&mut s, t0 + T), first);
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Transmitted {
            id,
            seq: 1,
            attempt: 2,
            reason: Some(ResendReason::Timeout)
        }]
    );
    // The answer to the resend completes it once.
    s.handle_packet(deliver_resp(1, 1, 0), t0 + T + Duration::from_secs(1));
    assert_eq!(completions(&mut s).len(), 1);
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn sp_busy_status_1_backs_off_the_pushes() {
    let t0 = Instant::now();
    let mut s = GatewaySession::new(config(), gw(1), t0);
    s.submit(deliver_frame(1), t0).unwrap();
    sent(&mut s, t0);
    s.handle_packet(deliver_resp(1, 1, 1), t0);
    assert!(completions(&mut s).is_empty());
    assert_eq!(
        s.submit(deliver_frame(2), t0).unwrap_err().reason,
        RejectReason::Paused
    );
    let t1 = t0 + Duration::from_secs(1);
    s.handle_timeout(t1);
    assert_eq!(sent(&mut s, t1).len(), 1);
    // Any other non-zero Status is the SP's final answer.
    s.handle_packet(deliver_resp(1, 1, 10), t1);
    assert!(matches!(
        &completions(&mut s)[..],
        [(_, RequestOutcome::Response { tries: 2, resp })] if resp.status == Status(10)
    ));
}

#[test]
fn submit_is_answered_only_after_answer_with_the_gateways_msg_id() {
    let t0 = Instant::now();
    let mut s = GatewaySession::new(config(), gw(1), t0);
    s.handle_packet(Packet::new(31, submit()), t0);
    assert!(
        sent(&mut s, t0).is_empty(),
        "not answered before the decision"
    );
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Inbound {
            seq: 31,
            inbound: GatewayInbound::Submit(submit())
        }]
    );
    let id = MsgId([0x01, 0x00, 0x61, 0x12, 0x04, 0x18, 0x30, 0x00, 0x00, 0x01]);
    assert!(s.answer(31, GatewayAnswer::accept(id)));
    assert!(!s.answer(31, GatewayAnswer::accept(id)), "once only");
    assert_eq!(
        sent(&mut s, t0),
        vec![Packet::new(
            31,
            Pdu::SubmitResp(SubmitResp {
                msg_id: id,
                status: Status::OK,
                tlvs: Tlvs::new()
            })
        )]
    );
    // A refusal carries the Status and a zero MsgID.
    s.handle_packet(Packet::new(32, submit()), t0);
    events(&mut s);
    assert!(s.answer(32, GatewayAnswer::refuse(Status(75))));
    assert_eq!(
        sent(&mut s, t0),
        vec![Packet::new(
            32,
            Pdu::SubmitResp(SubmitResp {
                msg_id: MsgId::default(),
                status: Status(75),
                tlvs: Tlvs::new()
            })
        )]
    );
}

#[test]
fn query_is_answered_with_query_resp_and_a_mismatched_answer_is_reported() {
    let t0 = Instant::now();
    let mut s = GatewaySession::new(config(), gw(1), t0);
    let q = Query {
        query_time: Text::new(b"20261204").unwrap(),
        query_type: 0,
        query_code: Text::EMPTY,
    };
    s.handle_packet(Packet::new(5, q), t0);
    s.handle_packet(Packet::new(6, q), t0);
    assert_eq!(events(&mut s).len(), 2);
    let qr = QueryResp {
        query_time: q.query_time,
        mt_total: 3,
        ..QueryResp::default()
    };
    assert!(s.answer(5, GatewayAnswer::Query(qr)));
    assert_eq!(sent(&mut s, t0), vec![Packet::new(5, qr)]);
    // A Submit_Resp cannot answer a Query: nothing is sent, the mistake is reported.
    assert!(s.answer(6, GatewayAnswer::refuse(Status(1))));
    assert!(sent(&mut s, t0).is_empty());
    assert!(matches!(
        &events(&mut s)[..],
        [SessionEvent::ProtocolViolation { reason }] if reason.contains("does not fit a Query")
    ));
}

#[test]
fn sp_active_test_and_exit_are_answered() {
    let t0 = Instant::now();
    let mut s = GatewaySession::new(config(), gw(1), t0);
    s.handle_packet(Packet::new(8, Pdu::ActiveTest(Bodiless::default())), t0);
    assert_eq!(
        sent(&mut s, t0),
        vec![Packet::new(8, Pdu::ActiveTestResp(Bodiless::default()))]
    );
    s.handle_packet(Packet::new(9, Pdu::Exit(Bodiless::default())), t0);
    assert_eq!(
        sent(&mut s, t0),
        vec![Packet::new(9, Pdu::ExitResp(Bodiless::default()))]
    );
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::Terminated { by_peer: true }]
    );
}

#[test]
fn gateway_sends_its_own_active_test_when_idle() {
    let t0 = Instant::now();
    let mut s = GatewaySession::new(config(), gw(70), t0);
    s.handle_timeout(t0 + C);
    assert_eq!(
        sent(&mut s, t0 + C),
        vec![Packet::new(70, Pdu::ActiveTest(Bodiless::default()))]
    );
    s.handle_packet(
        Packet::new(70, Pdu::ActiveTestResp(Bodiless::default())),
        t0 + C,
    );
    assert_eq!(s.poll_timeout(), Some(t0 + C + C));
}

#[test]
fn gateway_close_waits_for_pushes_then_exit() {
    let t0 = Instant::now();
    let mut s = GatewaySession::new(config(), gw(1), t0);
    s.submit(deliver_frame(1), t0).unwrap();
    sent(&mut s, t0);
    s.close(t0 + Duration::from_secs(30), t0);
    assert!(sent(&mut s, t0).is_empty());
    s.handle_packet(deliver_resp(1, 1, 0), t0);
    assert_eq!(
        sent(&mut s, t0),
        vec![Packet::new(2, Pdu::Exit(Bodiless::default()))]
    );
    s.handle_packet(Packet::new(2, Pdu::ExitResp(Bodiless::default())), t0);
    assert!(s.is_closed());
}

#[test]
fn only_deliver_takes_a_window_slot_and_sp_packets_are_unexpected() {
    let t0 = Instant::now();
    let mut s = GatewaySession::new(config(), gw(1), t0);
    let submit_frame = SmgpSp::new(Version::V30, 0)
        .encode_request(submit())
        .unwrap();
    assert_eq!(
        s.submit(submit_frame, t0).unwrap_err().reason,
        RejectReason::NotASubmit
    );
    // A Deliver or Submit_Resp from the SP makes no sense here.
    s.handle_packet(Packet::new(4, report_deliver(1, MsgId::default())), t0);
    assert!(matches!(
        &events(&mut s)[..],
        [SessionEvent::ProtocolViolation { reason }] if reason.contains("DELIVER")
    ));
    assert!(sent(&mut s, t0).is_empty());
}

/// Moves every packet one session wants to send into the other.
fn pump(sp: &mut SpSession, gw: &mut GatewaySession, now: Instant) {
    loop {
        let mut moved = false;
        let mut buf = BytesMut::new();
        while sp.poll_transmit(now, &mut buf) {}
        while let Ok(FrameStatus::Complete(n)) = split_frame(&buf, 4096) {
            gw.handle_packet(decode(buf.split_to(n).freeze(), Version::V30).unwrap(), now);
            moved = true;
        }
        while gw.poll_transmit(now, &mut buf) {}
        while let Ok(FrameStatus::Complete(n)) = split_frame(&buf, 4096) {
            sp.handle_packet(decode(buf.split_to(n).freeze(), Version::V30).unwrap(), now);
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

#[test]
fn sp_and_gateway_sessions_talk_to_each_other_over_bytes() {
    let t0 = Instant::now();
    let mut sp = SpSession::new(config(), SmgpSp::new(Version::V30, 1), t0);
    let mut gw = GatewaySession::new(config(), gw(1000), t0);
    let frame = sp.protocol().encode_request(submit()).unwrap();
    let (sp_id, _) = sp.submit(frame, t0).unwrap();
    pump(&mut sp, &mut gw, t0);
    let [sms_session::SessionEvent::Inbound {
        seq,
        inbound: GatewayInbound::Submit(got),
    }] = &events(&mut gw)[..]
    else {
        panic!("no Submit at the gateway");
    };
    assert_eq!(got, &submit());
    let assigned = MsgId([0x07; 10]);
    gw.answer(*seq, GatewayAnswer::accept(assigned));
    pump(&mut sp, &mut gw, t0);
    let sp_events: Vec<_> = std::iter::from_fn(|| sp.poll_event()).collect();
    let Some(SpResponse::Submit(r)) = sp_events.iter().find_map(|e| match e {
        sms_session::SessionEvent::Completed {
            id,
            outcome: sms_session::RequestOutcome::Response { resp, .. },
            ..
        } if *id == sp_id => Some(resp.clone()),
        _ => None,
    }) else {
        panic!("no Submit_Resp at the SP: {sp_events:?}");
    };
    assert_eq!(r.msg_id, assigned);
    // The gateway pushes the report; the SP acknowledges it only after taking it.
    let push = gw
        .protocol()
        .encode_deliver(report_deliver(9, assigned))
        .unwrap();
    let (push_id, _) = gw.submit(push, t0).unwrap();
    pump(&mut sp, &mut gw, t0);
    let inbound: Vec<_> = std::iter::from_fn(|| sp.poll_event()).collect();
    let [sms_session::SessionEvent::Inbound { seq, inbound }] = &inbound[..] else {
        panic!("{inbound:?}");
    };
    assert_eq!(inbound.report().unwrap().unwrap().id, assigned);
    assert_eq!(gw.in_flight(), 1, "unanswered until the SP holds it");
    sp.answer(*seq, Status::OK);
    pump(&mut sp, &mut gw, t0);
    assert!(matches!(
        &completions(&mut gw)[..],
        [(id, RequestOutcome::Response { resp, tries: 1 })] if *id == push_id && resp.msg_id == MsgId([9; 10])
    ));
    // The SP closes: Exit, Exit_Resp, both sides closed.
    sp.close(t0, t0);
    pump(&mut sp, &mut gw, t0);
    assert!(sp.is_closed() && gw.is_closed());
}
