//! CONNECT / CONNECT_RESP exchange.

use bytes::BytesMut;
use cmpp_codec::auth::{verify_connect_resp, AuthError};
use cmpp_codec::{decode, encode, Connect, OctetString, Packet, Pdu};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::config::ClientConfig;
use super::error::LoginError;
use crate::io::FrameReader;

pub(crate) use sms_session::clock::LoginClock;

/// Connects and logs in; returns the stream and the reader (which may already hold
/// packets sent right after CONNECT_RESP).
pub(crate) async fn login(
    cfg: &ClientConfig,
    clock: &LoginClock,
) -> Result<(TcpStream, FrameReader), LoginError> {
    match tokio::time::timeout(cfg.login_timeout, login_inner(cfg, clock)).await {
        Ok(r) => r,
        Err(_) => Err(LoginError::Timeout),
    }
}

async fn login_inner(
    cfg: &ClientConfig,
    clock: &LoginClock,
) -> Result<(TcpStream, FrameReader), LoginError> {
    let source_addr: OctetString<6> = OctetString::try_from(cfg.sp_id.as_str()).map_err(|_| {
        LoginError::IllegalSourceAddress {
            sp_id: cfg.sp_id.clone(),
        }
    })?;
    let mut stream = TcpStream::connect(cfg.gateway)
        .await
        .map_err(LoginError::Unreachable)?;
    let _ = stream.set_nodelay(true);
    let stamp = clock.stamp(cfg.clock.now_utc());
    let connect = Connect::new(source_addr, &cfg.secret, &stamp, cfg.version);
    let mut buf = BytesMut::new();
    encode(&Packet::new(0, connect), cfg.version, &mut buf)
        .map_err(|e| LoginError::UnexpectedPacket(format!("cannot encode CONNECT: {e}")))?;
    stream
        .write_all(&buf)
        .await
        .map_err(LoginError::Unreachable)?;
    let mut reader = crate::io::reader(cfg.max_frame_len);
    let frame = loop {
        match reader.next_frame() {
            Ok(Some(f)) => break f,
            Ok(None) => {}
            Err(e) => return Err(LoginError::UnexpectedPacket(e.to_string())),
        }
        if let Err(e) = reader.fill(&mut stream).await {
            return Err(LoginError::UnexpectedPacket(e.to_string()));
        }
    };
    let resp = match decode(frame, cfg.version) {
        Ok(Packet {
            pdu: Pdu::ConnectResp(r),
            ..
        }) => r,
        Ok(p) => {
            return Err(LoginError::UnexpectedPacket(format!(
                "{} instead of CONNECT_RESP",
                p.pdu.name()
            )))
        }
        Err(e) => return Err(LoginError::UnexpectedPacket(e.to_string())),
    };
    if !resp.status.is_ok() {
        return Err(LoginError::from_status(
            resp.status,
            &cfg.sp_id,
            cfg.version.to_byte(),
        ));
    }
    if cfg.verify_ismg_authenticator {
        match verify_connect_resp(
            &resp,
            cfg.version,
            &connect.authenticator_source,
            &cfg.secret,
        ) {
            Ok(()) => {}
            Err(AuthError::IsmgAllZero) if cfg.accept_zero_ismg_authenticator => {}
            Err(e) => {
                // The gateway did not prove it knows the secret: end the session properly
                // so that it does not count us as logged in, then report its fault.
                let mut t = BytesMut::new();
                if encode(&Packet::new(1, Pdu::Terminate), cfg.version, &mut t).is_ok() {
                    let _ = stream.write_all(&t).await;
                }
                let _ = stream.shutdown().await;
                return Err(LoginError::BadAuthenticatorIsmg(e));
            }
        }
    } else {
        tracing::warn!(
            gateway = %cfg.gateway,
            "AuthenticatorISMG NOT verified (verify_ismg_authenticator = false): this gateway has not proved it knows the shared secret"
        );
    }
    Ok((stream, reader))
}
