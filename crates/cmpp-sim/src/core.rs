//! The simulator's decisions as pure logic: no I/O, no clock reads, one seeded RNG.
//!
//! The caller passes the time (elapsed since start, and the Beijing wall time) with every
//! input, so the same seed and the same inputs give the same outputs.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, FixedOffset, TimeDelta};
use cmpp_codec::long::split_text;
use cmpp_codec::text::{TextEncoding, UdhRef};
use cmpp_codec::{Deliver, DeliverContent, MsgFmt, MsgId, OctetString, StatusReport, Submit};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ids::{yymmddhhmm, MsgIdGen};
use crate::profile::{Compiled, ProfileError, SimProfile};

/// How to answer one SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// Send SUBMIT_RESP after `delay` (zero = at once).
    Respond {
        /// Msg_Id assigned (the first of the range for a group send).
        msg_id: MsgId,
        /// Result code.
        result: u32,
        /// Response delay (late-answer fault).
        delay: Duration,
    },
    /// Do not answer (silence fault).
    Ignore,
    /// Close this link without answering (drop-link fault).
    DropLink,
    /// Simulated restart: close every link without answering.
    Restart {
        /// Whether reports still waiting are lost.
        lose_reports: bool,
    },
}

/// A status report to deliver after `delay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedReport {
    /// Time from the SUBMIT to the report.
    pub delay: Duration,
    /// The DELIVER carrying the report.
    pub deliver: Deliver,
}

/// Everything decided for one SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The answer.
    pub answer: Answer,
    /// Reports to schedule (one per destination when Result is 0 and reports were asked for).
    pub reports: Vec<PlannedReport>,
}

/// Counters of what the simulator did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimStats {
    /// SUBMITs received.
    pub submits: u64,
    /// SUBMITs answered with Result 0.
    pub accepted: u64,
    /// SUBMIT_RESPs by Result code.
    pub by_result: BTreeMap<u32, u64>,
    /// SUBMITs not answered (silence).
    pub ignored: u64,
    /// Links dropped by the drop-link fault.
    pub links_dropped: u64,
    /// Simulated restarts.
    pub restarts: u64,
    /// Reports scheduled.
    pub reports_scheduled: u64,
    /// Reports handed to a connection, by Stat text.
    pub reports_by_stat: BTreeMap<String, u64>,
    /// Reports given up (no connection within the retention time, queue full, restart).
    pub reports_lost: u64,
    /// MO messages (DELIVER segments) sent.
    pub mo_sent: u64,
}

impl SimStats {
    /// Total reports handed to connections.
    pub fn reports_delivered(&self) -> u64 {
        self.reports_by_stat.values().sum()
    }
}

/// Decision state: RNG, Msg_Id generator, fault counters.
#[derive(Debug)]
pub struct SimCore {
    c: Compiled,
    rng: ChaCha8Rng,
    ids: MsgIdGen,
    messages: u64,
    silent_until: Option<Duration>,
    flow_second: u64,
    flow_count: u64,
    smsc_sequence: u32,
    mo_reference: u8,
    restarts_done: Vec<bool>,
    stats: SimStats,
}

/// A 64-bit key of a SUBMIT's destinations, segment numbers and content (FNV-1a).
fn message_key(submit: &Submit) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for d in &submit.dest_terminal_ids {
        eat(d.as_bytes());
        eat(&[0]);
    }
    eat(&[submit.pk_total, submit.pk_number]);
    eat(&submit.msg_content);
    h
}

impl SimCore {
    /// A core for this profile (validated here).
    pub fn new(profile: &SimProfile) -> Result<Self, ProfileError> {
        let c = profile.compile()?;
        Ok(SimCore {
            rng: ChaCha8Rng::seed_from_u64(profile.seed),
            ids: MsgIdGen::new(profile.gateway_code),
            messages: 0,
            silent_until: None,
            flow_second: 0,
            flow_count: 0,
            smsc_sequence: 0,
            mo_reference: 0,
            restarts_done: vec![false; profile.faults.restarts.len()],
            stats: SimStats::default(),
            c,
        })
    }

