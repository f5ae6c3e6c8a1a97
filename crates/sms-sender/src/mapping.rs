//! The one place that speaks both vocabularies: CMPP session events in, protocol-neutral
//! journal events out.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use cmpp_codec::text::Content;
use cmpp_codec::{CauseClass as CmppClass, MsgId, Stat, SubmitResult};

use crate::link::Lifecycle;
use sms_records::{CauseClass, Event, EventKind, InboundMessage, MessageInfo, ReportOrigin};

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

/// The protocol-neutral class of an SGIP cause class.
pub fn sgip_class(class: sgip_codec::CauseClass) -> CauseClass {
    use sgip_codec::CauseClass as C;
    match class {
        C::Delivered => CauseClass::Delivered,
        C::Carrier => CauseClass::Carrier,
        C::User => CauseClass::User,
        C::Sp => CauseClass::Sp,
        _ => CauseClass::Unknown,
    }
}

/// The protocol-neutral class of an SMGP cause class.
pub fn smgp_class(class: smgp_codec::CauseClass) -> CauseClass {
    use smgp_codec::CauseClass as C;
    match class {
        C::Delivered => CauseClass::Delivered,
        C::Carrier => CauseClass::Carrier,
        C::User => CauseClass::User,
        C::Sp => CauseClass::Sp,
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
    /// Journal events for one lifecycle event of this SUBMIT, at `at`.
    ///
    /// A CMPP group send (n destinations) answered with Msg_Id M gives record i the id
    /// M + i (spec §3.4, `MsgId::nth`); the other protocols give every record the one id.
    /// Reports are journaled from [`report_event`], which knows the destination index.
    pub fn events_for(&self, at: DateTime<Utc>, kind: &Lifecycle) -> Vec<Event> {
        let each = |kind: &dyn Fn(usize) -> EventKind| -> Vec<Event> {
            self.record_ids
                .iter()
                .enumerate()
                .map(|(i, id)| Event {
                    at,
                    local_id: Some(id.clone()),
                    kind: kind(i),
                })
                .collect()
        };
        match kind {
            Lifecycle::Submitted => each(&|i| EventKind::Submitted {
                info: self.infos[i].clone(),
            }),
            Lifecycle::Resent { attempt } => each(&|_| EventKind::Resent {
                attempt: (*attempt).max(2),
            }),
            Lifecycle::Responded { ids, result, class } => each(&|i| EventKind::Responded {
                msg_id: Some(ids.nth(i)),
                result: *result,
                class: Some(*class),
            }),
            Lifecycle::Failed {
                reason,
                maybe_accepted,
            } => each(&|_| EventKind::Failed {
                reason: reason.clone(),
                class: failure_class(*maybe_accepted),
                maybe_accepted: *maybe_accepted,
            }),
        }
    }
}

/// Msg_Id text of destination `i` of a SUBMIT answered with `first`.
pub fn nth_id(first: MsgId, i: usize) -> String {
    let i = u16::try_from(i).unwrap_or(u16::MAX);
    first.nth(i).to_digits()
}

/// The journal event for a status report; `origin` is what the report says about its
/// message (kept so that a report whose response was lost can be matched later).
pub fn report_event(
    at: chrono::DateTime<chrono::Utc>,
    record_id: Option<String>,
    msg_id: &str,
    stat: &str,
    class: CauseClass,
    origin: Option<ReportOrigin>,
) -> Event {
    Event {
        at,
        local_id: record_id,
        kind: EventKind::Reported {
            msg_id: msg_id.to_string(),
            stat: stat.trim_end().to_string(),
            class: Some(class),
            origin,
        },
    }
}

/// The journal event for a CMPP status report.
pub fn cmpp_report_event(
    at: chrono::DateTime<chrono::Utc>,
    record_id: Option<String>,
    msg_id: MsgId,
    stat: &Stat,
    origin: Option<ReportOrigin>,
) -> Event {
    report_event(
        at,
        record_id,
        &msg_id.to_digits(),
        &stat.text(),
        neutral_class(stat.cause_class()),
        origin,
    )
}

/// What the session tells of an MO message, as [`inbound_message`] needs it.
#[derive(Debug, Clone, Copy)]
pub struct MoFields<'a> {
    /// The gateway's id of the message (`None` for a long message given up incomplete).
    pub msg_id: Option<&'a str>,
    /// When it was handed over.
    pub received_at: DateTime<Utc>,
    /// The user's number (Src_terminal_Id).
    pub from: &'a str,
    /// The SP's number (Dest_Id).
    pub to: &'a str,
    /// Service_Id.
    pub service_id: &'a str,
    /// LinkID.
    pub link_id: &'a str,
    /// The data coding (Msg_Fmt values).
    pub coding: u8,
    /// The content.
    pub content: &'a Content,
}

