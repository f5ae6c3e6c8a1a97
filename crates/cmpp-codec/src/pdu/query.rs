//! CMPP_QUERY and CMPP_QUERY_RESP (traffic statistics), same layout in 2.0 and 3.0.

use bytes::{BufMut, BytesMut};

use crate::fields::{be_u32, be_u8, octets, OctetString, PResult};

/// CMPP_QUERY: ask for one day's traffic totals (27-byte body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Query {
    /// Time: YYYYMMDD.
    pub time: OctetString<8>,
    /// Query_Type: 0 totals, 1 by service.
    pub query_type: u8,
    /// Query_Code: Service_Id when Query_Type = 1.
    pub query_code: OctetString<10>,
    /// Reserve.
    pub reserve: OctetString<8>,
}

impl Query {
    pub(crate) const BODY_LEN: usize = 27;

    pub(crate) fn parse(i: &[u8]) -> PResult<'_, Self> {
        let (i, time) = octets(i, "Time", 8)?;
        let (i, query_type) = be_u8(i, "Query_Type")?;
        let (i, query_code) = octets(i, "Query_Code", 10)?;
        let (i, reserve) = octets(i, "Reserve", 8)?;
        Ok((
            i,
            Query {
                time,
                query_type,
                query_code,
                reserve,
            },
        ))
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        self.time.put(dst, 8);
        dst.put_u8(self.query_type);
        self.query_code.put(dst, 10);
        self.reserve.put(dst, 8);
    }
}

/// CMPP_QUERY_RESP: traffic counters for the queried day (51-byte body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct QueryResp {
    /// Time: YYYYMMDD.
    pub time: OctetString<8>,
    /// Query_Type: 0 totals, 1 by service.
    pub query_type: u8,
    /// Query_Code.
    pub query_code: OctetString<10>,
    /// MT_TLMsg: messages received from the SP.
    pub mt_tl_msg: u32,
    /// MT_Tlusr: users received from the SP.
    pub mt_tl_usr: u32,
    /// MT_Scs: forwarded successfully.
    pub mt_scs: u32,
    /// MT_WT: waiting to be forwarded.
    pub mt_wt: u32,
    /// MT_FL: forwarding failed.
    pub mt_fl: u32,
    /// MO_Scs: delivered to the SP.
    pub mo_scs: u32,
    /// MO_WT: waiting for delivery to the SP.
    pub mo_wt: u32,
    /// MO_FL: delivery to the SP failed.
    pub mo_fl: u32,
}

impl QueryResp {
    pub(crate) const BODY_LEN: usize = 51;

    pub(crate) fn parse(i: &[u8]) -> PResult<'_, Self> {
        let (i, time) = octets(i, "Time", 8)?;
        let (i, query_type) = be_u8(i, "Query_Type")?;
        let (i, query_code) = octets(i, "Query_Code", 10)?;
        let (i, mt_tl_msg) = be_u32(i, "MT_TLMsg")?;
        let (i, mt_tl_usr) = be_u32(i, "MT_Tlusr")?;
        let (i, mt_scs) = be_u32(i, "MT_Scs")?;
        let (i, mt_wt) = be_u32(i, "MT_WT")?;
        let (i, mt_fl) = be_u32(i, "MT_FL")?;
        let (i, mo_scs) = be_u32(i, "MO_Scs")?;
        let (i, mo_wt) = be_u32(i, "MO_WT")?;
        let (i, mo_fl) = be_u32(i, "MO_FL")?;
        Ok((
            i,
            QueryResp {
                time,
                query_type,
                query_code,
                mt_tl_msg,
                mt_tl_usr,
                mt_scs,
                mt_wt,
                mt_fl,
                mo_scs,
                mo_wt,
                mo_fl,
            },
        ))
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        self.time.put(dst, 8);
        dst.put_u8(self.query_type);
        self.query_code.put(dst, 10);
        for v in [
            self.mt_tl_msg,
            self.mt_tl_usr,
            self.mt_scs,
            self.mt_wt,
            self.mt_fl,
            self.mo_scs,
            self.mo_wt,
            self.mo_fl,
        ] {
            dst.put_u32(v);
        }
    }
}