    /// The profile in use.
    pub fn profile(&self) -> &SimProfile {
        &self.c.profile
    }

    /// Counters so far.
    pub fn stats(&self) -> &SimStats {
        &self.stats
    }

    /// Mutable counters (the delivery side records reports and MOs).
    pub fn stats_mut(&mut self) -> &mut SimStats {
        &mut self.stats
    }

    /// Decides how to answer `submit`, received `elapsed` after start at Beijing time `wall`.
    pub fn on_submit(
        &mut self,
        elapsed: Duration,
        wall: DateTime<FixedOffset>,
        submit: &Submit,
    ) -> Decision {
        self.messages += 1;
        self.stats.submits += 1;
        let k = self.messages;
        let none = |answer| Decision {
            answer,
            reports: Vec::new(),
        };
        let faults = &self.c.profile.faults;
        if let Some(i) = faults
            .restarts
            .iter()
            .enumerate()
            .position(|(i, r)| !self.restarts_done[i] && r.after_messages == Some(k))
        {
            let lose_reports = faults.restarts[i].lose_pending_reports;
            self.restarts_done[i] = true;
            self.restart_state();
            return none(Answer::Restart { lose_reports });
        }
        if faults.drop_link_every > 0 && k % faults.drop_link_every == 0 {
            self.stats.links_dropped += 1;
            return none(Answer::DropLink);
        }
        if let Some(s) = faults.silences.iter().find(|s| s.from_message == k) {
            self.silent_until = Some(elapsed + Duration::from_millis(s.duration_ms));
        }
        if let Some(until) = self.silent_until {
            if elapsed < until {
                self.stats.ignored += 1;
                return none(Answer::Ignore);
            }
            self.silent_until = None;
        }
        let n = submit.dest_terminal_ids.len().clamp(1, 99) as u16;
        let late = faults
            .late
            .as_ref()
            .filter(|l| k % l.every == 0)
            .map_or(Duration::ZERO, |l| Duration::from_millis(l.delay_ms));
        if self.c.profile.seed_per_message {
            // Each message draws from its own stream, keyed by what it is: the same traffic
            // gets the same fates whatever order it arrives in (reproducible demos).
            self.rng = ChaCha8Rng::seed_from_u64(self.c.profile.seed ^ message_key(submit));
        }
        let result = if self.over_flow_limit(elapsed, u64::from(n)) {
            8
        } else {
            self.c.results.sample(&mut self.rng)
        };
        let msg_id = self.ids.next(wall, n);
        *self.stats.by_result.entry(result).or_default() += 1;
        let mut reports = Vec::new();
        if result == 0 {
            self.stats.accepted += 1;
            if submit.registered_delivery == 1 {
                reports.reserve(usize::from(n));
                for (i, dest) in submit.dest_terminal_ids.iter().enumerate() {
                    reports.push(self.plan_report(wall, submit, msg_id.nth(i as u16), *dest));
                }
                self.stats.reports_scheduled += reports.len() as u64;
            }
        }
        Decision {
            answer: Answer::Respond {
                msg_id,
                result,
                delay: late,
            },
            reports,
        }
    }

    /// True when this submit of `n` messages exceeds the per-second limit.
    fn over_flow_limit(&mut self, elapsed: Duration, n: u64) -> bool {
        let limit = self.c.profile.flow_control.max_per_second;
        if limit == 0 {
            return false;
        }
        let sec = elapsed.as_secs();
        if sec != self.flow_second {
            self.flow_second = sec;
            self.flow_count = 0;
        }
        // Rejected submits count too: a gateway meters what arrives, not what it accepts.
        self.flow_count += n;
        self.flow_count > limit
    }

