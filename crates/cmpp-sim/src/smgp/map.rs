//! The CMPP simulator's decisions in SMGP terms: one table from CMPP's SUBMIT_RESP Result and
//! report Stat to SMGP's Status, Stat and Err, and the conversions of the messages the
//! decisions are made on and produce.

use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use cmpp_codec::{MsgFmt, OctetString};
use smgp_codec::tlv::tag;
use smgp_codec::{MsgId, Stat, Status, StatusReport, Text};

/// CMPP SUBMIT_RESP Result → SMGP Submit_Resp Status, by meaning (§5.1 of the SMGP digest).
/// Result 8 (flow control) becomes Status 1 ("system busy"), the one code SMGP clients
/// retry later; a Result without an SMGP counterpart becomes vendor-defined 128.
pub const RESULT_TO_STATUS: [(u32, u32); 14] = [
    (0, 0),   // correct
    (1, 10),  // message structure error
    (2, 11),  // command word error → RequestID error
    (3, 12),  // duplicate sequence
    (4, 36),  // message length error → illegal MsgLength
    (5, 33),  // fee code error → illegal FeeCode
    (6, 36),  // exceeds maximum length → illegal MsgLength
    (7, 43),  // service code error → illegal ServiceId
    (8, 1),   // flow control → system busy (retry later)
    (9, 58),  // number not served → no matching route
    (10, 46), // Src_Id error → illegal SrcTermId
    (11, 49), // Msg_src error → illegal SP service code
    (12, 48), // Fee_terminal_Id error → illegal ChargeTermId
    (13, 47), // Dest_terminal_Id error → illegal DestTermId
];

/// Status for a vendor Result the table does not name.
pub const OTHER_STATUS: u32 = 128;

/// CMPP report Stat → SMGP Stat and Err (§5.2–5.3): the same seven standard words, with the
/// Err that keeps the neutral class (EXPIRED 001 user unreachable, UNDELIV 004 illegal user,
/// REJECTD 006 system error, DELETED/UNKNOWN 999). Other Stat texts (CMPP's `MK:0005` …)
/// travel as they are with Err 999, as SMGP gateways send `RT:0148`.
pub const STAT_TO_ERR: [(&str, &str); 7] = [
    ("DELIVRD", "000"),
    ("ACCEPTD", "000"),
    ("EXPIRED", "001"),
    ("UNDELIV", "004"),
    ("REJECTD", "006"),
    ("DELETED", "999"),
    ("UNKNOWN", "999"),
];

/// The SMGP Status for a CMPP Result.
pub fn status_of(result: u32) -> Status {
    Status(
        RESULT_TO_STATUS
            .iter()
            .find(|(r, _)| *r == result)
            .map_or(OTHER_STATUS, |(_, s)| *s),
    )
}

/// The SMGP (Stat, Err) for a CMPP Stat text.
pub fn stat_of(cmpp: &str) -> (Stat, Text<3>) {
    let err = STAT_TO_ERR
        .iter()
        .find(|(s, _)| *s == cmpp)
        .map_or("999", |(_, e)| *e);
    // A CMPP Stat is at most 7 bytes, so it fits.
    let stat = Text::new(cmpp.as_bytes()).unwrap_or(Text::EMPTY);
    (Stat(stat), Text::new(err.as_bytes()).unwrap_or(Text::EMPTY))
}

fn octets<const N: usize>(b: &[u8]) -> OctetString<N> {
    OctetString::new(b).unwrap_or(OctetString::EMPTY)
}

fn text<const N: usize>(b: &[u8]) -> Text<N> {
    // Cut to the field: the CMPP fields are at most as long as SMGP's or hold numbers that fit.
    Text::new(&b[..b.len().min(N)]).unwrap_or(Text::EMPTY)
}

/// The SMGP Submit as the CMPP core sees it: what its decisions read (recipients, report
/// wanted, segments, content, source and service).
pub fn to_cmpp_submit(s: &smgp_codec::Submit) -> cmpp_codec::Submit {
    cmpp_codec::Submit {
        pk_total: s.tlvs.pk_total().unwrap_or(1),
        pk_number: s.tlvs.pk_number().unwrap_or(1),
        registered_delivery: s.need_report,
        service_id: octets(s.service_id.as_bytes()),
        tp_udhi: u8::from(s.has_udh()),
        msg_fmt: MsgFmt::from_byte(s.msg_format),
        src_id: octets(s.src_term_id.as_bytes()),
        dest_terminal_ids: s
            .dest_term_ids
            .iter()
            .map(|d| octets(d.as_bytes()))
            .collect(),
        msg_content: s.msg_content.clone(),
        ..cmpp_codec::Submit::default()
    }
}

