//! Client settings and their builder.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::{Version, DEFAULT_MAX_FRAME_LEN};

use crate::clock::{Clock, SystemClock};
use crate::proto::{Backoff, SessionConfig};

/// SP client settings. Build with [`ClientConfig::builder`].
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Gateway address.
    pub gateway: SocketAddr,
    /// SP_Id (Source_Addr), 6 characters.
    pub sp_id: String,
    /// Shared secret.
    pub secret: Vec<u8>,
    /// Wire version (V20 or V30).
    pub version: Version,
    /// W per connection.
    pub window: usize,
    /// T.
    pub response_timeout: Duration,
    /// N.
    pub max_tries: u32,
    /// C.
    pub heartbeat: Duration,
    /// Whole login (TCP connect + CONNECT_RESP) must finish within this.
    pub login_timeout: Duration,
    /// SUBMITs per second across the client (split evenly over connections); 0 = none.
    pub rate_limit: u32,
    /// Re-sends of one request after result 8 before it fails with `FlowControl`.
    pub flow_control_max_resends: u32,
    /// First pause after result 8 (doubles per repeat on the same request).
    pub flow_control_backoff: Duration,
    /// Largest pause after result 8.
    pub flow_control_backoff_max: Duration,
    /// Reconnect policy.
    pub reconnect: Backoff,
    /// Connections in the pool (one login each).
    pub connections: usize,
    /// Check AuthenticatorISMG in CONNECT_RESP (default). Turning it off lets the client
    /// talk to a non-conforming gateway on purpose; every login then logs a warning.
    pub verify_ismg_authenticator: bool,
    /// Accept an all-zero AuthenticatorISMG (gateways known to send zeros) when verifying.
    pub accept_zero_ismg_authenticator: bool,
    /// Largest accepted Total_Length.
    pub max_frame_len: u32,
    /// Re-send written-but-unanswered requests on the new link after a reconnect (risking
    /// duplicates) instead of failing them with `LinkLost { maybe_accepted: true }`.
    pub resend_unanswered_on_reconnect: bool,
    /// Capacity of the event stream; when full, links stop reading (back-pressure).
    pub event_capacity: usize,
    /// Emit [`crate::client::LifecycleEvent`]s on the event stream (only once someone has
    /// subscribed with [`crate::Client::events`]).
    pub lifecycle_events: bool,
    /// Answer every DELIVER on receipt instead of when the application accepts it
    /// ([`crate::client::DeliverAck::accept`]). For simple users only: a report or MO
    /// message received just before a crash is lost, since the gateway will not re-send it.
    pub auto_ack: bool,
    /// How long a Msg_Id → local_id mapping is kept for status reports.
    pub report_index_ttl: Duration,
    /// Most Msg_Id → local_id mappings kept (oldest dropped first).
    pub report_index_capacity: usize,
    /// Incomplete long MO messages are delivered with gaps after this long.
    pub reassembly_timeout: Duration,
    /// How long a DELIVER is remembered to suppress a re-sent copy (the gateway delivers at
    /// least once). Every copy is still answered with DELIVER_RESP. Zero disables it.
    pub dedupe_ttl: Duration,
    /// Most DELIVERs remembered for duplicate suppression (oldest forgotten first; about
    /// 70 bytes each). Zero disables it.
    pub dedupe_capacity: usize,
    /// Wall clock for timestamps.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("gateway", &self.gateway)
            .field("sp_id", &self.sp_id)
            .field("secret", &"<redacted>")
            .field("version", &self.version)
            .field("window", &self.window)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// A builder with the spec's recommended defaults (W 16, T 60 s, N 3, C 180 s).
    pub fn builder(
        gateway: SocketAddr,
        sp_id: impl Into<String>,
        secret: impl Into<Vec<u8>>,
    ) -> ClientConfigBuilder {
        ClientConfigBuilder {
            config: ClientConfig {
                gateway,
                sp_id: sp_id.into(),
                secret: secret.into(),
                version: Version::V30,
                window: 16,
                response_timeout: Duration::from_secs(60),
                max_tries: 3,
                heartbeat: Duration::from_secs(180),
                login_timeout: Duration::from_secs(10),
                rate_limit: 0,
                flow_control_max_resends: 5,
                flow_control_backoff: Duration::from_millis(100),
                flow_control_backoff_max: Duration::from_secs(5),
                reconnect: Backoff::default(),
                connections: 1,
                verify_ismg_authenticator: true,
                accept_zero_ismg_authenticator: false,
                max_frame_len: DEFAULT_MAX_FRAME_LEN,
                resend_unanswered_on_reconnect: false,
                event_capacity: 1024,
                lifecycle_events: true,
                auto_ack: false,
                report_index_ttl: Duration::from_secs(3 * 24 * 3600),
                report_index_capacity: 200_000,
                reassembly_timeout: Duration::from_secs(300),
                dedupe_ttl: Duration::from_secs(3600),
                dedupe_capacity: 200_000,
                clock: Arc::new(SystemClock),
            },
        }
    }

    pub(crate) fn session_config(&self) -> SessionConfig {
        SessionConfig::default()
            .with_window(self.window.max(1))
            .with_response_timeout(self.response_timeout)
            .with_max_tries(self.max_tries.max(1))
            .with_heartbeat(self.heartbeat)
            .with_flow_control(
                self.flow_control_max_resends,
                self.flow_control_backoff,
                self.flow_control_backoff_max,
            )
    }
}

/// Builder for [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident : $ty:ty),* $(,)?) => {
        $( $(#[$m])* pub fn $name(mut self, value: $ty) -> Self { self.config.$name = value; self } )*
    };
}

impl ClientConfigBuilder {
    setters! {
        /// Wire version.
        version: Version,
        /// W per connection.
        window: usize,
        /// T.
        response_timeout: Duration,
        /// N.
        max_tries: u32,
        /// C.
        heartbeat: Duration,
        /// Login timeout.
        login_timeout: Duration,
        /// SUBMITs per second (0 = none).
        rate_limit: u32,
        /// Re-sends after result 8.
        flow_control_max_resends: u32,
        /// First pause after result 8.
        flow_control_backoff: Duration,
        /// Largest pause after result 8.
        flow_control_backoff_max: Duration,
        /// Reconnect policy.
        reconnect: Backoff,
        /// Pool size.
        connections: usize,
        /// Verify AuthenticatorISMG.
        verify_ismg_authenticator: bool,
        /// Accept an all-zero AuthenticatorISMG.
        accept_zero_ismg_authenticator: bool,
        /// Largest Total_Length.
        max_frame_len: u32,
        /// Re-send unanswered requests after a reconnect.
        resend_unanswered_on_reconnect: bool,
        /// Event stream capacity.
        event_capacity: usize,
        /// Emit lifecycle events.
        lifecycle_events: bool,
        /// Answer DELIVERs on receipt (see [`ClientConfig::auto_ack`]).
        auto_ack: bool,
        /// Msg_Id → local_id retention.
        report_index_ttl: Duration,
        /// Msg_Id → local_id capacity.
        report_index_capacity: usize,
        /// Long MO reassembly timeout.
        reassembly_timeout: Duration,
        /// Duplicate-suppression memory (time).
        dedupe_ttl: Duration,
        /// Duplicate-suppression memory (entries).
        dedupe_capacity: usize,
        /// Wall clock.
        clock: Arc<dyn Clock>,
    }

    /// The finished configuration.
    pub fn build(self) -> ClientConfig {
        self.config
    }
}
