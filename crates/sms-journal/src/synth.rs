//! Events implied by a record, for records imported from files.

use sms_records::{CauseClass, Event, EventKind, FinalState, MessageInfo, Record};

/// The lifecycle events a record stands for (submit, resends, response, report, outcome).
///
/// Folding them gives back the record for every state the fold produces
/// (`expired` comes from a deadline, not an event, and stays in `messages` only).
pub fn events_of_record(r: &Record) -> Vec<Event> {
    let id = Some(r.local_id.clone());
    let ev = |at, kind| Event {
        at,
        local_id: id.clone(),
        kind,
    };
    let info = MessageInfo {
        src: r.src.clone(),
        dest: r.dest.clone(),
        category: r.category,
        segment: r.segment,
        segments: r.segments,
        group_id: r.group_id.clone(),
        carrier: r.carrier,
    };
    let mut out = Vec::new();
    if r.final_state == FinalState::Refused {
        if let Some(at) = r.submitted_at {
            let detail = r.detail.clone().unwrap_or_default();
            let (check, reason) = match detail.split_once(": ") {
                Some((c, why)) => (c.to_string(), why.to_string()),
                None => ("imported".to_string(), detail),
            };
            out.push(ev(
                at,
                EventKind::Refused {
                    info,
                    check,
                    reason,
                },
            ));
        }
        return out;
    }
    if let Some(at) = r.submitted_at {
        out.push(ev(at, EventKind::Submitted { info }));
        if r.resends > 0 {
            out.push(ev(
                at,
                EventKind::Resent {
                    attempt: r.resends.saturating_add(1),
                },
            ));
        }
    }
    if let (Some(at), Some(result)) = (r.responded_at, r.resp_result) {
        out.push(ev(
            at,
            EventKind::Responded {
                msg_id: r.msg_id.clone(),
                result,
                class: r.resp_class,
            },
        ));
    }
    if let (Some(at), Some(stat)) = (r.reported_at, &r.report_stat) {
        out.push(ev(
            at,
            EventKind::Reported {
                msg_id: r.msg_id.clone().unwrap_or_default(),
                stat: stat.clone(),
                class: r.report_class,
                origin: None,
            },
        ));
    }
    let explained = r.report_stat.is_some() || r.resp_result.is_some_and(|x| x != 0);
    if !explained && matches!(r.final_state, FinalState::Failed | FinalState::Unknown) {
        let at = r.submitted_at.or(r.responded_at).or(r.reported_at);
        if let Some(at) = at {
            out.push(ev(
                at,
                EventKind::Failed {
                    reason: r
                        .detail
                        .clone()
                        .unwrap_or_else(|| "failed (imported)".into()),
                    class: CauseClass::Unknown,
                    maybe_accepted: r.final_state == FinalState::Unknown,
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn folding_the_synthesized_events_gives_the_record_back() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let mut r = Record::new("L1");
        r.dest = "138".into();
        r.src = "1065".into();
        r.submitted_at = Some(t);
        r.responded_at = Some(t + chrono::Duration::milliseconds(30));
        r.resp_result = Some(0);
        r.resp_class = Some(CauseClass::Delivered);
        r.msg_id = Some("M1".into());
        r.reported_at = Some(t + chrono::Duration::seconds(2));
        r.report_stat = Some("UNDELIV".into());
        r.report_class = Some(CauseClass::User);
        r.resends = 2;
        r.final_state = FinalState::Failed;
        assert_eq!(sms_records::fold(&events_of_record(&r)), r);

        let mut u = Record::new("L2");
        u.submitted_at = Some(t);
        u.final_state = FinalState::Unknown;
        u.detail = Some("link lost".into());
        assert_eq!(sms_records::fold(&events_of_record(&u)), u);

        let mut f = Record::new("L3");
        f.submitted_at = Some(t);
        f.dest = "139".into();
        f.final_state = FinalState::Refused;
        f.detail = Some("opt_in: not subscribed".into());
        assert_eq!(sms_records::fold(&events_of_record(&f)), f);
    }
}
