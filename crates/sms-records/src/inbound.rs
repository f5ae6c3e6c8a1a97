//! A message a user sent to the SP (mobile-originated, e.g. an opt-out reply).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One inbound message as received: kept apart from the outbound records, which the SLA
/// and billing count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InboundMessage {
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The gateway's id of the message (unique per gateway): a message re-sent by the
    /// gateway carries the same id and is stored once.
    pub msg_id: String,
    /// The user's number.
    pub from: String,
    /// The SP number it was sent to.
    pub to: String,
    /// The SP service it was sent for (may be empty).
    pub service_id: String,
    /// The text, when the content is text.
    pub text: Option<String>,
    /// The raw content, hex-encoded (lossless, whatever the encoding).
    pub content_hex: String,
}

impl InboundMessage {
    /// An inbound message with no service id and no text.
    pub fn new(
        received_at: DateTime<Utc>,
        msg_id: impl Into<String>,
        from: impl Into<String>,
        to: impl Into<String>,
    ) -> Self {
        InboundMessage {
            received_at,
            msg_id: msg_id.into(),
            from: from.into(),
            to: to.into(),
            service_id: String::new(),
            text: None,
            content_hex: String::new(),
        }
    }

    /// With the SP service it was sent for.
    pub fn with_service_id(mut self, service_id: impl Into<String>) -> Self {
        self.service_id = service_id.into();
        self
    }

    /// With its content: the raw bytes, and the text when it is text.
    pub fn with_content(mut self, raw: &[u8], text: Option<String>) -> Self {
        self.content_hex = raw.iter().map(|b| format!("{b:02x}")).collect();
        self.text = text;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn content_is_kept_raw_and_as_text() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let m = InboundMessage::new(at, "M1", "13800138000", "1065")
            .with_service_id("svc")
            .with_content(b"TD\x00", Some("TD".into()));
        assert_eq!(m.content_hex, "544400");
        assert_eq!(m.text.as_deref(), Some("TD"));
        assert_eq!(m.service_id, "svc");
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<InboundMessage>(&json).unwrap(), m);
    }
}
