//! The simulator as an SMGP 3.0 gateway: the same decisions ([`crate::SimCore`]: result
//! mix, report delays, MO traffic) served over SMGP, with CMPP's codes mapped by [`map`].

pub mod map;