    fn plan_report(
        &mut self,
        wall: DateTime<FixedOffset>,
        submit: &Submit,
        msg_id: MsgId,
        dest: OctetString<32>,
    ) -> PlannedReport {
        let stat = self.c.stats.sample(&mut self.rng);
        let delay = self.c.delay.sample(&mut self.rng);
        self.smsc_sequence = self.smsc_sequence.wrapping_add(1);
        let done = wall + TimeDelta::from_std(delay).unwrap_or_default();
        let report = StatusReport {
            msg_id,
            stat,
            submit_time: ymdhm(wall),
            done_time: ymdhm(done),
            dest_terminal_id: dest,
            smsc_sequence: self.smsc_sequence,
        };
        let deliver = Deliver {
            msg_id: self.ids.next(wall, 1),
            dest_id: submit.src_id,
            service_id: submit.service_id,
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: MsgFmt::Ascii,
            src_terminal_id: dest,
            src_terminal_type: 0,
            content: DeliverContent::Report(report),
            link_id: OctetString::EMPTY,
        };
        PlannedReport { delay, deliver }
    }

    /// Checks time-based restarts: `Some(lose_reports)` when one is due now (it is then
    /// marked done).
    pub fn poll_restart(&mut self, elapsed: Duration) -> Option<bool> {
        let due = self
            .c
            .profile
            .faults
            .restarts
            .iter()
            .enumerate()
            .position(|(i, r)| {
                !self.restarts_done[i]
                    && r.at_ms
                        .is_some_and(|ms| elapsed >= Duration::from_millis(ms))
            });
        match due {
            Some(i) => {
                self.restarts_done[i] = true;
                self.restart_state();
                Some(self.c.profile.faults.restarts[i].lose_pending_reports)
            }
            None => None,
        }
    }

    /// The next time-based restart, as elapsed time from start.
    pub fn next_restart_at(&self) -> Option<Duration> {
        self.c
            .profile
            .faults
            .restarts
            .iter()
            .zip(&self.restarts_done)
            .filter(|(_, done)| !**done)
            .filter_map(|(r, _)| r.at_ms.map(Duration::from_millis))
            .min()
    }

    fn restart_state(&mut self) {
        self.stats.restarts += 1;
        self.silent_until = None;
        self.flow_count = 0;
    }

