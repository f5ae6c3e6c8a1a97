use super::*;

use sgip_codec::pdu::bind::{LOGIN_SMG_TO_SP, LOGIN_SP_TO_SMG};
use sgip_codec::Unbind;
use tokio::net::{TcpListener, TcpStream};

const WAIT: Duration = Duration::from_secs(5);
const SEQ: SequenceNumber = SequenceNumber::new(3_010_012_345, 1_204_062_621, 1);

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

fn accounts() -> Accounts {
    Accounts::new().with("fakename", "1234")
}

#[tokio::test]
async fn bind_and_accept_agree_over_a_real_socket() {
    let (mut sp, mut smg) = pair().await;
    let creds = Credentials::new("fakename", "1234");
    let accounts = accounts();
    let (login, accepted) = tokio::join!(
        bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT),
        accept_bind(&mut smg, &accounts, LOGIN_SP_TO_SMG, WAIT)
    );
    login.unwrap();
    assert_eq!(
        accepted.unwrap(),
        BoundPeer {
            login_name: "fakename".into(),
            sequence: SEQ
        }
    );
    // Nothing beyond the handshake was consumed: the next packet arrives intact.
    let unbind = Packet::new(SEQ, Pdu::Unbind(Unbind::default()));
    write_packet(&mut sp, &unbind).await.unwrap();
    assert_eq!(
        read_packet(&mut smg, DEFAULT_MAX_FRAME_LEN).await.unwrap(),
        unbind
    );
}

#[tokio::test]
async fn bind_sends_the_tv7_bytes() {
    // TV-7's Bind: LoginType 1, "fakename" / "1234", sequence 3010012345-1204062621-1.
    let (mut sp, mut smg) = pair().await;
    let creds = Credentials::new("fakename", "1234");
    let peer = async {
        let mut got = [0u8; 61];
        smg.read_exact(&mut got).await.unwrap();
        let resp = Packet::new(SEQ, Pdu::BindResp(Resp::default()));
        write_packet(&mut smg, &resp).await.unwrap();
        got
    };
    let (login, got) = tokio::join!(bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT), peer);
    login.unwrap();
    let mut want = vec![
        0, 0, 0, 0x3d, 0, 0, 0, 1, 0xb3, 0x69, 0x24, 0xb9, 0x47, 0xc4, 0x89, 0x9d, 0, 0, 0, 1, 1,
    ];
    want.extend_from_slice(b"fakename\0\0\0\0\0\0\0\0");
    want.extend_from_slice(b"1234\0\0\0\0\0\0\0\0\0\0\0\0");
    want.extend_from_slice(&[0; 8]);
    assert_eq!(got.to_vec(), want);
}

#[tokio::test]
async fn wrong_password_is_refused_with_result_1_and_is_permanent() {
    let (mut sp, mut smg) = pair().await;
    let creds = Credentials::new("fakename", "12345");
    let accounts = accounts();
    let (login, accepted) = tokio::join!(
        bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT),
        accept_bind(&mut smg, &accounts, LOGIN_SP_TO_SMG, WAIT)
    );
    let err = login.unwrap_err();
    assert!(
        matches!(&err, LoginError::IllegalLogin { login_name } if login_name == "fakename"),
        "{err:?}"
    );
    assert!(err.is_permanent());
    assert!(err.to_string().contains("Result 1"), "{err}");
    let refused = accepted.unwrap_err();
    assert!(
        matches!(&refused, AcceptError::BadCredentials { login_name } if login_name == "fakename")
    );
    assert!(
        !refused.to_string().contains("12345"),
        "no password in errors"
    );
    // The gateway closed the link after answering.
    let mut rest = Vec::new();
    assert_eq!(sp.read_to_end(&mut rest).await.unwrap(), 0);
}

#[tokio::test]
async fn unknown_login_name_is_refused_with_result_1() {
    let (mut sp, mut smg) = pair().await;
    let creds = Credentials::new("stranger", "1234");
    let accounts = accounts();
    let (login, accepted) = tokio::join!(
        bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT),
        accept_bind(&mut smg, &accounts, LOGIN_SP_TO_SMG, WAIT)
    );
    assert!(matches!(login, Err(LoginError::IllegalLogin { .. })));
    assert!(matches!(accepted, Err(AcceptError::BadCredentials { .. })));
}

#[tokio::test]
async fn wrong_login_type_is_refused_with_result_4() {
    // The SMG binds its push link to a listener that serves the MT side.
    let (mut smg, mut sp) = pair().await;
    let creds = Credentials::new("fakename", "1234");
    let accounts = accounts();
    let (login, accepted) = tokio::join!(
        bind(&mut smg, LOGIN_SMG_TO_SP, &creds, SEQ, WAIT),
        accept_bind(&mut sp, &accounts, LOGIN_SP_TO_SMG, WAIT)
    );
    let err = login.unwrap_err();
    assert!(
        matches!(err, LoginError::WrongLoginType { sent: 2 }),
        "{err:?}"
    );
    assert!(err.is_permanent());
    assert!(matches!(
        accepted,
        Err(AcceptError::WrongLoginType {
            got: 2,
            expected: 1
        })
    ));
}

