use super::*;

use chrono::TimeZone;
use smgp_codec::auth::{client_authenticator, client_authenticator_padded};
use tokio::net::TcpListener;

fn at() -> DateTime<Utc> {
    // 2026-12-04 10:05:09 UTC = 12-04 18:05:09 Beijing.
    Utc.with_ymd_and_hms(2026, 12, 4, 10, 5, 9).unwrap()
}

fn accounts() -> Accounts {
    [
        Account::new("12345678", "secret"),
        Account::new("sp20", "pw20").with_version(Version::V20),
    ]
    .into_iter()
    .collect()
}

async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

/// Runs the gateway's `accept_login` on the next connection.
fn gateway(
    l: TcpListener,
    cfg: GatewayLoginConfig,
) -> tokio::task::JoinHandle<(TcpStream, Result<Accepted, LoginRefusal>)> {
    tokio::spawn(async move {
        let (mut stream, _) = l.accept().await.unwrap();
        let r = accept_login(&mut stream, &accounts(), &cfg).await;
        (stream, r)
    })
}

/// Sends `raw` on a fresh connection and returns the decoded reply, if any.
async fn raw_exchange(addr: SocketAddr, raw: &[u8]) -> Option<Packet> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(raw).await.unwrap();
    let mut r = reader(4096);
    let frame = read_frame(&mut r, &mut s).await.ok()?;
    Some(decode(frame, Version::V30).unwrap())
}

fn login_bytes(login: Login, seq: u32) -> Bytes {
    Packet::new(seq, login).to_bytes(Version::V30).unwrap()
}

fn login_resp_of(p: Option<Packet>) -> LoginResp {
    match p {
        Some(Packet {
            pdu: Pdu::LoginResp(r),
            ..
        }) => r,
        other => panic!("no LOGIN_RESP: {other:?}"),
    }
}

#[tokio::test]
async fn sp_login_is_accepted_by_the_gateway_over_loopback() {
    let (l, addr) = listener().await;
    let gw = gateway(l, GatewayLoginConfig::default());
    let cfg = SpLoginConfig::new("12345678", "secret");
    let (mut stream, mut done) = connect(addr, &cfg, at(), 41).await.unwrap();
    let (mut gw_stream, accepted) = gw.await.unwrap();
    let accepted = accepted.unwrap();
    assert!(
        done.server_authenticated,
        "AuthenticatorServer is the spec's MD5"
    );
    assert_eq!(done.server_version, 0x30);
    assert_eq!(done.login.timestamp, 1_204_180_509, "Beijing MMDDHHMMSS");
    assert_eq!(done.login.login_mode, 2);
    assert_eq!(accepted.account.client_id, "12345678");
    assert_eq!(accepted.sequence_id, 41);
    assert_eq!(accepted.mode, LoginMode::Transmit);
    assert_eq!(accepted.form, AuthForm::Spec);
    assert_eq!(accepted.login, done.login);
    // What the gateway sends right after Login_Resp reaches the session through the reader.
    let hb = Packet::new(1, Pdu::ActiveTest(Bodiless::default()));
    write_packet(&mut gw_stream, &hb, Version::V30)
        .await
        .unwrap();
    let frame = read_frame(&mut done.reader, &mut stream).await.unwrap();
    assert_eq!(decode(frame, Version::V30).unwrap(), hb);
}

#[tokio::test]
async fn the_gateway_uses_the_accounts_version_whatever_the_login_says() {
    let (l, addr) = listener().await;
    let gw = gateway(l, GatewayLoginConfig::default());
    // A 3.0 Login for a 2.0 account: accepted, the layout is the account's (§7).
    let cfg = SpLoginConfig::new("sp20", "pw20").with_mode(LoginMode::Receive);
    let (_stream, done) = connect(addr, &cfg, at(), 1).await.unwrap();
    let accepted = gw.await.unwrap().1.unwrap();
    assert_eq!(accepted.account.version, Version::V20);
    assert_eq!(accepted.mode, LoginMode::Receive);
    assert!(!accepted.mode.sends() && accepted.mode.receives());
    assert_eq!(done.server_version, 0x30);
}

#[tokio::test]
async fn wrong_secret_is_refused_with_status_21_and_is_permanent() {
    let (l, addr) = listener().await;
    let gw = gateway(l, GatewayLoginConfig::default());
    let cfg = SpLoginConfig::new("12345678", "wrong");
    let err = connect(addr, &cfg, at(), 1).await.unwrap_err();
    assert!(
        matches!(&err, LoginError::Authentication { client_id, status: 21 } if client_id == "12345678"),
        "{err:?}"
    );
    assert!(err.is_permanent());
    let refusal = gw.await.unwrap().1.unwrap_err();
    assert!(matches!(refusal, LoginRefusal::BadAuthenticator { .. }));
    assert_eq!(refusal.status(), Some(Status(21)));
    assert_eq!(
        refusal.to_string(),
        "account '12345678': wrong authenticator (shared secret or clock) (answered status 21)"
    );
}