/// The journal's record of an MO message, deduplicated on its key.
///
/// The key is the gateway's Msg_Id (`mo:` and its 22 digits), which a DELIVER sent again
/// after a crash repeats, so the MO is stored once while two messages with the same text stay
/// two. A long message given up incomplete has no Msg_Id: its key is `mo:`, the Beijing date
/// received and a hash of the addresses, service, LinkID, format and content.
pub fn inbound_message(mo: &MoFields<'_>) -> InboundMessage {
    let MoFields {
        msg_id,
        received_at,
        from,
        to,
        service_id,
        link_id,
        coding,
        content,
    } = *mo;
    let (raw, text): (Vec<u8>, Option<String>) = match content {
        Content::Text(t) => (t.as_bytes().to_vec(), Some(t.clone())),
        Content::Binary(b) => (b.clone(), None),
    };
    let key = match msg_id {
        Some(id) => format!("mo:{id}"),
        None => hashed_key(received_at, from, to, service_id, link_id, coding, &raw),
    };
    InboundMessage::new(received_at, key, from, to)
        .with_service_id(service_id)
        .with_content(&raw, text)
}

/// The key of an MO without a Msg_Id: what a re-sent DELIVER would repeat, hashed.
fn hashed_key(
    received_at: DateTime<Utc>,
    from: &str,
    to: &str,
    service_id: &str,
    link_id: &str,
    coding: u8,
    raw: &[u8],
) -> String {
    let day = sms_records::to_beijing(received_at).format("%Y%m%d");
    let mut h = Fnv::default();
    for part in [
        from.as_bytes(),
        to.as_bytes(),
        service_id.as_bytes(),
        link_id.as_bytes(),
    ] {
        h.write(part);
        h.write(&[0xff]);
    }
    h.write(&[coding]);
    h.write(raw);
    format!("mo:{day}:{:016x}", h.0)
}

/// FNV-1a, 64 bits: a hash that stays the same across builds and platforms.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// What a status report says about its message: the destination, and the Submit_time
/// (`YYMMDDHHMM`, Beijing time) when it is a valid time.
pub fn report_origin(dest: &str, src_id: &str, submit_time: &str) -> ReportOrigin {
    let src = src_id.trim_end_matches(['\0', ' ']);
    ReportOrigin {
        dest: dest.trim_end_matches(['\0', ' ']).to_string(),
        src: (!src.is_empty()).then(|| src.to_string()),
        submitted_at: beijing_minute(submit_time),
    }
}