/// The SMGP Deliver carrying the report the CMPP core planned, for the message SMGP knows
/// as `reported` (the Submit_Resp's MsgID, or the recipient's id of a group send), sent
/// under the Deliver's own id `own`.
pub fn report_deliver(
    planned: &cmpp_codec::Deliver,
    reported: MsgId,
    own: MsgId,
    wall: DateTime<FixedOffset>,
) -> Option<smgp_codec::Deliver> {
    let r = planned.report()?;
    let (stat, err) = stat_of(&r.stat.text());
    let content = StatusReport {
        id: reported,
        sub: text(b"001"),
        dlvrd: text(if stat.is_delivered() { b"001" } else { b"000" }),
        submit_date: text(r.submit_time.as_bytes()),
        done_date: text(r.done_time.as_bytes()),
        stat,
        err,
        text: Vec::new(),
    }
    .to_content();
    Some(smgp_codec::Deliver {
        msg_id: own,
        is_report: 1,
        msg_format: 0,
        recv_time: recv_time(wall),
        // By convention the report comes from the MT's recipient to its source (§3.5).
        src_term_id: text(r.dest_terminal_id.as_bytes()),
        dest_term_id: text(planned.dest_id.as_bytes()),
        msg_content: Bytes::from(content),
        ..smgp_codec::Deliver::default()
    })
}

/// The SMGP Deliver for an MO segment the CMPP core built.
pub fn mo_deliver(
    planned: &cmpp_codec::Deliver,
    own: MsgId,
    wall: DateTime<FixedOffset>,
) -> Option<smgp_codec::Deliver> {
    let cmpp_codec::DeliverContent::Message(content) = &planned.content else {
        return None;
    };
    let mut d = smgp_codec::Deliver {
        msg_id: own,
        is_report: 0,
        msg_format: planned.msg_fmt.to_byte(),
        recv_time: recv_time(wall),
        src_term_id: text(planned.src_terminal_id.as_bytes()),
        dest_term_id: text(planned.dest_id.as_bytes()),
        msg_content: content.clone(),
        ..smgp_codec::Deliver::default()
    };
    if planned.tp_udhi != 0 {
        // SMGP flags a UDH with the TP_udhi TLV (§6).
        d.tlvs.set(tag::TP_UDHI, vec![1u8]);
    }
    Some(d)
}

