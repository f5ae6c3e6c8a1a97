//! A model check of the SP-side state machine ([`ClientSession`]), driven by a byte script.
//!
//! Shared by the property test (`tests/client_model.rs`) and the cargo-fuzz target
//! (`fuzz/fuzz_targets/client_session.rs`). Each byte picks an operation, the next bytes its
//! arguments: submits, responses (in any order, duplicated, bogus, result 8), DELIVERs (some
//! repeated), the application accepting them, time passing, a graceful close and a link
//! drop. After every step the invariants are checked:
//!
//! * the window is never exceeded;
//! * every submit completes exactly once (an event, or returned by `link_lost`);
//! * a DELIVER_RESP is written only after the application accepted that DELIVER, and
//!   once per acceptance.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use cmpp_codec::{
    decode, encode, split_frame, Deliver, DeliverContent, DeliverResult, FrameStatus, MsgFmt,
    MsgId, OctetString, Packet, Pdu, Submit, SubmitResp, SubmitResult, Version,
};
use cmpp_session::proto::{ClientSession, CmppSp, RejectReason, SessionConfig, SessionEvent};
use tokio::time::Instant;

const WINDOW: usize = 4;

struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn arg(&mut self) -> u8 {
        self.next().unwrap_or(0)
    }
}

#[derive(Default)]
struct Model {
    /// Request id -> times completed.
    completed: HashMap<u64, u32>,
    /// Sequence_Ids of SUBMITs written and not yet completed (what the gateway may answer).
    written: BTreeSet<u32>,
    /// Sequence_Ids already answered or completed (for duplicate responses).
    done_seqs: Vec<u32>,
    /// DELIVER Sequence_Id -> copies received, acceptances, DELIVER_RESPs written.
    received: HashMap<u32, u32>,
    accepted: HashMap<u32, u32>,
    answered: HashMap<u32, u32>,
    /// Received and not yet accepted, in arrival order.
    unaccepted: Vec<u32>,
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

fn deliver(n: u8) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(u64::from(n)),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from("13800138000").unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Message(Bytes::from_static(b"TD")),
        link_id: OctetString::EMPTY,
    }
}

fn resp(seq: u32, result: SubmitResult) -> Packet {
    Packet::new(
        seq,
        SubmitResp {
            msg_id: MsgId::from_u64(u64::from(seq)),
            result,
        },
    )
}

impl Model {
    /// Writes what the session wants to send and records it.
    fn transmit(&mut self, s: &mut ClientSession, now: Instant) -> Result<(), String> {
        let mut buf = BytesMut::new();
        while s.poll_transmit(now, &mut buf) {}
        while let Ok(FrameStatus::Complete(n)) = split_frame(&buf, 4096) {
            let p = decode(buf.split_to(n).freeze(), Version::V30)
                .map_err(|e| format!("the session wrote an undecodable packet: {e}"))?;
            match p.pdu {
                Pdu::Submit(_) => {
                    self.written.insert(p.sequence_id);
                }
                Pdu::DeliverResp(_) => {
                    let seq = p.sequence_id;
                    let a = self.answered.entry(seq).or_default();
                    *a += 1;
                    if *a > self.accepted.get(&seq).copied().unwrap_or(0) {
                        return Err(format!(
                            "DELIVER_RESP for Sequence_Id {seq} written {a} times, accepted fewer"
                        ));
                    }
                }
                _ => {}
            }
        }
        if !buf.is_empty() {
            return Err("the session wrote a partial packet".into());
        }
        Ok(())
    }

