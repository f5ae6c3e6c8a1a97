//! CMPP 2.0 / 3.0 codec: every SP⇄ISMG message, byte-exact, without I/O.
#![forbid(unsafe_code)]

pub mod msg_fmt;
pub mod text;
pub mod long;

pub use msg_fmt::MsgFmt;