/// RecvTime `YYYYMMDDHHMMSS`.
fn recv_time(wall: DateTime<FixedOffset>) -> Text<14> {
    text(wall.format("%Y%m%d%H%M%S").to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use smgp_codec::CauseClass;

    #[test]
    fn results_map_by_meaning_and_flow_control_is_retry_later() {
        assert_eq!(status_of(0), Status::OK);
        assert!(status_of(8).is_retry_later());
        assert_eq!(status_of(13), Status(47));
        assert_eq!(status_of(9).cause_class(), CauseClass::Carrier);
        assert_eq!(status_of(99), Status(128));
        // Every non-zero Result stays a failure, and only 8 asks for a resend.
        for (r, s) in RESULT_TO_STATUS {
            assert_eq!(r == 0, s == 0);
            assert_eq!(r == 8, Status(s).is_retry_later());
        }
    }

    #[test]
    fn stats_keep_their_neutral_class() {
        let class = |cmpp: &str| {
            let (stat, err) = stat_of(cmpp);
            let err = std::str::from_utf8(err.as_bytes()).unwrap().parse().ok();
            smgp_codec::report_cause_class(&stat, err)
        };
        for (cmpp, want) in [
            ("DELIVRD", CauseClass::Delivered),
            ("EXPIRED", CauseClass::User),
            ("UNDELIV", CauseClass::User),
            ("REJECTD", CauseClass::Carrier),
            ("DELETED", CauseClass::Unknown),
            ("UNKNOWN", CauseClass::Unknown),
        ] {
            let cmpp_class = cmpp_codec::Stat::from_text(cmpp).unwrap().cause_class();
            assert_eq!(class(cmpp), want, "{cmpp}");
            assert_eq!(
                cmpp_class.as_str(),
                want.as_str(),
                "{cmpp} agrees with CMPP"
            );
        }
        let (stat, err) = stat_of("MK:0005");
        assert_eq!(stat.0.as_bytes(), b"MK:0005");
        assert_eq!(err.as_bytes(), b"999");
    }

    #[test]
    fn planned_report_and_mo_become_smgp_delivers() {
        let wall = sms_time::beijing()
            .with_ymd_and_hms(2026, 12, 4, 18, 30, 5)
            .unwrap();
        let report = cmpp_codec::StatusReport {
            msg_id: cmpp_codec::MsgId::from_u64(7),
            stat: cmpp_codec::Stat::EXPIRED,
            submit_time: octets(b"2612041830"),
            done_time: octets(b"2612041831"),
            dest_terminal_id: octets(b"17600000000"),
            smsc_sequence: 1,
        };
        let planned = cmpp_codec::Deliver {
            msg_id: cmpp_codec::MsgId::from_u64(8),
            dest_id: octets(b"1069000"),
            service_id: OctetString::EMPTY,
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: MsgFmt::Ascii,
            src_terminal_id: octets(b"17600000000"),
            src_terminal_type: 0,
            content: cmpp_codec::DeliverContent::Report(report),
            link_id: OctetString::EMPTY,
        };
        let reported = MsgId([1, 0, 0x61, 0x12, 0x04, 0x18, 0x30, 0, 0, 1]);
        let d = report_deliver(&planned, reported, MsgId([2; 10]), wall).unwrap();
        assert_eq!(d.recv_time.as_bytes(), b"20261204183005");
        assert_eq!(d.src_term_id.as_bytes(), b"17600000000");
        assert_eq!(d.dest_term_id.as_bytes(), b"1069000");
        assert_eq!(d.msg_content.len(), 122, "canonical layout");
        let r = d.report().unwrap().unwrap();
        assert_eq!(r.id, reported);
        assert_eq!(r.stat.0.as_bytes(), b"EXPIRED");
        assert_eq!(r.err.as_bytes(), b"001");
        assert_eq!(r.cause_class(), CauseClass::User);
        assert!(mo_deliver(&planned, MsgId::default(), wall).is_none());

        let mo = cmpp_codec::Deliver {
            tp_udhi: 1,
            msg_fmt: MsgFmt::Ucs2,
            content: cmpp_codec::DeliverContent::Message(Bytes::from_static(&[
                5, 0, 3, 1, 2, 1, 0, 0x41,
            ])),
            ..planned
        };
        let d = mo_deliver(&mo, MsgId([3; 10]), wall).unwrap();
        assert!(!d.is_report());
        assert_eq!(d.msg_format, 8);
        assert!(d.has_udh());
        assert_eq!(&d.msg_content[..], &[5, 0, 3, 1, 2, 1, 0, 0x41]);
        assert!(report_deliver(&mo, MsgId::default(), MsgId::default(), wall).is_none());
    }

    #[test]
    fn submit_conversion_keeps_what_the_core_decides_on() {
        let mut s = smgp_codec::Submit {
            need_report: 1,
            src_term_id: text(b"1069000"),
            dest_term_ids: vec![text(b"17600000000"), text(b"17600000001")],
            msg_content: Bytes::from_static(b"hi"),
            ..smgp_codec::Submit::default()
        };
        s.tlvs.set(tag::PK_TOTAL, vec![2u8]);
        s.tlvs.set(tag::PK_NUMBER, vec![2u8]);
        let c = to_cmpp_submit(&s);
        assert_eq!(c.registered_delivery, 1);
        assert_eq!((c.pk_total, c.pk_number), (2, 2));
        assert_eq!(c.dest_terminal_ids.len(), 2);
        assert_eq!(c.dest_terminal_ids[1].as_bytes(), b"17600000001");
        assert_eq!(c.src_id.as_bytes(), b"1069000");
        assert_eq!(&c.msg_content[..], b"hi");
    }
}
