//! [`Text`]: the fixed-length octet-string field of SMGP (`oct[N]` in the digest).
//!
//! The type lives in `sms-wire`, shared with the SGIP codec. The spec's octet strings are
//! "not necessarily NUL terminated" (FeeType "00" fills its field); [`Text`] keeps such a
//! full field whole.

pub use sms_wire::Text;
