//! Submit (MT, SP → SMG); its response is the generic [`crate::Resp`].

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeProblem, EncodeError};
use crate::parse::{end, fail, length_prefixed, share, text, u8_field, PResult};
use crate::text::Text;

/// Most recipients one Submit may carry.
pub const MAX_USERS: usize = 100;

/// ReportFlag 0: a report only when delivery fails (the spec's default).
pub const REPORT_ON_FAILURE: u8 = 0;
/// ReportFlag 1: always report.
pub const REPORT_ALWAYS: u8 = 1;
/// ReportFlag 2: never report.
pub const REPORT_NEVER: u8 = 2;

/// Submit: one MT message to 1–100 recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// SPNumber: the SP's access number shown as sender.
    pub sp_number: Text<21>,
    /// ChargeNumber: the payer ("86…"); empty = each recipient pays; 21 × '0' = the SP pays.
    pub charge_number: Text<21>,
    /// UserNumber\[UserCount\]: recipients, each with the "86" prefix.
    pub user_numbers: Vec<Text<21>>,
    /// CorpId: 5-digit enterprise code.
    pub corp_id: Text<5>,
    /// ServiceType: service code registered with the operator.
    pub service_type: Text<10>,
    /// FeeType: 0 "send" record, 1 free, 2 per message, 3 monthly, 4 SP collects.
    pub fee_type: u8,
    /// FeeValue: fee in fen as decimal text (empty counts as 0, see [`Text::to_number`]).
    pub fee_value: Text<6>,
    /// GivenValue: credit given to the user, in fen.
    pub given_value: Text<6>,
    /// AgentFlag: 0 to be collected, 1 collected.
    pub agent_flag: u8,
    /// MorelatetoMTFlag: 0 first MT for an MO, 1 follow-up, 2 not caused by an MO, 3 system.
    pub morelateto_mt_flag: u8,
    /// Priority 0–9.
    pub priority: u8,
    /// ExpireTime `yymmddhhmmsstnnp`; empty = SMSC default.
    pub expire_time: Text<16>,
    /// ScheduleTime, same format; empty = now.
    pub schedule_time: Text<16>,
    /// ReportFlag: 0 only on failure (spec default), 1 always, 2 never, 3 monthly-fee record.
    /// [`Submit::default`] uses 1, which SLA measurement needs.
    pub report_flag: u8,
    /// TP_pid (GSM 03.40).
    pub tp_pid: u8,
    /// TP_udhi: 1 when the content starts with a UDH.
    pub tp_udhi: u8,
    /// MessageCoding: 0 ASCII, 3 SIM, 4 binary, 8 UCS-2, 15 GBK, else a GSM DCS.
    pub message_coding: u8,
    /// MessageType: 0 = SMS.
    pub message_type: u8,
    /// MessageContent (UDH included).
    pub message_content: Bytes,
    /// Reserve; for on-demand services the LinkID echoed from the MO (see
    /// [`Submit::link_id`]).
    pub reserve: Text<8>,
}

impl Default for Submit {
    fn default() -> Self {
        Submit {
            sp_number: Text::EMPTY,
            charge_number: Text::EMPTY,
            user_numbers: Vec::new(),
            corp_id: Text::EMPTY,
            service_type: Text::EMPTY,
            fee_type: 0,
            fee_value: Text::EMPTY,
            given_value: Text::EMPTY,
            agent_flag: 0,
            morelateto_mt_flag: 2,
            priority: 0,
            expire_time: Text::EMPTY,
            schedule_time: Text::EMPTY,
            report_flag: REPORT_ALWAYS,
            tp_pid: 0,
            tp_udhi: 0,
            message_coding: 0,
            message_type: 0,
            message_content: Bytes::new(),
            reserve: Text::EMPTY,
        }
    }
}

impl Submit {
    /// Body bytes without the recipients and content.
    const FIXED: usize = 123;

    /// The LinkID an on-demand MT carries back in Reserve (empty when none).
    pub fn link_id(&self) -> &[u8] {
        self.reserve.as_bytes()
    }

    /// True when the content starts with a user-data header.
    pub fn has_udh(&self) -> bool {
        self.tp_udhi & 0x41 != 0
    }

    /// FeeValue in fen; an all-NUL field is 0. `None` for non-digits.
    pub fn fee_value_fen(&self) -> Option<u64> {
        self.fee_value.to_number()
    }

    /// GivenValue in fen; an all-NUL field is 0. `None` for non-digits.
    pub fn given_value_fen(&self) -> Option<u64> {
        self.given_value.to_number()
    }

