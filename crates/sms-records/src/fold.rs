//! Folding the events of one message into its [`Record`].
//!
//! The fold is order-insensitive and idempotent: every slot of the [`Folder`]
//! keeps the "best" event by a total order that depends only on the event's
//! content, never on when it arrived, so any permutation and any duplication of
//! a message's events give the same record.

use crate::classify::{class_of_report_stat, class_of_submit_result};
use crate::event::{Event, EventKind, MessageInfo};
use crate::model::{Category, CauseClass, FinalState, Record};
use chrono::{DateTime, Duration, Utc};
use std::cmp::Ordering;

/// Accumulates the events of one message; [`Folder::finish`] gives its record.
///
/// Each slot keeps one event chosen by a content-only total order, which is
/// what makes the result independent of arrival order and of replays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folder {
    local_id: Option<String>,
    sending: Option<(DateTime<Utc>, MessageInfo)>,
    submitted: Option<(DateTime<Utc>, MessageInfo)>,
    max_attempt: u32,
    accepted: Option<Resp>,
    rejected: Option<Resp>,
    report: Option<Rep>,
    failed: Option<Fail>,
    refused: Option<Refusal>,
    expired: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Resp {
    at: DateTime<Utc>,
    result: u32,
    class: CauseClass,
    msg_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rep {
    at: DateTime<Utc>,
    msg_id: String,
    stat: String,
    class: CauseClass,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Fail {
    at: DateTime<Utc>,
    reason: String,
    class: CauseClass,
    maybe_accepted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    at: DateTime<Utc>,
    check: String,
    reason: String,
    info: MessageInfo,
}

/// A total order on message infos, used only to break ties between equal times.
fn info_cmp(a: &MessageInfo, b: &MessageInfo) -> Ordering {
    (
        &a.src,
        &a.dest,
        a.category,
        a.segment,
        a.segments,
        &a.group_id,
        a.carrier,
    )
        .cmp(&(
            &b.src,
            &b.dest,
            b.category,
            b.segment,
            b.segments,
            &b.group_id,
            b.carrier,
        ))
}

fn refusal_cmp(a: &Refusal, b: &Refusal) -> Ordering {
    (a.at, &a.check, &a.reason)
        .cmp(&(b.at, &b.check, &b.reason))
        .then_with(|| info_cmp(&a.info, &b.info))
}

/// Keeps the smaller of the slot and the candidate.
fn keep_min<T>(slot: &mut Option<T>, new: T, cmp: impl Fn(&T, &T) -> Ordering) {
    match slot {
        Some(old) if cmp(old, &new) != Ordering::Greater => {}
        _ => *slot = Some(new),
    }
}

impl Folder {
    /// An empty folder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event into account.
    pub fn push(&mut self, event: &Event) {
        if let Some(id) = &event.local_id {
            // All events of one message share the id; keep the least for determinism anyway.
            let smaller = match &self.local_id {
                Some(old) => id < old,
                None => true,
            };
            if smaller {
                self.local_id = Some(id.clone());
            }
        }
        self.push_kind(event.at, &event.kind);
    }

    /// Takes into account an event of the message, given by its time and kind.
    pub fn push_kind(&mut self, at: DateTime<Utc>, kind: &EventKind) {
        let by_time_then_info = |a: &(DateTime<Utc>, MessageInfo),
                                 b: &(DateTime<Utc>, MessageInfo)| {
            a.0.cmp(&b.0).then_with(|| info_cmp(&a.1, &b.1))
        };
        match kind {
            EventKind::Sending { info } => {
                keep_min(&mut self.sending, (at, info.clone()), by_time_then_info)
            }
            EventKind::Expired { reason } => {
                keep_min(&mut self.expired, (at, reason.clone()), Ord::cmp)
            }
            EventKind::Submitted { info } => {
                keep_min(&mut self.submitted, (at, info.clone()), by_time_then_info)
            }
            EventKind::Resent { attempt } => self.max_attempt = self.max_attempt.max(*attempt),
            EventKind::Responded {
                msg_id,
                result,
                class,
            } => {
                let resp = Resp {
                    at,
                    result: *result,
                    class: class.unwrap_or_else(|| class_of_submit_result(*result)),
                    msg_id: msg_id.clone(),
                };
                if *result == 0 {
                    keep_min(&mut self.accepted, resp, Ord::cmp);
                } else {
                    // The latest rejection wins: reversed order.
                    keep_min(&mut self.rejected, resp, |a, b| b.cmp(a));
                }
            }
            EventKind::Reported {
                msg_id,
                stat,
                class,
                origin: _,
            } => keep_min(
                &mut self.report,
                Rep {
                    at,
                    msg_id: msg_id.clone(),
                    stat: stat.clone(),
                    class: class.unwrap_or_else(|| class_of_report_stat(stat)),
                },
                Ord::cmp,
            ),
            EventKind::Failed {
                reason,
                class,
                maybe_accepted,
            } => keep_min(
                &mut self.failed,
                Fail {
                    at,
                    reason: reason.clone(),
                    class: *class,
                    maybe_accepted: *maybe_accepted,
                },
                Ord::cmp,
            ),
            EventKind::Refused {
                info,
                check,
                reason,
            } => keep_min(
                &mut self.refused,
                Refusal {
                    at,
                    check: check.clone(),
                    reason: reason.clone(),
                    info: info.clone(),
                },
                refusal_cmp,
            ),
        }
    }

    /// True when no event has been pushed that says anything about the message.
    pub fn is_empty(&self) -> bool {
        self.submitted.is_none()
            && self.sending.is_none()
            && self.expired.is_none()
            && self.max_attempt == 0
            && self.accepted.is_none()
            && self.rejected.is_none()
            && self.report.is_none()
            && self.failed.is_none()
            && self.refused.is_none()
    }

    /// The record these events describe.
    ///
    /// A refused message that was never submitted takes its addresses from the
    /// refusal and its `submitted_at` from the refusal time, so that it has a
    /// place in time (clause 2.9: refused messages are journaled, not lost).
    pub fn finish(&self) -> Record {
        let mut r = Record::new(self.local_id.clone().unwrap_or_default());
        let info = self
            .submitted
            .as_ref()
            .map(|(at, info)| (*at, info))
            .or_else(|| self.refused.as_ref().map(|f| (f.at, &f.info)));
        if let Some((at, info)) = info {
            r.submitted_at = Some(at);
            r.src.clone_from(&info.src);
            r.dest.clone_from(&info.dest);
            r.category = info.category;
            r.segment = info.segment;
            r.segments = info.segments;
            r.group_id.clone_from(&info.group_id);
            r.carrier = info.carrier;
        } else if let Some((_, info)) = &self.sending {
            // Journaled before the write, never known to be written: addresses, no time.
            r.src.clone_from(&info.src);
            r.dest.clone_from(&info.dest);
            r.category = info.category;
            r.segment = info.segment;
            r.segments = info.segments;
            r.group_id.clone_from(&info.group_id);
            r.carrier = info.carrier;
        } else {
            r.category = Category::Other;
        }
        r.resends = self.max_attempt.saturating_sub(1);
        let resp = self.accepted.as_ref().or(self.rejected.as_ref());
        if let Some(resp) = resp {
            r.responded_at = Some(resp.at);
            r.resp_result = Some(resp.result);
            r.resp_class = Some(resp.class);
            r.msg_id.clone_from(&resp.msg_id);
        }
        if let Some(rep) = &self.report {
            r.reported_at = Some(rep.at);
            r.report_stat = Some(rep.stat.clone());
            r.report_class = Some(rep.class);
            if r.msg_id.is_none() {
                r.msg_id = Some(rep.msg_id.clone());
            }
        }
        r.final_state = if self.refused.is_some() {
            FinalState::Refused
        } else if let Some(rep) = &self.report {
            if rep.class == CauseClass::Delivered {
                FinalState::Delivered
            } else {
                FinalState::Failed
            }
        } else if resp.is_some_and(|x| x.result != 0) {
            FinalState::Failed
        } else if let Some(f) = &self.failed {
            if f.maybe_accepted {
                FinalState::Unknown
            } else {
                FinalState::Failed
            }
        } else if self.expired.is_some() {
            FinalState::Expired
        } else {
            FinalState::Pending
        };
        r.detail = if let Some(f) = &self.refused {
            Some(format!("{}: {}", f.check, f.reason))
        } else {
            self.failed
                .as_ref()
                .map(|f| f.reason.clone())
                .or_else(|| self.expired.as_ref().map(|(_, reason)| reason.clone()))
        };
        r
    }
}

/// Folds the events of one message into its record (see [`Folder`]).
pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> Record {
    let mut folder = Folder::new();
    for e in events {
        folder.push(e);
    }
    folder.finish()
}

impl Record {
    /// Settles a record that is still pending once the report deadline has passed.
    ///
    /// A pending record whose submit is older than `report_deadline` at `now`
    /// becomes [`FinalState::Expired`] when the gateway accepted it (a zero
    /// response: clause 3.5's "no status report" case), and
    /// [`FinalState::Unknown`] when no submit response came at all: whether the
    /// gateway took it cannot be known, and the contract counts unknown outcomes
    /// against Party B. Any other record is left as it is.
    pub fn finalize(&mut self, now: DateTime<Utc>, report_deadline: Duration) {
        if self.final_state != FinalState::Pending {
            return;
        }
        let Some(sub) = self.submitted_at else {
            return;
        };
        if now - sub <= report_deadline {
            return;
        }
        self.final_state = match self.resp_result {
            Some(0) => FinalState::Expired,
            _ => FinalState::Unknown,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_772_323_200_000 + ms).unwrap()
    }

    fn info() -> MessageInfo {
        MessageInfo {
            src: "1065800".into(),
            dest: "13800138000".into(),
            category: Category::Notice,
            segment: 1,
            segments: 1,
            group_id: None,
            carrier: crate::Carrier::ChinaMobile,
        }
    }

    fn ev(ms: i64, kind: EventKind) -> Event {
        Event {
            at: t(ms),
            local_id: Some("L1".into()),
            kind,
        }
    }

    fn resp(ms: i64, result: u32, id: &str) -> Event {
        ev(
            ms,
            EventKind::Responded {
                msg_id: Some(id.into()),
                result,
                class: None,
            },
        )
    }

    fn report(ms: i64, stat: &str) -> Event {
        ev(
            ms,
            EventKind::Reported {
                msg_id: "M1".into(),
                stat: stat.into(),
                class: None,
                origin: None,
            },
        )
    }

    #[test]
    fn a_sending_intent_alone_is_pending_with_addresses_and_no_submit_time() {
        let r = fold(&[ev(0, EventKind::Sending { info: info() })]);
        assert_eq!(r.final_state, FinalState::Pending);
        assert_eq!(r.dest, "13800138000");
        assert_eq!(r.category, Category::Notice);
        assert_eq!(r.submitted_at, None, "never known to be written");
        // The write that follows gives the submit time.
        let r = fold(&[
            ev(0, EventKind::Sending { info: info() }),
            ev(3, EventKind::Submitted { info: info() }),
            resp(9, 0, "M1"),
        ]);
        assert_eq!(r.submitted_at, Some(t(3)));
        assert_eq!(r.msg_id.as_deref(), Some("M1"));
        assert_eq!(r.final_state, FinalState::Pending);
    }

    #[test]
    fn an_expiry_closes_an_accepted_record_but_a_report_still_wins() {
        let expired = ev(
            9_000,
            EventKind::Expired {
                reason: "no report within 72 h".into(),
            },
        );
        let base = [
            ev(0, EventKind::Submitted { info: info() }),
            resp(1, 0, "M1"),
        ];
        let r = fold(base.iter().chain([&expired]));
        assert_eq!(r.final_state, FinalState::Expired);
        assert_eq!(r.detail.as_deref(), Some("no report within 72 h"));
        let late = report(10_000, "DELIVRD");
        let r = fold(base.iter().chain([&expired, &late]));
        assert_eq!(r.final_state, FinalState::Delivered);
    }

    #[test]
    fn a_report_origin_round_trips_and_older_reports_read_without_it() {
        let kind = EventKind::Reported {
            msg_id: "M1".into(),
            stat: "DELIVRD".into(),
            class: None,
            origin: Some(crate::event::ReportOrigin {
                dest: "13800138000".into(),
                src: None,
                submitted_at: Some(t(60_000)),
            }),
        };
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), kind);
        let old = r#"{"event":"reported","msg_id":"M1","stat":"DELIVRD","class":null}"#;
        match serde_json::from_str::<EventKind>(old).unwrap() {
            EventKind::Reported { origin, .. } => assert_eq!(origin, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_record_takes_the_carrier_of_the_event_that_starts_it() {
        let unicom = info().with_carrier(crate::Carrier::ChinaUnicom);
        let r = fold(&[
            ev(
                0,
                EventKind::Sending {
                    info: unicom.clone(),
                },
            ),
            resp(9, 0, "M1"),
        ]);
        assert_eq!(r.carrier, crate::Carrier::ChinaUnicom);
        let r = fold(&[ev(
            0,
            EventKind::Refused {
                info: unicom.clone().with_carrier(crate::Carrier::ChinaTelecom),
                check: "carrier".into(),
                reason: "no route".into(),
            },
        )]);
        assert_eq!(r.carrier, crate::Carrier::ChinaTelecom);
        // Without a starting event (a lone report): the default carrier.
        assert_eq!(
            fold(&[report(5, "DELIVRD")]).carrier,
            crate::Carrier::ChinaMobile
        );
        // Events written before events carried the carrier read as China Mobile's.
        let old = r#"{"event":"submitted","info":{"src":"1065800","dest":"13800138000","category":"notice","segment":1,"segments":1,"group_id":null}}"#;
        match serde_json::from_str::<EventKind>(old).unwrap() {
            EventKind::Submitted { info: i } => assert_eq!(i, info()),
            other => panic!("{other:?}"),
        }
        let json = serde_json::to_string(&EventKind::Sending {
            info: unicom.clone(),
        })
        .unwrap();
        assert!(json.contains(r#""carrier":"unicom""#), "{json}");
        assert_eq!(
            serde_json::from_str::<EventKind>(&json).unwrap(),
            EventKind::Sending { info: unicom }
        );
    }

    #[test]
    fn the_builder_gives_what_the_literal_gives() {
        let built = MessageInfo::new("1065800", "13800138000")
            .with_category(Category::Notice)
            .with_segment(2, 3)
            .with_group_id("G1")
            .with_carrier(crate::Carrier::ChinaTelecom);
        let mut literal = info();
        literal.segment = 2;
        literal.segments = 3;
        literal.group_id = Some("G1".into());
        literal.carrier = crate::Carrier::ChinaTelecom;
        assert_eq!(built, literal);
        assert_eq!(
            MessageInfo::new("1", "2").carrier,
            crate::Carrier::ChinaMobile
        );
    }

    #[test]
    fn delivered_lifecycle() {
        let evs = [
            ev(0, EventKind::Submitted { info: info() }),
            ev(5000, EventKind::Resent { attempt: 2 }),
            ev(9000, EventKind::Resent { attempt: 3 }),
            resp(9100, 0, "M1"),
            report(12000, "DELIVRD"),
        ];
        let r = fold(&evs);
        assert_eq!(r.local_id, "L1");
        assert_eq!(r.submitted_at, Some(t(0)));
        assert_eq!(r.dest, "13800138000");
        assert_eq!(r.category, Category::Notice);
        assert_eq!(r.resends, 2);
        assert_eq!(r.msg_id.as_deref(), Some("M1"));
        assert_eq!(r.resp_class, Some(CauseClass::Delivered));
        assert_eq!(r.report_class, Some(CauseClass::Delivered));
        assert_eq!(r.final_state, FinalState::Delivered);
        assert_eq!(r.report_latency(), Some(Duration::milliseconds(12000)));
    }

    #[test]
    fn accepted_response_beats_rejections_and_latest_rejection_wins() {
        let r = fold(&[resp(10, 8, "A"), resp(30, 0, "B"), resp(20, 0, "C")]);
        assert_eq!(r.resp_result, Some(0));
        assert_eq!(r.msg_id.as_deref(), Some("C"));
        assert_eq!(r.final_state, FinalState::Pending);
        let r = fold(&[resp(10, 8, "A"), resp(30, 9, "B")]);
        assert_eq!(r.resp_result, Some(9));
        assert_eq!(r.resp_class, Some(CauseClass::Carrier));
        assert_eq!(r.final_state, FinalState::Failed);
    }

    #[test]
    fn precedence_of_final_states() {
        let failed = |m| {
            ev(
                50,
                EventKind::Failed {
                    reason: "link lost".into(),
                    class: CauseClass::Unknown,
                    maybe_accepted: m,
                },
            )
        };
        assert_eq!(fold(&[failed(true)]).final_state, FinalState::Unknown);
        let r = fold(&[failed(false)]);
        assert_eq!(r.final_state, FinalState::Failed);
        assert_eq!(r.detail.as_deref(), Some("link lost"));
        // A report outranks a local failure; a failure report gives Failed.
        let r = fold(&[failed(true), report(90, "UNDELIV")]);
        assert_eq!(r.final_state, FinalState::Failed);
        assert_eq!(r.report_class, Some(CauseClass::User));
        assert_eq!(
            r.msg_id.as_deref(),
            Some("M1"),
            "msg_id learned from the report"
        );
        let refused = ev(
            1,
            EventKind::Refused {
                info: info(),
                check: "opt_in".into(),
                reason: "not subscribed".into(),
            },
        );
        let r = fold(&[report(90, "DELIVRD"), refused]);
        assert_eq!(r.final_state, FinalState::Refused);
        assert_eq!(r.detail.as_deref(), Some("opt_in: not subscribed"));
        assert_eq!(r.dest, "13800138000");
        assert_eq!(r.submitted_at, Some(t(1)));
    }

    #[test]
    fn finalize_after_deadline() {
        let mut r = fold(&[
            ev(0, EventKind::Submitted { info: info() }),
            resp(10, 0, "M"),
        ]);
        r.finalize(t(1000), Duration::seconds(10));
        assert_eq!(r.final_state, FinalState::Pending, "deadline not reached");
        r.finalize(t(11_000), Duration::seconds(10));
        assert_eq!(r.final_state, FinalState::Expired);
        let mut r = fold(&[ev(0, EventKind::Submitted { info: info() })]);
        r.finalize(t(11_000), Duration::seconds(10));
        assert_eq!(r.final_state, FinalState::Unknown);
        let mut r = fold(&[resp(10, 8, "M")]);
        r.finalize(t(11_000), Duration::seconds(10));
        assert_eq!(r.final_state, FinalState::Failed, "final records stay");
    }

    fn arb_event() -> impl Strategy<Value = Event> {
        let at = 0i64..40;
        prop_oneof![
            (at.clone(), 0u8..3, 0usize..3).prop_map(|(ms, g, c)| {
                let mut i = info().with_carrier(crate::Carrier::ALL[c]);
                i.group_id = (g > 0).then(|| format!("g{g}"));
                ev(ms, EventKind::Submitted { info: i })
            }),
            (at.clone(), 2u32..5).prop_map(|(ms, a)| ev(ms, EventKind::Resent { attempt: a })),
            (at.clone(), 0u8..3, 0usize..3).prop_map(|(ms, g, c)| {
                let mut i = info().with_carrier(crate::Carrier::ALL[c]);
                i.group_id = (g > 0).then(|| format!("g{g}"));
                ev(ms, EventKind::Sending { info: i })
            }),
            (at.clone(), 0u8..2).prop_map(|(ms, r)| ev(
                ms,
                EventKind::Expired {
                    reason: format!("deadline {r}")
                }
            )),
            (
                at.clone(),
                prop::sample::select(vec![0u32, 0, 8, 9, 4]),
                0u8..3,
                any::<bool>()
            )
                .prop_map(|(ms, r, id, c)| ev(
                    ms,
                    EventKind::Responded {
                        msg_id: (id > 0).then(|| format!("M{id}")),
                        result: r,
                        class: c.then_some(CauseClass::Unknown),
                    }
                )),
            (
                at.clone(),
                prop::sample::select(vec!["DELIVRD", "UNDELIV", "MK:0001"]),
                0u8..2
            )
                .prop_map(|(ms, s, id)| ev(
                    ms,
                    EventKind::Reported {
                        msg_id: format!("R{id}"),
                        stat: s.into(),
                        class: None,
                        origin: None
                    }
                )),
            (at.clone(), any::<bool>(), 0u8..2).prop_map(|(ms, m, r)| ev(
                ms,
                EventKind::Failed {
                    reason: format!("r{r}"),
                    class: CauseClass::Carrier,
                    maybe_accepted: m,
                }
            )),
            (at, 0u8..2).prop_map(|(ms, c)| ev(
                ms,
                EventKind::Refused {
                    info: info(),
                    check: format!("c{c}"),
                    reason: "no".into(),
                }
            )),
        ]
    }

    proptest! {
        #[test]
        fn order_and_duplicates_do_not_matter(
            events in prop::collection::vec(arb_event(), 1..12),
            seed in any::<u64>(),
            dups in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let expected = fold(&events);
            let mut shuffled = events.clone();
            for d in &dups {
                shuffled.push(events[d.index(events.len())].clone());
            }
            // Deterministic shuffle from the seed (Fisher–Yates with an LCG).
            let mut s = seed | 1;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            prop_assert_eq!(fold(&shuffled), expected);
        }
    }
}
