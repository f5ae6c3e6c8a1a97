//! [`Text`]: the fixed-length, NUL-padded text field of SGIP (`text[N]` in the digest).
//!
//! The type lives in `sms-wire`, shared with the SMGP codec. SGIP fills CorpId and the time
//! fields completely, with no NUL terminator; [`Text`] keeps such a full field whole.

pub use sms_wire::Text;
