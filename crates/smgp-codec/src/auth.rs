//! MD5 authenticators of Login and Login_Resp (§4), and the Beijing-time TimeStamp.

use chrono::{DateTime, Datelike, TimeZone, Timelike};
use md5::{Digest, Md5};

/// Login TimeStamp for `at`: the integer whose decimal digits are `MMDDHHMMSS` in Beijing
/// time.
pub fn timestamp<Tz: TimeZone>(at: DateTime<Tz>) -> u32 {
    let t = sms_time::to_beijing(at);
    t.month() * 100_000_000
        + t.day() * 1_000_000
        + t.hour() * 10_000
        + t.minute() * 100
        + t.second()
}

/// `MD5(ClientID ‖ 7 × 0x00 ‖ SharedSecret ‖ TimeStamp as 10 ASCII digits)` (spec form).
pub fn client_authenticator(client_id: &[u8], secret: &[u8], timestamp: u32) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(client_id);
    h.update([0u8; 7]);
    h.update(secret);
    h.update(format!("{timestamp:010}").as_bytes());
    h.finalize().into()
}

/// The gosmgp variant: ClientID NUL-padded to 8 bytes before the 7 NULs.
pub fn client_authenticator_padded(client_id: &[u8], secret: &[u8], timestamp: u32) -> [u8; 16] {
    let mut id = [0u8; 8];
    let n = client_id.len().min(8);
    id[..n].copy_from_slice(&client_id[..n]);
    client_authenticator(&id, secret, timestamp)
}

/// `MD5(Status as 4 big-endian bytes ‖ AuthenticatorClient ‖ SharedSecret)`.
pub fn server_authenticator(status: u32, client: &[u8; 16], secret: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(status.to_be_bytes());
    h.update(client);
    h.update(secret);
    h.finalize().into()
}

/// Which form of the client authenticator matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthForm {
    /// The spec form (bare ClientID).
    Spec,
    /// ClientID NUL-padded to 8 bytes (gosmgp).
    NulPadded,
}

/// Checks a received client authenticator against both forms.
pub fn verify_client(
    client_id: &[u8],
    secret: &[u8],
    timestamp: u32,
    received: &[u8; 16],
) -> Option<AuthForm> {
    if &client_authenticator(client_id, secret, timestamp) == received {
        Some(AuthForm::Spec)
    } else if &client_authenticator_padded(client_id, secret, timestamp) == received {
        Some(AuthForm::NulPadded)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn hex(b: [u8; 16]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn digest_check_values() {
        assert_eq!(
            hex(client_authenticator(b"testid", b"testauth", 1_021_080_510)),
            "ca0eff036f70aa1116b8e5df1d55cf48"
        );
        assert_eq!(
            hex(client_authenticator(b"12345678", b"secret", 1_204_062_653)),
            "5bcd878d782f1e6c67420a7215f311c2"
        );
        assert_eq!(
            hex(client_authenticator_padded(
                b"testid",
                b"testauth",
                1_021_080_510
            )),
            "faaf0f03a64588e0ca3ba648aa57b62e"
        );
        let client = client_authenticator(b"testid", b"testauth", 1_021_080_510);
        assert_eq!(
            hex(server_authenticator(0, &client, b"testauth")),
            "71b27ba5d3893fbd8cc6f5e58a30782b"
        );
    }

    #[test]
    fn short_timestamps_are_zero_padded_to_ten_digits() {
        // 0x11F0E540 = 301000000 → "0301000000".
        let at = Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0).unwrap(); // Mar 1 00:00 Beijing
        assert_eq!(timestamp(at), 0x11F0_E540);
        let mut h = Md5::new();
        h.update(b"id\0\0\0\0\0\0\0pw0301000000");
        let expected: [u8; 16] = h.finalize().into();
        assert_eq!(client_authenticator(b"id", b"pw", 0x11F0_E540), expected);
    }

    #[test]
    fn server_accepts_both_forms_and_says_which() {
        let spec = client_authenticator(b"testid", b"testauth", 1);
        let padded = client_authenticator_padded(b"testid", b"testauth", 1);
        assert_eq!(
            verify_client(b"testid", b"testauth", 1, &spec),
            Some(AuthForm::Spec)
        );
        assert_eq!(
            verify_client(b"testid", b"testauth", 1, &padded),
            Some(AuthForm::NulPadded)
        );
        assert_eq!(verify_client(b"testid", b"wrong", 1, &spec), None);
    }
}
