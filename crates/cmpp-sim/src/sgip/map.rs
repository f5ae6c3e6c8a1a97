//! The one place where the simulator's CMPP-shaped decisions become SGIP: a Submit is judged
//! as the CMPP SUBMIT it corresponds to, and the Result, report Stat and MO messages
//! [`SimCore`](crate::SimCore) picks are translated with the small tables below, which keep
//! each outcome's neutral cause class (delivered / user / carrier / SP / unknown).

use cmpp_codec::{
    Deliver as CmppDeliver, DeliverContent, MsgFmt, OctetString, Stat, StatKind,
    Submit as CmppSubmit,
};
use sgip_codec::pdu::submit::{REPORT_ALWAYS, REPORT_NEVER, REPORT_ON_FAILURE};
use sgip_codec::{
    with_86, without_86, Deliver, Report, ReportState, ResultCode, SequenceNumber, Submit, Text,
};

/// SGIP Submit_Resp Result for a CMPP SUBMIT_RESP Result (profile codes 0–13); any other
/// value passes through unchanged, so a profile can also name SGIP codes (33, 88, …) directly.
///
/// | CMPP | meaning | SGIP | meaning |
/// |---:|---|---:|---|
/// | 0 | correct | 0 | OK |
/// | 1 | structure error | 5 | parameter format error |
/// | 2 | command word error | 7 | command id error |
/// | 3 | duplicate sequence | 9 | illegal sequence number |
/// | 4, 6 | length error, too long | 8 | message length error |
/// | 5 | fee code error | 14 | wrong fee type or fee |
/// | 7 | service code error | 13 | service code not registered |
/// | 8 | flow control | 33 | flow limit exceeded (throttle) |
/// | 9 | number not served | 23 | route does not exist |
/// | 10, 11 | Src_Id / Msg_src error | 5 | parameter format error |
/// | 12 | Fee_terminal_Id error | 24 | charge number invalid |
/// | 13 | Dest_terminal_Id error | 6 | illegal phone number |
pub fn submit_result(cmpp: u32) -> ResultCode {
    ResultCode(match cmpp {
        0 => 0,
        1 | 10 | 11 => 5,
        2 => 7,
        3 => 9,
        4 | 6 => 8,
        5 => 14,
        7 => 13,
        8 => 33,
        9 => 23,
        12 => 24,
        13 => 6,
        // The profile bounds codes to 255.
        other => u8::try_from(other).unwrap_or(u8::MAX),
    })
}

/// SGIP Report State and ErrorCode for a CMPP Stat: ACCEPTD is "waiting" (State 1); every
/// other Stat goes by its cause class (DELIVRD → 0/0; user, e.g. EXPIRED, UNDELIV, MK:xxxx →
/// 2/25 user cannot be reached; carrier, e.g. REJECTD, MA:xxxx → 2/21 destination
/// unreachable; SP, e.g. DB:0141 → 2/24 charge number invalid; unknown → 2/0).
pub fn report_state(stat: Stat) -> (ReportState, ResultCode) {
    if stat.kind() == StatKind::Accepted {
        return (ReportState::Waiting, ResultCode::OK);
    }
    match stat.cause_class() {
        cmpp_codec::CauseClass::Delivered => (ReportState::Delivered, ResultCode::OK),
        cmpp_codec::CauseClass::User => (ReportState::Failed, ResultCode(25)),
        cmpp_codec::CauseClass::Carrier => (ReportState::Failed, ResultCode(21)),
        cmpp_codec::CauseClass::Sp => (ReportState::Failed, ResultCode(24)),
        _ => (ReportState::Failed, ResultCode::OK),
    }
}