#[tokio::test]
async fn other_refusals_say_whether_to_retry() {
    for (code, permanent) in [
        (3u8, false),
        (11, false),
        (34, false),
        (93, true),
        (94, true),
    ] {
        let (mut sp, mut smg) = pair().await;
        let peer = async {
            let bind = read_packet(&mut smg, DEFAULT_MAX_FRAME_LEN).await.unwrap();
            let resp = Packet::new(bind.sequence, Pdu::BindResp(Resp::new(ResultCode(code))));
            write_packet(&mut smg, &resp).await.unwrap();
        };
        let creds = Credentials::new("fakename", "1234");
        let (login, ()) = tokio::join!(bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT), peer);
        let err = login.unwrap_err();
        assert!(
            matches!(err, LoginError::Refused(c) if c.0 == code),
            "{err:?}"
        );
        assert_eq!(err.is_permanent(), permanent, "Result {code}");
        assert!(
            err.to_string().contains(ResultCode(code).meaning()),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_peer_that_closes_instead_of_answering_is_a_transient_failure() {
    let (mut sp, smg) = pair().await;
    drop(smg);
    let creds = Credentials::new("fakename", "1234");
    let err = bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT)
        .await
        .unwrap_err();
    assert!(
        matches!(err, LoginError::ClosedByPeer | LoginError::Io(_)),
        "{err:?}"
    );
    assert!(!err.is_permanent());
}

#[tokio::test(start_paused = true)]
async fn silence_times_out_on_both_sides() {
    let (mut sp, smg) = pair().await;
    let creds = Credentials::new("fakename", "1234");
    let err = bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT)
        .await
        .unwrap_err();
    assert!(
        matches!(err, LoginError::Timeout(d) if d == WAIT),
        "{err:?}"
    );
    assert!(!err.is_permanent());
    drop(smg);
    // A client that connects and never binds.
    let (_sp2, mut smg2) = pair().await;
    let err = accept_bind(&mut smg2, &accounts(), LOGIN_SP_TO_SMG, WAIT)
        .await
        .unwrap_err();
    assert!(matches!(err, AcceptError::Timeout(_)), "{err:?}");
}

#[tokio::test]
async fn a_reply_other_than_bind_resp_is_unexpected() {
    let (mut sp, mut smg) = pair().await;
    let peer = async {
        let bind = read_packet(&mut smg, DEFAULT_MAX_FRAME_LEN).await.unwrap();
        let resp = Packet::new(bind.sequence, Pdu::SubmitResp(Resp::default()));
        write_packet(&mut smg, &resp).await.unwrap();
    };
    let creds = Credentials::new("fakename", "1234");
    let (login, ()) = tokio::join!(bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT), peer);
    let err = login.unwrap_err();
    assert!(
        matches!(&err, LoginError::UnexpectedPacket(m) if m.contains("SUBMIT_RESP")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_impossible_length_is_refused_before_allocating() {
    let (mut sp, mut smg) = pair().await;
    let peer = async {
        let _ = read_packet(&mut smg, DEFAULT_MAX_FRAME_LEN).await.unwrap();
        smg.write_all(&[0xff, 0xff, 0xff, 0xff]).await.unwrap();
        smg
    };
    let creds = Credentials::new("fakename", "1234");
    let (login, _smg) = tokio::join!(bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT), peer);
    let err = login.unwrap_err();
    assert!(
        matches!(&err, LoginError::UnexpectedPacket(m) if m.contains("4294967295")),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_first_packet_must_be_a_bind() {
    let (mut sp, mut smg) = pair().await;
    let unbind = Packet::new(SEQ, Pdu::Unbind(Unbind::default()));
    write_packet(&mut sp, &unbind).await.unwrap();
    let err = accept_bind(&mut smg, &accounts(), LOGIN_SP_TO_SMG, WAIT)
        .await
        .unwrap_err();
    assert!(matches!(err, AcceptError::NotABind("UNBIND")), "{err:?}");
    // Dropped without an answer.
    let mut rest = Vec::new();
    assert_eq!(sp.read_to_end(&mut rest).await.unwrap(), 0);

    let (mut sp, mut smg) = pair().await;
    sp.write_all(&[0, 0, 0, 5]).await.unwrap();
    let err = accept_bind(&mut smg, &accounts(), LOGIN_SP_TO_SMG, WAIT)
        .await
        .unwrap_err();
    assert!(matches!(err, AcceptError::Malformed(_)), "{err:?}");

    let (sp, mut smg) = pair().await;
    drop(sp);
    let err = accept_bind(&mut smg, &accounts(), LOGIN_SP_TO_SMG, WAIT)
        .await
        .unwrap_err();
    assert!(matches!(err, AcceptError::ClosedByPeer), "{err:?}");
}

#[tokio::test]
async fn credentials_longer_than_16_bytes_are_refused_before_sending() {
    let (mut sp, _smg) = pair().await;
    let creds = Credentials::new("a-login-name-of-17", "1234");
    let err = bind(&mut sp, LOGIN_SP_TO_SMG, &creds, SEQ, WAIT)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LoginError::BadCredentials(m) if m.contains("LoginName")),
        "{err:?}"
    );
    assert!(err.is_permanent());
    assert!(
        !format!("{creds:?}").contains("1234"),
        "Debug hides the password"
    );
}

#[test]
fn accounts_compare_the_whole_password() {
    let a = accounts();
    let bind_with = |name: &str, pw: &str| Bind {
        login_type: 1,
        login_name: Text::try_from(name).unwrap(),
        login_password: Text::try_from(pw).unwrap(),
        ..Bind::default()
    };
    assert!(a.check(&bind_with("fakename", "1234")));
    assert!(!a.check(&bind_with("fakename", "123")));
    assert!(!a.check(&bind_with("fakename", "12345")));
    assert!(!a.check(&bind_with("fakename", "")));
    assert!(!a.check(&bind_with("other", "1234")));
    assert!(!Accounts::new().check(&bind_with("", "")));
    assert_eq!(a.len(), 1);
    assert!(!format!("{a:?}").contains("1234"));
}