    pub(crate) fn body_len(&self) -> usize {
        Self::FIXED + 21 * self.user_numbers.len() + self.message_content.len()
    }

    pub(crate) fn check(&self) -> Result<(), EncodeError> {
        let count = self.user_numbers.len();
        if count == 0 || count > MAX_USERS {
            return Err(EncodeError::UserCount { count });
        }
        Ok(())
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        self.sp_number.put(dst);
        self.charge_number.put(dst);
        // `check` bounded the count to 1..=100.
        dst.put_u8(self.user_numbers.len() as u8);
        for n in &self.user_numbers {
            n.put(dst);
        }
        self.corp_id.put(dst);
        self.service_type.put(dst);
        dst.put_u8(self.fee_type);
        self.fee_value.put(dst);
        self.given_value.put(dst);
        dst.put_slice(&[self.agent_flag, self.morelateto_mt_flag, self.priority]);
        self.expire_time.put(dst);
        self.schedule_time.put(dst);
        dst.put_slice(&[
            self.report_flag,
            self.tp_pid,
            self.tp_udhi,
            self.message_coding,
            self.message_type,
        ]);
        // The frame limit (2048) was checked, so the length fits a u32.
        dst.put_u32(self.message_content.len() as u32);
        dst.put_slice(&self.message_content);
        self.reserve.put(dst);
    }
}

/// Parses a Submit body; the content is copied (see [`crate::decode`] for zero-copy).
pub fn submit(i: &[u8]) -> PResult<'_, Submit> {
    let mut m = Submit::default();
    let (rest, ()) = submit_into(i, None, &mut m)?;
    Ok((rest, m))
}

/// Reads a Submit body into `out`, every field overwritten.
#[inline(always)]
pub(crate) fn submit_into<'a>(
    i: &'a [u8],
    frame: Option<&Bytes>,
    out: &mut Submit,
) -> PResult<'a, ()> {
    let (i, sp_number) = text(i, "SPNumber")?;
    out.sp_number = sp_number;
    let (i, charge_number) = text(i, "ChargeNumber")?;
    out.charge_number = charge_number;
    let at_count = i;
    let (i, count) = u8_field(i, "UserCount")?;
    let declared = 21 * usize::from(count);
    let Some((numbers, i)) = i.split_at_checked(declared) else {
        return fail(
            at_count,
            "UserCount",
            DecodeProblem::DeclaredTooLong {
                declared: declared as u64,
                remaining: i.len(),
            },
        );
    };
    // Bounded by the frame: only numbers whose bytes are present are stored.
    out.user_numbers = numbers.chunks_exact(21).map(Text::from_field).collect();
    let (i, corp_id) = text(i, "CorpId")?;
    out.corp_id = corp_id;
    let (i, service_type) = text(i, "ServiceType")?;
    out.service_type = service_type;
    let (i, fee_type) = u8_field(i, "FeeType")?;
    out.fee_type = fee_type;
    let (i, fee_value) = text(i, "FeeValue")?;
    out.fee_value = fee_value;
    let (i, given_value) = text(i, "GivenValue")?;
    out.given_value = given_value;
    let (i, agent_flag) = u8_field(i, "AgentFlag")?;
    out.agent_flag = agent_flag;
    let (i, morelateto_mt_flag) = u8_field(i, "MorelatetoMTFlag")?;
    out.morelateto_mt_flag = morelateto_mt_flag;
    let (i, priority) = u8_field(i, "Priority")?;
    out.priority = priority;
    let (i, expire_time) = text(i, "ExpireTime")?;
    out.expire_time = expire_time;
    let (i, schedule_time) = text(i, "ScheduleTime")?;
    out.schedule_time = schedule_time;
    let (i, report_flag) = u8_field(i, "ReportFlag")?;
    out.report_flag = report_flag;
    let (i, tp_pid) = u8_field(i, "TP_pid")?;
    out.tp_pid = tp_pid;
    let (i, tp_udhi) = u8_field(i, "TP_udhi")?;
    out.tp_udhi = tp_udhi;
    let (i, message_coding) = u8_field(i, "MessageCoding")?;
    out.message_coding = message_coding;
    let (i, message_type) = u8_field(i, "MessageType")?;
    out.message_type = message_type;
    let (i, content) = length_prefixed(i, "MessageLength", "MessageContent")?;
    out.message_content = share(frame, content);
    let (i, reserve) = text(i, "Reserve")?;
    out.reserve = reserve;
    end(i)
}
