//! CMPP_QUERY and CMPP_QUERY_RESP (traffic statistics), same layout in 2.0 and 3.0.

use bytes::{BufMut, BytesMut};

use nom::Parser;

use crate::fields::OctetString;
use crate::parse::{be_u32, be_u8, octets, IResult};

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

    pub(crate) fn parse(i: &[u8]) -> IResult<'_, Self> {
        (
            octets("Time", 8),
            be_u8("Query_Type"),
            octets("Query_Code", 10),
            octets("Reserve", 8),
        )
            .map(|(time, query_type, query_code, reserve)| Query {
                time,
                query_type,
                query_code,
                reserve,
            })
            .parse_complete(i)
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

    pub(crate) fn parse(i: &[u8]) -> IResult<'_, Self> {
        (
            octets("Time", 8),
            be_u8("Query_Type"),
            octets("Query_Code", 10),
            be_u32("MT_TLMsg"),
            be_u32("MT_Tlusr"),
            be_u32("MT_Scs"),
            be_u32("MT_WT"),
            be_u32("MT_FL"),
            be_u32("MO_Scs"),
            be_u32("MO_WT"),
            be_u32("MO_FL"),
        )
            .map(
                |(
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
                )| QueryResp {
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
            )
            .parse_complete(i)
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
