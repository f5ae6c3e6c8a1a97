//! The one place that speaks both vocabularies: CMPP session events in, protocol-neutral
//! journal events out.

use cmpp_codec::{CauseClass as CmppClass, MsgId, Stat, SubmitResult};
use cmpp_session::{LifecycleEvent, LifecycleKind};
use sms_records::{CauseClass, Event, EventKind, MessageInfo};

/// The protocol-neutral class of a CMPP cause class.
pub fn neutral_class(class: CmppClass) -> CauseClass {
    match class {
        CmppClass::Delivered => CauseClass::Delivered,
        CmppClass::Carrier => CauseClass::Carrier,
        CmppClass::User => CauseClass::User,
        CmppClass::Sp => CauseClass::Sp,
        // Unknown, and any class a later codec adds: counted against the carrier until mapped.
        _ => CauseClass::Unknown,
    }
}

/// What one SUBMIT stands for in the journal: one record per destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitMeta {
    /// Record ids, one per destination, in Dest_terminal_Id order.
    pub record_ids: Vec<String>,
    /// Addresses, category and segmentation of each record.
    pub infos: Vec<MessageInfo>,
}

impl SubmitMeta {
    /// Journal events for one lifecycle event of this SUBMIT.
    ///
    /// A group send (n destinations) answered with Msg_Id M gives record i the id
    /// M + i (spec §3.4, `MsgId::nth`). `Reported` lifecycle events give nothing here:
    /// reports are journaled from [`report_event`], which knows the destination index.
    pub fn events_for(&self, ev: &LifecycleEvent) -> Vec<Event> {
        let each = |kind: &dyn Fn(usize) -> EventKind| -> Vec<Event> {
            self.record_ids
                .iter()
                .enumerate()
                .map(|(i, id)| Event {
                    at: ev.at,
                    local_id: Some(id.clone()),
                    kind: kind(i),
                })
                .collect()
        };
        match &ev.kind {
            LifecycleKind::Submitted { .. } => each(&|i| EventKind::Submitted {
                info: self.infos[i].clone(),
            }),
            LifecycleKind::Resent { attempt, .. } => each(&|_| EventKind::Resent {
                attempt: (*attempt).max(2),
            }),
            LifecycleKind::Responded { msg_id, result } => each(&|i| EventKind::Responded {
                msg_id: Some(nth_id(*msg_id, i)),
                result: result.to_u32(),
                class: Some(neutral_class(result.cause_class())),
            }),
            LifecycleKind::Failed {
                reason,
                maybe_accepted,
            } => each(&|_| EventKind::Failed {
                reason: reason.clone(),
                class: failure_class(*maybe_accepted),
                maybe_accepted: *maybe_accepted,
            }),
            LifecycleKind::Reported { .. } => Vec::new(),
        }
    }
}

/// Msg_Id text of destination `i` of a SUBMIT answered with `first`.
pub fn nth_id(first: MsgId, i: usize) -> String {
    let i = u16::try_from(i).unwrap_or(u16::MAX);
    first.nth(i).to_digits()
}

/// The journal event for a status report.
pub fn report_event(
    at: chrono::DateTime<chrono::Utc>,
    record_id: Option<String>,
    msg_id: MsgId,
    stat: &Stat,
) -> Event {
    Event {
        at,
        local_id: record_id,
        kind: EventKind::Reported {
            msg_id: msg_id.to_digits(),
            stat: stat.text().trim_end().to_string(),
            class: Some(neutral_class(stat.cause_class())),
        },
    }
}

/// Cause class of a submit the session gave up on.
///
/// No response at all, or a lost link after the write, is not attributable from the data:
/// `unknown`, which the contract counts against the carrier. A definite failure without a
/// write (or flow control exhausted, result 8: the SP above its licensed rate) is the SP's,
/// as result 8 is in the code table.
fn failure_class(maybe_accepted: bool) -> CauseClass {
    if maybe_accepted {
        CauseClass::Unknown
    } else {
        CauseClass::Sp
    }
}