    /// Interval between MO messages, when MO traffic is on.
    pub fn mo_interval(&self) -> Option<Duration> {
        match self.c.profile.mo.interval_ms {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Builds the next MO message: one DELIVER per segment (long texts carry a UDH).
    pub fn next_mo(&mut self, wall: DateTime<FixedOffset>) -> Vec<Deliver> {
        let mo = &self.c.profile.mo;
        let text = &mo.texts[self
            .c
            .mo_texts
            .sample(&mut self.rng)
            .min(mo.texts.len() - 1)];
        let sender = &mo.senders[self.rng.gen_range(0..mo.senders.len())];
        self.mo_reference = self.mo_reference.wrapping_add(1);
        // The profile bounded text length and 8-bit references fit; a failure leaves no MO.
        let segments = split_text(
            &text.text,
            TextEncoding::Auto,
            UdhRef::Bits8,
            u16::from(self.mo_reference),
        )
        .unwrap_or_default();
        let dest_id = OctetString::new(mo.dest_id.as_bytes()).unwrap_or(OctetString::EMPTY);
        let service_id = OctetString::new(mo.service_id.as_bytes()).unwrap_or(OctetString::EMPTY);
        let src = OctetString::new(sender.as_bytes()).unwrap_or(OctetString::EMPTY);
        let out: Vec<Deliver> = segments
            .into_iter()
            .map(|seg| Deliver {
                msg_id: self.ids.next(wall, 1),
                dest_id,
                service_id,
                tp_pid: 0,
                tp_udhi: seg.tp_udhi_byte(),
                msg_fmt: seg.msg_fmt,
                src_terminal_id: src,
                src_terminal_type: 0,
                content: DeliverContent::Message(Bytes::from(seg.content)),
                link_id: OctetString::EMPTY,
            })
            .collect();
        out
    }
}

fn ymdhm(t: DateTime<FixedOffset>) -> OctetString<10> {
    // Ten ASCII digits always fit.
    OctetString::new(yymmddhhmm(t).as_bytes()).unwrap_or(OctetString::EMPTY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::beijing;
    use crate::profile::{Late, Restart, ResultWeight, Silence, StatWeight};
    use chrono::TimeZone;
    use cmpp_codec::text::{parse_concat, split_udh};
    use cmpp_codec::{Packet, Version};

    fn wall() -> DateTime<FixedOffset> {
        beijing().with_ymd_and_hms(2024, 10, 28, 23, 6, 47).unwrap()
    }

    fn submit(dests: &[&str], rd: u8) -> Submit {
        Submit {
            registered_delivery: rd,
            src_id: OctetString::new(b"1064899").unwrap(),
            dest_terminal_ids: dests
                .iter()
                .map(|d| OctetString::new(d.as_bytes()).unwrap())
                .collect(),
            msg_content: Bytes::from_static(b"hi"),
            ..Submit::default()
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn defaults_accept_and_report_delivrd_soon() {
        let mut core = SimCore::new(&SimProfile::default()).unwrap();
        let d = core.on_submit(ms(0), wall(), &submit(&["13800138000"], 1));
        let Answer::Respond {
            msg_id,
            result,
            delay,
        } = d.answer
        else {
            panic!("expected a response, got {:?}", d.answer)
        };
        assert_eq!((result, delay), (0, Duration::ZERO));
        assert_eq!(msg_id.gateway(), 10_001);
        assert_eq!(msg_id.hour(), 23);
        assert_eq!(d.reports.len(), 1);
        let r = &d.reports[0];
        assert!(r.delay >= ms(50) && r.delay <= ms(500), "{:?}", r.delay);
        let rep = r.deliver.report().unwrap();
        assert_eq!(rep.msg_id, msg_id);
        assert_eq!(rep.stat, cmpp_codec::Stat::DELIVRD);
        assert_eq!(rep.submit_time.as_bytes(), b"2410282306");
        assert_eq!(rep.dest_terminal_id.as_bytes(), b"13800138000");
        assert_eq!(r.deliver.dest_id.as_bytes(), b"1064899");
        assert_ne!(r.deliver.msg_id, msg_id, "the DELIVER has its own id");
        // No report wanted, none planned.
        let d = core.on_submit(ms(1), wall(), &submit(&["13800138000"], 0));
        assert!(d.reports.is_empty());
        assert_eq!(core.stats().accepted, 2);
        assert_eq!(core.stats().reports_scheduled, 1);
    }

    #[test]
    fn report_lengths_follow_the_version() {
        let mut core = SimCore::new(&SimProfile::default()).unwrap();
        let d = core.on_submit(ms(0), wall(), &submit(&["13800138000"], 1));
        let deliver = d.reports[0].deliver.clone();
        for (v, report_len, fixed) in [
            (Version::V20, 60, 12 + 65 + 8),
            (Version::V30, 71, 12 + 77 + 20),
        ] {
            let bytes = Packet::new(1, deliver.clone()).to_bytes(v).unwrap();
            assert_eq!(bytes.len(), fixed + report_len, "{v}");
            let len_at = fixed - v.link_id_width() - 1;
            assert_eq!(usize::from(bytes[len_at]), report_len, "Msg_Length at {v}");
        }
    }

    #[test]
    fn group_send_reports_each_destination() {
        let mut core = SimCore::new(&SimProfile::default()).unwrap();
        let dests = ["13800000001", "13800000002", "13800000003"];
        let d = core.on_submit(ms(0), wall(), &submit(&dests, 1));
        let Answer::Respond { msg_id, .. } = d.answer else {
            panic!()
        };
        let got: Vec<(MsgId, Vec<u8>)> = d
            .reports
            .iter()
            .map(|r| {
                let rep = r.deliver.report().unwrap();
                (rep.msg_id, rep.dest_terminal_id.as_bytes().to_vec())
            })
            .collect();
        let want: Vec<(MsgId, Vec<u8>)> = msg_id
            .group_ids(3)
            .zip(dests)
            .map(|(m, d)| (m, d.as_bytes().to_vec()))
            .collect();
        assert_eq!(got, want);
        // The next submit's id does not overlap the range.
        let d2 = core.on_submit(ms(0), wall(), &submit(&dests[..1], 1));
        let Answer::Respond { msg_id: m2, .. } = d2.answer else {
            panic!()
        };
        assert!(!msg_id.group_ids(3).any(|m| m == m2));
        assert_ne!(d2.reports[0].deliver.msg_id, m2);
    }

    fn mixed_profile(seed: u64) -> SimProfile {
        let mut p = SimProfile {
            seed,
            ..SimProfile::default()
        };
        p.submit.results = vec![
            ResultWeight {
                code: 0,
                weight: 90.0,
            },
            ResultWeight {
                code: 13,
                weight: 10.0,
            },
        ];
        p.report.stats = vec![
            StatWeight {
                stat: "DELIVRD".into(),
                weight: 80.0,
            },
            StatWeight {
                stat: "MK:0024".into(),
                weight: 20.0,
            },
        ];
        p
    }

    fn run(p: &SimProfile, n: u64) -> Vec<Decision> {
        let mut core = SimCore::new(p).unwrap();
        (0..n)
            .map(|i| core.on_submit(ms(i), wall(), &submit(&["13800138000"], 1)))
            .collect()
    }

    #[test]
    fn same_seed_same_decisions() {
        let a = run(&mixed_profile(42), 500);
        let b = run(&mixed_profile(42), 500);
        assert_eq!(a, b);
        let c = run(&mixed_profile(43), 500);
        assert_ne!(a, c, "another seed gives other decisions");
        let failures = a
            .iter()
            .filter(|d| matches!(d.answer, Answer::Respond { result: 13, .. }))
            .count();
        assert!((20..90).contains(&failures), "{failures}");
        assert!(a
            .iter()
            .flat_map(|d| &d.reports)
            .any(|r| r.deliver.report().unwrap().stat.text() == "MK:0024"));
    }

    #[test]
    fn seed_per_message_gives_each_message_its_fate_in_any_order() {
        let mut p = mixed_profile(7);
        p.seed_per_message = true;
        let dests: Vec<String> = (0..300).map(|i| format!("1380000{i:04}")).collect();
        // (destination, result, report stats and delays) per message.
        type Fate = (String, u32, Vec<(String, Duration)>);
        let fates = |order: &mut dyn Iterator<Item = &String>| {
            let mut core = SimCore::new(&p).unwrap();
            let mut out: Vec<Fate> = order
                .map(|d| {
                    let dec = core.on_submit(ms(0), wall(), &submit(&[d.as_str()], 1));
                    let Answer::Respond { result, .. } = dec.answer else {
                        panic!("unexpected {:?}", dec.answer)
                    };
                    let reports = dec
                        .reports
                        .iter()
                        .map(|r| {
                            (
                                r.deliver.report().unwrap().stat.text().into_owned(),
                                r.delay,
                            )
                        })
                        .collect();
                    (d.clone(), result, reports)
                })
                .collect();
            out.sort();
            out
        };
        let forward = fates(&mut dests.iter());
        let backward = fates(&mut dests.iter().rev());
        assert_eq!(forward, backward);
        assert!(
            forward.iter().any(|f| f.1 != 0),
            "the mix still has failures"
        );
    }

    #[test]
    fn flow_control_answers_8_above_the_limit() {
        let mut p = SimProfile::default();
        p.flow_control.max_per_second = 10;
        let mut core = SimCore::new(&p).unwrap();
        let results: Vec<u32> = (0..15)
            .map(|i| {
                match core
                    .on_submit(ms(i * 10), wall(), &submit(&["1"], 1))
                    .answer
                {
                    Answer::Respond { result, .. } => result,
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        assert_eq!(&results[..10], &[0; 10]);
        assert_eq!(&results[10..], &[8; 5]);
        // A new second resets the window; a group send counts per destination.
        let d = core.on_submit(ms(1000), wall(), &submit(&["1"; 10], 1));
        assert!(matches!(d.answer, Answer::Respond { result: 0, .. }));
        let d = core.on_submit(ms(1001), wall(), &submit(&["1"], 1));
        assert!(matches!(d.answer, Answer::Respond { result: 8, .. }));
        assert!(d.reports.is_empty(), "no report for a refused submit");
        assert_eq!(core.stats().by_result.get(&8), Some(&6));
    }

    #[test]
    fn fault_schedule() {
        let mut p = SimProfile::default();
        p.faults.drop_link_every = 4;
        p.faults.silences = vec![Silence {
            from_message: 6,
            duration_ms: 100,
        }];
        p.faults.late = Some(Late {
            every: 3,
            delay_ms: 2000,
        });
        p.faults.restarts = vec![Restart {
            after_messages: Some(10),
            ..Restart::default()
        }];
        let mut core = SimCore::new(&p).unwrap();
        let times = [0, 1, 2, 3, 4, 50, 60, 70, 200, 210, 220, 230];
        let kinds: Vec<String> = times
            .iter()
            .map(
                |&t| match core.on_submit(ms(t), wall(), &submit(&["1"], 0)).answer {
                    Answer::Respond { delay, .. } if delay > Duration::ZERO => "late".to_string(),
                    Answer::Respond { .. } => "ok".into(),
                    Answer::Ignore => "ignore".into(),
                    Answer::DropLink => "drop".into(),
                    Answer::Restart { .. } => "restart".into(),
                },
            )
            .collect();
        // 4, 8, 12 drop (checked before the other faults); 6 starts 100 ms of silence (7 is
        // ignored too); every 3rd is late; 10 restarts.
        assert_eq!(
            kinds,
            [
                "ok", "ok", "late", "drop", "ok", "ignore", "ignore", "drop", "late", "restart",
                "ok", "drop"
            ]
        );
        let s = core.stats();
        assert_eq!((s.links_dropped, s.ignored, s.restarts), (3, 2, 1));
    }

    #[test]
    fn timed_restart() {
        let mut p = SimProfile::default();
        p.faults.restarts = vec![Restart {
            at_ms: Some(5000),
            lose_pending_reports: true,
            ..Restart::default()
        }];
        let mut core = SimCore::new(&p).unwrap();
        assert_eq!(core.next_restart_at(), Some(ms(5000)));
        assert_eq!(core.poll_restart(ms(4999)), None);
        assert_eq!(core.poll_restart(ms(5000)), Some(true));
        assert_eq!(
            core.poll_restart(ms(9000)),
            None,
            "each restart happens once"
        );
        assert_eq!(core.next_restart_at(), None);
    }

    #[test]
    fn long_mo_is_split_with_udh() {
        let mut p = SimProfile::default();
        p.mo.interval_ms = 1000;
        let long = "您好，我想咨询一下本月套餐的具体资费情况，另外上个月的账单里有一笔增值业务费用我并没有订购过，请帮忙核实。".repeat(2);
        let long = long.as_str();
        p.mo.texts = vec![crate::profile::MoText {
            text: long.into(),
            weight: 1.0,
        }];
        let mut core = SimCore::new(&p).unwrap();
        let parts = core.next_mo(wall());
        assert!(parts.len() >= 2);
        let mut text = Vec::new();
        for (i, d) in parts.iter().enumerate() {
            assert_eq!(d.tp_udhi, 1);
            assert_eq!(d.msg_fmt, MsgFmt::Ucs2);
            let DeliverContent::Message(m) = &d.content else {
                panic!()
            };
            let ud = split_udh(m, true).unwrap();
            let c = parse_concat(ud.udh.unwrap()).unwrap().unwrap();
            assert_eq!(
                (usize::from(c.number), usize::from(c.total)),
                (i + 1, parts.len())
            );
            text.extend_from_slice(ud.payload);
            // Every segment encodes on both versions.
            Packet::new(1, d.clone()).to_bytes(Version::V20).unwrap();
        }
        assert_eq!(cmpp_codec::text::decode_ucs2(&text).unwrap(), long);
        // "TD" default fits one ASCII segment.
        let mut p = SimProfile::default();
        p.mo.interval_ms = 1000;
        let mut core = SimCore::new(&p).unwrap();
        let parts = core.next_mo(wall());
        assert_eq!(parts.len(), 1);
        assert_eq!(
            parts[0].content,
            DeliverContent::Message(Bytes::from_static(b"TD"))
        );
        assert_eq!(parts[0].src_terminal_id.as_bytes(), b"13800138000");
    }
}
