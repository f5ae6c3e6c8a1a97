//! Submit requests and outcomes.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use cmpp_codec::long::UdhRef;
use cmpp_codec::text::TextEncoding;
use cmpp_codec::{MsgFmt, MsgId, OctetString, Submit, SubmitResult};

use super::error::SubmitError;

/// One SUBMIT with the caller's id. All CMPP fields are in [`Submit`] (`submit`); the
/// constructors fill the common ones.
#[derive(Debug, Clone)]
pub struct SubmitRequest {
    /// Caller-chosen id, echoed in outcomes and lifecycle events.
    pub local_id: String,
    /// The SUBMIT (Msg_Id and Sequence_Id are ignored/assigned).
    pub submit: Submit,
}

impl SubmitRequest {
    /// A request from a prebuilt SUBMIT template.
    pub fn new(local_id: impl Into<String>, submit: Submit) -> Self {
        SubmitRequest {
            local_id: local_id.into(),
            submit,
        }
    }

    /// A single-segment message to `dests` (1..=99) with raw content.
    pub fn message(
        local_id: impl Into<String>,
        dests: &[&str],
        content: impl Into<Bytes>,
        msg_fmt: MsgFmt,
    ) -> Result<Self, SubmitError> {
        let mut submit = Submit {
            msg_content: content.into(),
            msg_fmt,
            ..Submit::default()
        };
        submit.dest_terminal_ids = parse_dests(dests)?;
        Ok(Self::new(local_id, submit))
    }

    /// Sets Registered_Delivery (1 = status report wanted).
    pub fn registered_delivery(mut self, value: u8) -> Self {
        self.submit.registered_delivery = value;
        self
    }

    /// Sets Src_Id (the sender shown on the handset).
    pub fn src_id(mut self, src_id: &str) -> Result<Self, SubmitError> {
        self.submit.src_id = field("Src_Id", src_id)?;
        Ok(self)
    }

    /// Sets Service_Id.
    pub fn service_id(mut self, service_id: &str) -> Result<Self, SubmitError> {
        self.submit.service_id = field("Service_Id", service_id)?;
        Ok(self)
    }

    /// Sets Msg_src (normally the SP_Id).
    pub fn msg_src(mut self, msg_src: &str) -> Result<Self, SubmitError> {
        self.submit.msg_src = field("Msg_src", msg_src)?;
        Ok(self)
    }
}

pub(crate) fn field<const N: usize>(name: &str, v: &str) -> Result<OctetString<N>, SubmitError> {
    OctetString::try_from(v).map_err(|e| SubmitError::Invalid(format!("{name} '{v}': {e}")))
}

pub(crate) fn parse_dests(dests: &[&str]) -> Result<Vec<OctetString<32>>, SubmitError> {
    if dests.is_empty() || dests.len() > cmpp_codec::pdu::submit::MAX_DESTINATIONS {
        return Err(SubmitError::Invalid(format!(
            "{} destinations given, must be 1 to 99",
            dests.len()
        )));
    }
    dests.iter().map(|d| field("Dest_terminal_Id", d)).collect()
}

/// A SUBMIT_RESP received for a request (any result; result 8 only after the allowed
/// re-sends are exhausted is reported as [`SubmitError::FlowControl`] instead).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubmitOutcome {
    /// Caller's id.
    pub local_id: Arc<str>,
    /// Msg_Id (the first of M … M+n−1 for n destinations).
    pub msg_id: MsgId,
    /// Result.
    pub result: SubmitResult,
    /// Sequence_Id of the answered transmission.
    pub sequence_id: u32,
    /// Transmissions made (across reconnects).
    pub tries: u32,
    /// First written.
    pub written_at: DateTime<Utc>,
    /// Response received.
    pub responded_at: DateTime<Utc>,
    /// Pool index of the connection.
    pub connection: usize,
}

/// Options for [`crate::Client::send_text`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TextOptions {
    /// Encoding preference.
    pub encoding: TextEncoding,
    /// 8- or 16-bit concatenation reference.
    pub udh: UdhRef,
    /// Template for the other SUBMIT fields (destinations and content are replaced).
    pub template: Submit,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            encoding: TextEncoding::Auto,
            udh: UdhRef::Bits8,
            template: Submit::default(),
        }
    }
}
