//! Query and Query_Resp (optional traffic statistics, §3.8).

use bytes::{BufMut, BytesMut};

use crate::parse::{end, text, u32_field, u8_field, PResult};
use crate::text::Text;

/// Query: traffic totals for a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Query {
    /// QueryTime `YYYYMMDD`.
    pub query_time: Text<8>,
    /// QueryType: 0 totals, 1 by service code.
    pub query_type: u8,
    /// QueryCode: service code when QueryType = 1.
    pub query_code: Text<10>,
}

impl Query {
    pub(crate) const BODY_LEN: usize = 19;

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        self.query_time.put(dst);
        dst.put_u8(self.query_type);
        self.query_code.put(dst);
    }
}

/// Query_Resp: the counters for the queried day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueryResp {
    /// QueryTime echoed.
    pub query_time: Text<8>,
    /// QueryType echoed.
    pub query_type: u8,
    /// QueryCode echoed.
    pub query_code: Text<10>,
    /// MT_TLMsg: MT messages received.
    pub mt_total: u32,
    /// MT_Tlusr: MT users.
    pub mt_users: u32,
    /// MT_Scs: MT forwarded successfully.
    pub mt_success: u32,
    /// MT_WT: MT waiting.
    pub mt_waiting: u32,
    /// MT_FL: MT failed.
    pub mt_failed: u32,
    /// MO_Scs: MO delivered.
    pub mo_success: u32,
    /// MO_WT: MO waiting.
    pub mo_waiting: u32,
    /// MO_FL: MO failed.
    pub mo_failed: u32,
    /// Reserve.
    pub reserve: Text<8>,
}

impl QueryResp {
    pub(crate) const BODY_LEN: usize = 59;

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        self.query_time.put(dst);
        dst.put_u8(self.query_type);
        self.query_code.put(dst);
        for v in [
            self.mt_total,
            self.mt_users,
            self.mt_success,
            self.mt_waiting,
            self.mt_failed,
            self.mo_success,
            self.mo_waiting,
            self.mo_failed,
        ] {
            dst.put_u32(v);
        }
        self.reserve.put(dst);
    }
}

/// Parses a Query body (19 bytes).
pub fn query(i: &[u8]) -> PResult<'_, Query> {
    let (i, query_time) = text(i, "QueryTime")?;
    let (i, query_type) = u8_field(i, "QueryType")?;
    let (i, query_code) = text(i, "QueryCode")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        Query {
            query_time,
            query_type,
            query_code,
        },
    ))
}

/// Parses a Query_Resp body (59 bytes).
pub fn query_resp(i: &[u8]) -> PResult<'_, QueryResp> {
    let (i, query_time) = text(i, "QueryTime")?;
    let (i, query_type) = u8_field(i, "QueryType")?;
    let (i, query_code) = text(i, "QueryCode")?;
    let (i, mt_total) = u32_field(i, "MT_TLMsg")?;
    let (i, mt_users) = u32_field(i, "MT_Tlusr")?;
    let (i, mt_success) = u32_field(i, "MT_Scs")?;
    let (i, mt_waiting) = u32_field(i, "MT_WT")?;
    let (i, mt_failed) = u32_field(i, "MT_FL")?;
    let (i, mo_success) = u32_field(i, "MO_Scs")?;
    let (i, mo_waiting) = u32_field(i, "MO_WT")?;
    let (i, mo_failed) = u32_field(i, "MO_FL")?;
    let (i, reserve) = text(i, "Reserve")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        QueryResp {
            query_time,
            query_type,
            query_code,
            mt_total,
            mt_users,
            mt_success,
            mt_waiting,
            mt_failed,
            mo_success,
            mo_waiting,
            mo_failed,
            reserve,
        },
    ))
}