/// The CMPP SUBMIT the simulator's core judges for an SGIP Submit: recipients (without
/// "86"), access number, service, coding and content; a report is planned unless ReportFlag
/// is 2 (never). ReportFlag 0 (failure only) is honoured by [`wants_report`].
pub fn as_cmpp_submit(submit: &Submit) -> CmppSubmit {
    CmppSubmit {
        registered_delivery: u8::from(submit.report_flag != REPORT_NEVER),
        service_id: octets(submit.service_type.as_bytes()),
        tp_pid: submit.tp_pid,
        tp_udhi: submit.tp_udhi,
        msg_fmt: MsgFmt::from_byte(submit.message_coding),
        src_id: octets(submit.sp_number.as_bytes()),
        dest_terminal_ids: submit
            .user_numbers
            .iter()
            .map(|u| octets(without_86(&u.to_str_lossy()).as_bytes()))
            .collect(),
        msg_content: submit.message_content.clone(),
        ..CmppSubmit::default()
    }
}

/// Whether a report in `state` is sent for a Submit with `report_flag`: ReportFlag 0 asks
/// for failures only (quirk 3: a real SMG sends no success report then), 2 for none.
pub fn wants_report(report_flag: u8, state: ReportState) -> bool {
    match report_flag {
        REPORT_NEVER => false,
        REPORT_ON_FAILURE => state == ReportState::Failed,
        REPORT_ALWAYS => true,
        // 3 (monthly fee record) and unknown values: report, the SP asked for something.
        _ => true,
    }
}

/// The SGIP Report for a status report the core planned, naming the Submit by all 12 bytes
/// of `submit_sequence`; `None` when `deliver` carries no status report.
pub fn report(deliver: &CmppDeliver, submit_sequence: SequenceNumber) -> Option<Report> {
    let r = deliver.report()?;
    let (state, error_code) = report_state(r.stat);
    Some(Report {
        submit_sequence,
        report_type: 0,
        user_number: number_86(&r.dest_terminal_id.to_str_lossy()),
        state,
        error_code,
        reserve: Text::EMPTY,
    })
}

/// The SGIP Deliver for an MO segment the core built; `None` for a status report.
pub fn mo(deliver: &CmppDeliver) -> Option<Deliver> {
    let DeliverContent::Message(content) = &deliver.content else {
        return None;
    };
    Some(Deliver {
        user_number: number_86(&deliver.src_terminal_id.to_str_lossy()),
        sp_number: Text::from_field(deliver.dest_id.as_bytes()),
        tp_pid: deliver.tp_pid,
        tp_udhi: deliver.tp_udhi,
        // CMPP Msg_Fmt and SGIP MessageCoding share the values 0, 3, 4, 8 and 15.
        message_coding: deliver.msg_fmt.to_byte(),
        message_content: content.clone(),
        reserve: Text::EMPTY,
    })
}

/// Every SGIP field fits its CMPP counterpart (21 → 21, 10 → 10, 21 → 32 bytes).
fn octets<const N: usize>(b: &[u8]) -> OctetString<N> {
    OctetString::new(b).unwrap_or(OctetString::EMPTY)
}