#[tokio::test]
async fn unknown_account_is_refused_like_a_wrong_secret_with_a_zero_authenticator() {
    let (l, addr) = listener().await;
    let gw = gateway(l, GatewayLoginConfig::default());
    let login = Login::new(Text::new(b"nobody").unwrap(), b"x", 2, at(), Version::V30);
    let resp = login_resp_of(raw_exchange(addr, &login_bytes(login, 9)).await);
    assert_eq!(resp.status, Status(21));
    assert_eq!(resp.authenticator, [0; 16]);
    assert!(matches!(
        gw.await.unwrap().1,
        Err(LoginRefusal::UnknownAccount { client_id }) if client_id == "nobody"
    ));
}

#[tokio::test]
async fn nul_padded_authenticator_is_accepted_unless_configured_off() {
    for accept in [true, false] {
        let (l, addr) = listener().await;
        let gw = gateway(
            l,
            GatewayLoginConfig::default().accepting_nul_padded(accept),
        );
        let ts = 1_204_062_653;
        let login = Login {
            client_id: Text::new(b"12345678").unwrap(),
            authenticator: client_authenticator_padded(b"12345678", b"secret", ts),
            login_mode: 0,
            timestamp: ts,
            client_version: 0x30,
        };
        // For an 8-byte ClientID both forms agree; pad a shorter one instead.
        assert_eq!(
            login.authenticator,
            client_authenticator(b"12345678", b"secret", ts)
        );
        let short = Login {
            client_id: Text::new(b"sp20").unwrap(),
            authenticator: client_authenticator_padded(b"sp20", b"pw20", ts),
            ..login
        };
        let resp = login_resp_of(raw_exchange(addr, &login_bytes(short, 2)).await);
        let result = gw.await.unwrap().1;
        if accept {
            assert!(resp.status.is_ok());
            assert!(resp.verify(&short, b"pw20"));
            assert_eq!(result.unwrap().form, AuthForm::NulPadded);
        } else {
            assert_eq!(resp.status, Status(21));
            assert!(matches!(result, Err(LoginRefusal::BadAuthenticator { .. })));
        }
    }
}

#[tokio::test]
async fn bad_login_mode_and_too_high_version_are_refused_with_their_status() {
    for (mode, version, status) in [(5u8, 0x30u8, 10u32), (2, 0x40, 22)] {
        let (l, addr) = listener().await;
        let gw = gateway(l, GatewayLoginConfig::default());
        let mut login = Login::new(
            Text::new(b"12345678").unwrap(),
            b"secret",
            mode,
            at(),
            Version::V30,
        );
        login.client_version = version;
        let resp = login_resp_of(raw_exchange(addr, &login_bytes(login, 3)).await);
        assert_eq!(resp.status, Status(status));
        let refusal = gw.await.unwrap().1.unwrap_err();
        assert_eq!(refusal.status(), Some(Status(status)), "{refusal}");
    }
}

#[tokio::test]
async fn malformed_or_missing_login_is_refused() {
    // A Login one byte short: answered with Status 10.
    let (l, addr) = listener().await;
    let gw = gateway(l, GatewayLoginConfig::default());
    let mut raw = login_bytes(Login::default(), 1).to_vec();
    raw.pop();
    raw[3] -= 1;
    let resp = login_resp_of(raw_exchange(addr, &raw).await);
    assert_eq!(resp.status, Status(10));
    let refusal = gw.await.unwrap().1.unwrap_err();
    assert!(
        refusal.to_string().contains("ClientVersion"),
        "names the field: {refusal}"
    );
    // An Active_Test first: not answered, refused.
    let (l, addr) = listener().await;
    let gw = gateway(l, GatewayLoginConfig::default());
    let hb = Packet::new(1, Pdu::ActiveTest(Bodiless::default()));
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&hb.to_bytes(Version::V30).unwrap())
        .await
        .unwrap();
    assert!(matches!(
        gw.await.unwrap().1,
        Err(LoginRefusal::NotLogin { got: "ACTIVE_TEST" })
    ));
    // A peer that hangs up.
    let (l, addr) = listener().await;
    let gw = gateway(l, GatewayLoginConfig::default());
    drop(TcpStream::connect(addr).await.unwrap());
    assert!(matches!(
        gw.await.unwrap().1,
        Err(LoginRefusal::Stream(StreamError::Eof))
    ));
}