/// Whether a submit result means accepted.
pub fn accepted(result: SubmitResult) -> bool {
    result.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use sms_records::Category;

    fn meta(n: usize) -> SubmitMeta {
        SubmitMeta {
            record_ids: (0..n).map(|i| format!("g.{}.1", i + 1)).collect(),
            infos: (0..n)
                .map(|i| MessageInfo {
                    src: "121231100".into(),
                    dest: format!("1380013800{i}"),
                    category: Category::Notice,
                    segment: 1,
                    segments: 1,
                    group_id: Some("g".into()),
                })
                .collect(),
        }
    }

    fn ev(kind: LifecycleKind) -> LifecycleEvent {
        LifecycleEvent::new(
            Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
            Some("g.g.1".into()),
            7,
            kind,
        )
    }

    #[test]
    fn group_send_response_gives_each_record_its_msg_id() {
        let first = MsgId::from_parts(3, 1, 8, 0, 0, 1, 0xFFFE).unwrap();
        let events = meta(3).events_for(&ev(LifecycleKind::Responded {
            msg_id: first,
            result: SubmitResult::from_u32(0),
        }));
        let ids: Vec<_> = events
            .iter()
            .map(|e| match &e.kind {
                EventKind::Responded { msg_id, .. } => msg_id.clone().unwrap(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(ids[0], first.to_digits());
        assert_eq!(ids[1], first.nth(1).to_digits());
        // The 16-bit sequence wraps: 0xFFFE, 0xFFFF, 0x0000.
        assert_eq!(ids[2], first.nth(2).to_digits());
        assert_eq!(first.nth(2).sequence(), 0);
        assert_eq!(events[2].local_id.as_deref(), Some("g.3.1"));
    }

    #[test]
    fn failures_are_classified_by_what_may_have_happened() {
        let lost = meta(1).events_for(&ev(LifecycleKind::Failed {
            reason: "link lost before SUBMIT_RESP (maybe accepted: true)".into(),
            maybe_accepted: true,
        }));
        assert!(matches!(
            lost[0].kind,
            EventKind::Failed {
                class: CauseClass::Unknown,
                maybe_accepted: true,
                ..
            }
        ));
        let throttled = meta(1).events_for(&ev(LifecycleKind::Failed {
            reason: "flow control (result 8) after 3 transmissions; not accepted".into(),
            maybe_accepted: false,
        }));
        assert!(matches!(
            throttled[0].kind,
            EventKind::Failed {
                class: CauseClass::Sp,
                ..
            }
        ));
    }

    #[test]
    fn the_records_default_table_agrees_with_the_codec() {
        for result in 0..=40u32 {
            assert_eq!(
                neutral_class(SubmitResult::from_u32(result).cause_class()),
                sms_records::class_of_submit_result(result),
                "submit result {result}"
            );
        }
        let named = [
            "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD", "AF:4",
        ];
        let prefixes = [
            "MA", "MB", "MC", "MK", "MI", "MN", "CA", "CB", "DA", "DB", "SA", "SB", "IA", "IB",
            "IC", "ID", "XX",
        ];
        let codes = [
            "0000", "0001", "0007", "0024", "0053", "0100", "0102", "0103", "0141", "0142", "0143",
            "9999",
        ];
        let coded = prefixes
            .iter()
            .flat_map(|p| codes.iter().map(move |c| format!("{p}:{c}")));
        for text in named.iter().map(|s| s.to_string()).chain(coded) {
            let stat = Stat::from_text(&text).unwrap();
            assert_eq!(
                neutral_class(stat.cause_class()),
                sms_records::class_of_report_stat(&text),
                "Stat {text}"
            );
        }
    }

    #[test]
    fn report_keeps_the_raw_stat_and_its_class() {
        let stat = Stat::from_text("MK:0024").unwrap();
        let id = MsgId::from_u64(0xb2b9da8000010000);
        let e = report_event(Utc::now(), None, id, &stat);
        match e.kind {
            EventKind::Reported {
                msg_id,
                stat,
                class,
            } => {
                assert_eq!(msg_id, id.to_digits());
                assert_eq!(stat, "MK:0024");
                assert_eq!(class, Some(CauseClass::User));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