    fn events(&mut self, s: &mut ClientSession) -> Result<(), String> {
        while let Some(ev) = s.poll_event() {
            match ev {
                SessionEvent::Completed {
                    id,
                    seq: sequence_id,
                    ..
                } => {
                    let c = self
                        .completed
                        .get_mut(&id)
                        .ok_or_else(|| format!("request {id} completed but never submitted"))?;
                    *c += 1;
                    if *c > 1 {
                        return Err(format!("request {id} completed twice"));
                    }
                    self.written.remove(&sequence_id);
                    self.done_seqs.push(sequence_id);
                }
                SessionEvent::Inbound {
                    seq: sequence_id, ..
                } => {
                    *self.received.entry(sequence_id).or_default() += 1;
                    self.unaccepted.push(sequence_id);
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check(&self, s: &ClientSession) -> Result<(), String> {
        if s.in_flight() > WINDOW {
            return Err(format!(
                "{} requests in flight, window {WINDOW}",
                s.in_flight()
            ));
        }
        Ok(())
    }
}

/// Runs one script; `Err` describes the first broken invariant.
pub fn run(script: &[u8]) -> Result<(), String> {
    let mut sc = Script(script);
    let mut now = Instant::now();
    let mut config = SessionConfig::default();
    config.window = WINDOW;
    config.response_timeout = Duration::from_secs(10);
    config.max_tries = 3;
    config.heartbeat = Duration::from_secs(60);
    config.flow_control_max_resends = 2;
    config.flow_control_backoff = Duration::from_secs(1);
    config.flow_control_backoff_max = Duration::from_secs(4);
    let mut s = ClientSession::new(config, CmppSp::new(Version::V30, 1), now);
    let mut m = Model::default();
    while let Some(op) = sc.next() {
        match op % 10 {
            0 => {
                let could = s.can_submit(now);
                match s.submit(submit_frame(), now) {
                    Ok((id, _)) => {
                        if !could {
                            return Err("submit accepted although can_submit was false".into());
                        }
                        if m.completed.insert(id, 0).is_some() {
                            return Err(format!("request id {id} reused"));
                        }
                    }
                    Err(rej) => {
                        if could {
                            return Err(format!(
                                "submit refused ({:?}) although it could",
                                rej.reason
                            ));
                        }
                        if rej.reason == RejectReason::NotASubmit {
                            return Err("a SUBMIT was taken for something else".into());
                        }
                    }
                }
            }
            1 => m.transmit(&mut s, now)?,
            2 | 3 => {
                // A response to a written request, chosen by the next byte (any order).
                let k = usize::from(sc.arg());
                if let Some(&seq) = m.written.iter().nth(k % m.written.len().max(1)) {
                    let result = if op % 10 == 3 {
                        SubmitResult::FlowControl
                    } else {
                        SubmitResult::Ok
                    };
                    s.handle_packet(resp(seq, result), now);
                }
            }
            4 => {
                // A duplicate of an earlier response, or a bogus Sequence_Id.
                let k = usize::from(sc.arg());
                let seq = match m.done_seqs.get(k % m.done_seqs.len().max(1)) {
                    Some(&seq) if k % 2 == 0 => seq,
                    _ => 50_000 + k as u32,
                };
                s.handle_packet(resp(seq, SubmitResult::Ok), now);
            }
            5 => {
                // A DELIVER; few Sequence_Ids, so copies repeat.
                let n = sc.arg() % 8;
                s.handle_packet(Packet::new(9_000 + u32::from(n), deliver(n)), now);
            }
            6 => {
                // The application accepts one DELIVER it holds.
                let k = usize::from(sc.arg());
                if !m.unaccepted.is_empty() {
                    let seq = m.unaccepted.remove(k % m.unaccepted.len());
                    if s.answer(seq, DeliverResult::Ok) {
                        *m.accepted.entry(seq).or_default() += 1;
                        if m.accepted[&seq] > m.received[&seq] {
                            return Err(format!("DELIVER {seq} accepted more often than received"));
                        }
                    }
                }
            }
            7 => {
                now += Duration::from_millis(u64::from(sc.arg()) * 250);
                while let Some(t) = s.poll_timeout() {
                    if t > now {
                        break;
                    }
                    s.handle_timeout(now);
                    m.events(&mut s)?;
                    m.transmit(&mut s, now)?;
                    if s.poll_timeout() == Some(t) {
                        break;
                    }
                }
            }
            8 => s.handle_packet(Packet::new(70_000, Pdu::ActiveTest), now),
            _ => {
                if sc.arg() % 4 == 0 {
                    s.close(now + Duration::from_secs(u64::from(sc.arg() % 20)), now);
                } else {
                    break;
                }
            }
        }
        m.events(&mut s)?;
        m.check(&s)?;
    }
    // The link drops: every open request comes back exactly once.
    m.transmit(&mut s, now)?;
    m.events(&mut s)?;
    for lost in s.link_lost() {
        let c = m
            .completed
            .get_mut(&lost.id)
            .ok_or_else(|| format!("lost request {} was never submitted", lost.id))?;
        *c += 1;
        if *c > 1 {
            return Err(format!("request {} both completed and lost", lost.id));
        }
    }
    m.events(&mut s)?;
    if let Some((id, c)) = m.completed.iter().find(|(_, c)| **c != 1) {
        return Err(format!("request {id} completed {c} times"));
    }
    // After the drop nothing more is answered.
    for seq in m.unaccepted.clone() {
        if s.answer(seq, DeliverResult::Ok) {
            return Err(format!("DELIVER {seq} answered on a dropped link"));
        }
    }
    Ok(())
}
