//! The SGIP 1.2 gateway (SMG) simulator: the same decisions as the CMPP simulator
//! ([`SimProfile`](crate::SimProfile), [`SimCore`](crate::SimCore),
//! [`ReportQueue`](crate::ReportQueue)), spoken in SGIP through `sgip-session`.

pub mod map;