fn number_86(n: &str) -> Text<21> {
    Text::try_from(with_86(n).as_str()).unwrap_or(Text::EMPTY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use cmpp_codec::{MsgId, StatusReport};
    use sgip_codec::CauseClass;

    #[test]
    fn submit_results_keep_their_cause_class() {
        for cmpp in 0..=13u32 {
            let sgip = submit_result(cmpp);
            let want = cmpp_codec::SubmitResult::from(cmpp).cause_class().as_str();
            assert_eq!(
                sgip.cause_class().as_str(),
                want,
                "CMPP {cmpp} → SGIP {}",
                sgip.0
            );
        }
        // Flow control stays flow control: the SP backs off and sends again.
        assert!(submit_result(8).is_throttle());
        assert!(
            !submit_result(4).is_throttle(),
            "8 in SGIP is a length error"
        );
        // SGIP codes pass through.
        assert_eq!(submit_result(88), ResultCode(88));
        assert_eq!(submit_result(25), ResultCode(25));
    }

    #[test]
    fn report_states_keep_their_cause_class() {
        for text in [
            "DELIVRD", "EXPIRED", "UNDELIV", "REJECTD", "DELETED", "UNKNOWN", "MK:0005", "MA:0001",
            "DB:0141", "AF:4",
        ] {
            let stat = Stat::from_text(text).unwrap();
            let (state, code) = report_state(stat);
            let class = sgip_codec::report_cause_class(state, code);
            assert_eq!(class.as_str(), stat.cause_class().as_str(), "{text}");
            assert!(state.is_final(), "{text}");
        }
        let (state, _) = report_state(Stat::from_text("ACCEPTD").unwrap());
        assert_eq!(state, ReportState::Waiting);
        assert!(!state.is_final());
    }

    #[test]
    fn report_flag_zero_reports_failures_only() {
        assert!(wants_report(REPORT_ALWAYS, ReportState::Delivered));
        assert!(!wants_report(REPORT_ON_FAILURE, ReportState::Delivered));
        assert!(wants_report(REPORT_ON_FAILURE, ReportState::Failed));
        assert!(!wants_report(REPORT_NEVER, ReportState::Failed));
        assert!(wants_report(3, ReportState::Delivered));
    }

    #[test]
    fn submit_is_judged_as_its_cmpp_counterpart() {
        let s = Submit {
            sp_number: Text::try_from("10690090").unwrap(),
            user_numbers: vec![
                Text::try_from("8617600000000").unwrap(),
                Text::try_from("17611111111").unwrap(),
            ],
            service_type: Text::try_from("TEST").unwrap(),
            message_coding: 15,
            message_content: Bytes::from_static(b"\xc4\xe3\xba\xc3"),
            report_flag: REPORT_ON_FAILURE,
            ..Submit::default()
        };
        let c = as_cmpp_submit(&s);
        let dests: Vec<String> = c
            .dest_terminal_ids
            .iter()
            .map(|d| d.to_str_lossy().into_owned())
            .collect();
        assert_eq!(dests, ["17600000000", "17611111111"]);
        assert_eq!(c.src_id.to_str_lossy(), "10690090");
        assert_eq!(c.service_id.to_str_lossy(), "TEST");
        assert_eq!(c.msg_fmt.to_byte(), 15);
        assert_eq!(c.registered_delivery, 1, "failure-only still plans reports");
        assert_eq!(c.msg_content, s.message_content);
        let never = Submit {
            report_flag: REPORT_NEVER,
            ..s
        };
        assert_eq!(as_cmpp_submit(&never).registered_delivery, 0);
    }

    #[test]
    fn reports_and_mo_become_sgip_packets() {
        let seq = SequenceNumber::new(3_010_012_345, 1_204_062_621, 7);
        let dest = OctetString::new(b"17600000000").unwrap();
        let d = CmppDeliver {
            msg_id: MsgId::from_u64(1),
            dest_id: OctetString::new(b"10690090").unwrap(),
            service_id: OctetString::EMPTY,
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: MsgFmt::Ascii,
            src_terminal_id: dest,
            src_terminal_type: 0,
            content: DeliverContent::Report(StatusReport {
                msg_id: MsgId::from_u64(2),
                stat: Stat::from_text("EXPIRED").unwrap(),
                submit_time: OctetString::EMPTY,
                done_time: OctetString::EMPTY,
                dest_terminal_id: dest,
                smsc_sequence: 1,
            }),
            link_id: OctetString::EMPTY,
        };
        let r = report(&d, seq).unwrap();
        assert_eq!(r.submit_sequence, seq);
        assert_eq!(r.user_number, "8617600000000");
        assert_eq!(
            (r.state, r.error_code),
            (ReportState::Failed, ResultCode(25))
        );
        assert_eq!(r.cause_class(), CauseClass::User);
        assert!(mo(&d).is_none());

        let m = CmppDeliver {
            msg_fmt: MsgFmt::from_byte(8),
            content: DeliverContent::Message(Bytes::from_static(b"\x4f\x60")),
            ..d
        };
        let sg = mo(&m).unwrap();
        assert_eq!(sg.user_number, "8617600000000");
        assert_eq!(sg.sp_number, "10690090");
        assert_eq!(sg.message_coding, 8);
        assert_eq!(&sg.message_content[..], b"\x4f\x60");
        assert!(report(&m, seq).is_none());
    }
}