#[tokio::test(start_paused = true)]
async fn both_sides_time_out_on_a_silent_peer() {
    let (l, addr) = listener().await;
    // A "gateway" that accepts and never answers.
    let silent = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(s);
    });
    let cfg = SpLoginConfig::new("12345678", "secret").with_timeout(Duration::from_secs(5));
    let started = tokio::time::Instant::now();
    let err = connect(addr, &cfg, at(), 1).await.unwrap_err();
    assert!(matches!(err, LoginError::Timeout), "{err:?}");
    assert!(!err.is_permanent());
    assert!(started.elapsed() >= Duration::from_secs(5));
    silent.abort();
    // A client that connects and never logs in.
    let (l, addr) = listener().await;
    let gw = gateway(
        l,
        GatewayLoginConfig::default().with_timeout(Duration::from_secs(5)),
    );
    let _idle = TcpStream::connect(addr).await.unwrap();
    assert!(matches!(gw.await.unwrap().1, Err(LoginRefusal::Timeout)));
}

/// A fake gateway answering the first packet with `reply` and returning what it received
/// afterwards.
fn fake_gateway(l: TcpListener, reply: LoginResp) -> tokio::task::JoinHandle<Vec<Packet>> {
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut r = reader(4096);
        let first = read_frame(&mut r, &mut s).await.unwrap();
        let seq = decode(first, Version::V30).unwrap().sequence_id;
        write_packet(&mut s, &Packet::new(seq, reply), Version::V30)
            .await
            .unwrap();
        let mut after = Vec::new();
        while let Ok(f) = read_frame(&mut r, &mut s).await {
            after.push(decode(f, Version::V30).unwrap());
        }
        after
    })
}

#[tokio::test]
async fn a_placeholder_server_authenticator_is_a_warning_unless_required() {
    // TV-2 / quirk 12: "AuthServer" instead of the MD5.
    let placeholder = LoginResp {
        status: Status::OK,
        authenticator: *b"AuthServer\0\0\0\0\0\0",
        server_version: 0x30,
    };
    let (l, addr) = listener().await;
    let gw = fake_gateway(l, placeholder);
    let cfg = SpLoginConfig::new("testid", "testauth");
    let (stream, done) = connect(addr, &cfg, at(), 1).await.unwrap();
    assert!(!done.server_authenticated);
    drop(stream);
    assert!(gw.await.unwrap().is_empty());

    let (l, addr) = listener().await;
    let gw = fake_gateway(l, placeholder);
    let cfg = cfg.requiring_server_authenticator(true);
    let err = connect(addr, &cfg, at(), 1).await.unwrap_err();
    assert!(matches!(err, LoginError::BadAuthenticatorServer));
    assert!(err.is_permanent());
    // The session was ended properly with Exit.
    assert_eq!(
        gw.await.unwrap(),
        vec![Packet::new(2, Pdu::Exit(Bodiless::default()))]
    );
}

#[tokio::test]
async fn refusal_statuses_map_to_typed_errors() {
    type Is = fn(&LoginError) -> bool;
    let cases: [(u32, Is, bool); 7] = [
        (1, |e| matches!(e, LoginError::Busy), false),
        (2, |e| matches!(e, LoginError::TooManyConnections), false),
        (
            3,
            |e| matches!(e, LoginError::Authentication { status: 3, .. }),
            true,
        ),
        (10, |e| matches!(e, LoginError::BadStructure), true),
        (20, |e| matches!(e, LoginError::IpRefused { .. }), true),
        (
            22,
            |e| matches!(e, LoginError::VersionTooHigh { sent: 0x30 }),
            true,
        ),
        (
            200,
            |e| matches!(e, LoginError::Refused(Status(200))),
            false,
        ),
    ];
    for (status, is, permanent) in cases {
        let (l, addr) = listener().await;
        let _gw = fake_gateway(
            l,
            LoginResp {
                status: Status(status),
                ..LoginResp::default()
            },
        );
        let err = connect(addr, &SpLoginConfig::new("sp", "pw"), at(), 1)
            .await
            .unwrap_err();
        assert!(is(&err), "status {status}: {err:?}");
        assert_eq!(err.is_permanent(), permanent, "status {status}");
    }
    assert!(LoginError::from_status(Status(76), "sp", 0x30).is_permanent());
}

#[tokio::test]
async fn local_faults_unreachable_and_long_client_id() {
    let (l, addr) = listener().await;
    drop(l);
    let err = connect(addr, &SpLoginConfig::new("sp", "pw"), at(), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::Unreachable(_)), "{err:?}");
    assert!(!err.is_permanent());

    let (l, addr) = listener().await;
    let gw = gateway(
        l,
        GatewayLoginConfig::default().with_timeout(Duration::from_secs(1)),
    );
    let err = connect(addr, &SpLoginConfig::new("123456789", "pw"), at(), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::BadClientId { .. }));
    assert!(err.is_permanent());
    // Nothing was sent: the connection closed without a Login.
    assert!(matches!(
        gw.await.unwrap().1,
        Err(LoginRefusal::Stream(StreamError::Eof))
    ));
}