/// A `YYMMDDHHMM` Beijing time (years 2000–2099), or `None` when it is not one.
pub fn beijing_minute(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim_end_matches(['\0', ' ']);
    if text.len() != 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |i: usize| text[i..i + 2].parse::<u32>().ok();
    sms_records::beijing()
        .with_ymd_and_hms(2000 + n(0)? as i32, n(2)?, n(4)?, n(6)?, n(8)?, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The time a Msg_Id carries (month, day, hour, minute, second of the gateway's clock,
/// Beijing time), placed in the year that puts it nearest to `near`.
pub fn msg_id_time(msg_id: MsgId, near: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let year = sms_records::to_beijing(near).year();
    [year - 1, year, year + 1]
        .into_iter()
        .filter_map(|y| {
            sms_records::beijing()
                .with_ymd_and_hms(
                    y,
                    u32::from(msg_id.month()),
                    u32::from(msg_id.day()),
                    u32::from(msg_id.hour()),
                    u32::from(msg_id.minute()),
                    u32::from(msg_id.second()),
                )
                .single()
                .map(|t| t.with_timezone(&Utc))
        })
        .min_by_key(|t| (*t - near).num_seconds().abs())
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
    use sms_records::Category;

    #[test]
    fn an_mo_is_keyed_on_its_msg_id_so_two_equal_texts_stay_two() {
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 1, 0, 0).unwrap();
        let content = Content::Text("TD".into());
        let mo = |msg_id: Option<MsgId>| {
            let digits = msg_id.map(|m| m.to_digits());
            inbound_message(&MoFields {
                msg_id: digits.as_deref(),
                received_at: at,
                from: "13800138000",
                to: "121231100",
                service_id: "12123",
                link_id: "",
                coding: u8::from(cmpp_codec::MsgFmt::Ascii),
                content: &content,
            })
        };
        let first = MsgId::from_parts(12, 4, 9, 0, 0, 1, 1).unwrap();
        let second = MsgId::from_parts(12, 4, 9, 0, 5, 1, 2).unwrap();
        // A re-sent DELIVER repeats its Msg_Id: one key, stored once.
        assert_eq!(mo(Some(first)).msg_id, mo(Some(first)).msg_id);
        assert_eq!(mo(Some(first)).msg_id, format!("mo:{}", first.to_digits()));
        // The same text sent again by the same user is another message.
        assert_ne!(mo(Some(first)).msg_id, mo(Some(second)).msg_id);
        // Without a Msg_Id (given up incomplete), the key is the day and a content hash.
        assert!(mo(None).msg_id.starts_with("mo:20261204:"));
    }

    #[test]
    fn report_times_are_read_as_beijing_time() {
        let t = |y, mo, d, h, mi, s| {
            sms_records::beijing()
                .with_ymd_and_hms(y, mo, d, h, mi, s)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(beijing_minute("2612041000"), Some(t(2026, 12, 4, 10, 0, 0)));
        for bad in ["", "26120410", "2613041000", "26120410xx", "2602301000"] {
            assert_eq!(beijing_minute(bad), None, "{bad}");
        }
        let o = report_origin("13800138000\0\0", "121231100\0", "2612041000");
        assert_eq!(o.dest, "13800138000");
        assert_eq!(o.src.as_deref(), Some("121231100"));
        assert_eq!(report_origin("13800138000", "", "2612041000").src, None);
        assert_eq!(o.submitted_at, Some(t(2026, 12, 4, 10, 0, 0)));
        // A Msg_Id of 31 Dec read early on 1 Jan belongs to the year before.
        let id = MsgId::from_parts(12, 31, 23, 59, 58, 1, 7).unwrap();
        assert_eq!(
            msg_id_time(id, t(2027, 1, 1, 0, 0, 5)),
            Some(t(2026, 12, 31, 23, 59, 58))
        );
    }

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
                    carrier: sms_records::Carrier::ChinaMobile,
                })
                .collect(),
        }
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn group_send_response_gives_each_record_its_msg_id() {
        let first = MsgId::from_parts(3, 1, 8, 0, 0, 1, 0xFFFE).unwrap();
        let events = meta(3).events_for(
            at(),
            &Lifecycle::Responded {
                ids: crate::link::GroupIds::Consecutive(first),
                result: 0,
                class: CauseClass::Delivered,
            },
        );
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
        let lost = meta(1).events_for(
            at(),
            &Lifecycle::Failed {
                reason: "link lost before SUBMIT_RESP (maybe accepted: true)".into(),
                maybe_accepted: true,
            },
        );
        assert!(matches!(
            lost[0].kind,
            EventKind::Failed {
                class: CauseClass::Unknown,
                maybe_accepted: true,
                ..
            }
        ));
        let throttled = meta(1).events_for(
            at(),
            &Lifecycle::Failed {
                reason: "flow control (result 8) after 3 transmissions; not accepted".into(),
                maybe_accepted: false,
            },
        );
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
        let e = cmpp_report_event(Utc::now(), None, id, &stat, None);
        match e.kind {
            EventKind::Reported {
                msg_id,
                stat,
                class,
                origin,
            } => {
                assert_eq!(origin, None);
                assert_eq!(msg_id, id.to_digits());
                assert_eq!(stat, "MK:0024");
                assert_eq!(class, Some(CauseClass::User));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
