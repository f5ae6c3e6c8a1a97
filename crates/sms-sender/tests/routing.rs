//! Routing by number: one message to a China Mobile, a China Unicom and a China Telecom
//! number goes out over CMPP, SGIP and SMGP to three simulators, and the journal holds each
//! record under its carrier with its response and status report.

use std::sync::Arc;
use std::time::Duration;

use cmpp_sim::SimProfile;
use sms_journal::{Journal, JournalOptions, JournalWriter};
use sms_policy::Policy;
use sms_records::{Carrier, Category, FinalState, Record};
use sms_sender::link::sgip::SgipLink;
use sms_sender::link::smgp::SmgpLink;
use sms_sender::{OutgoingSms, RecordStatus, Router, Sender, SenderConfig};
use tokio::net::TcpListener;

const MOBILE: &str = "13800138000";
const UNICOM: &str = "13012345678";
const TELECOM: &str = "13312345678";

fn policy() -> Policy {
    Policy::new().with_contracts(Carrier::ALL)
}

fn config(carrier: Carrier, prefix: &str) -> SenderConfig {
    let mut c = SenderConfig::default();
    c.service_id = "12123".into();
    c.msg_src = "900001".into();
    c.id_prefix = prefix.into();
    c.carrier = carrier;
    c
}

fn journal_records(dir: &std::path::Path) -> Vec<Record> {
    let j = Journal::open(dir, JournalOptions::default()).unwrap();
    j.export(None, None).unwrap().map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_number_goes_to_its_carrier_and_is_journaled_under_it() {
    let profile = SimProfile::default();
    let dir = tempfile::tempdir().unwrap();
    let journal = JournalWriter::spawn(
        Journal::open(dir.path(), JournalOptions::default()).unwrap(),
        1024,
    )
    .unwrap();

    // China Mobile: CMPP.
    let accounts = cmpp_session::InMemoryAccounts::new();
    accounts.insert(cmpp_session::Account::new("900001", b"secret".to_vec()));
    let cmpp_gw = cmpp_sim::Running::bind(
        "127.0.0.1:0".parse().unwrap(),
        cmpp_session::ServerConfig::default(),
        Arc::new(accounts),
        &profile,
    )
    .await
    .unwrap();
    let cmpp = cmpp_session::Client::connect(
        cmpp_session::ClientConfig::builder(cmpp_gw.local_addr(), "900001", b"secret".to_vec())
            .build(),
    )
    .await
    .unwrap();

    // China Unicom: SGIP, with the SP's listener the simulator pushes reports to.
    let listen = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let sgip_gw = cmpp_sim::sgip::Running::bind(
        "127.0.0.1:0".parse().unwrap(),
        sgip_session::ServerConfig::new(sgip_session::Accounts::new().with("sp1", "pw1"))
            .with_push(listen, sgip_session::Credentials::new("sp1", "pw1")),
        &profile,
    )
    .await
    .unwrap();
    let sgip = sgip_session::Client::connect(sgip_session::ClientConfig::new(
        sgip_gw.local_addr(),
        "sp1",
        "pw1",
        listen,
    ))
    .await
    .unwrap();

    // China Telecom: SMGP.
    let accounts: smgp_session::Accounts = [smgp_session::Account::new("90000001", "secret")]
        .into_iter()
        .collect();
    let smgp_gw = cmpp_sim::smgp::Running::bind(
        "127.0.0.1:0".parse().unwrap(),
        smgp_session::ServerConfig::default(),
        accounts,
        &profile,
    )
    .await
    .unwrap();
    let smgp = smgp_session::Client::connect(smgp_session::ClientConfig::new(
        smgp_gw.local_addr(),
        "90000001",
        "secret",
    ))
    .await
    .unwrap();

    let sender = |link: Arc<dyn sms_sender::Link>, carrier, prefix| {
        // Each carrier's contract has its own access number for the calling number check.
        let policy = match carrier {
            Carrier::ChinaUnicom => policy().with_calling_number("10655121231", 21),
            _ => policy(),
        };
        Sender::builder(link)
            .policy(policy)
            .journal(journal.clone())
            .config(config(carrier, prefix))
            .build()
            .unwrap()
    };
    let router = Router::new(policy().routes().clone(), policy().number_format())
        .with(
            Carrier::ChinaMobile,
            sender(
                sms_sender::IntoLink::into_link(cmpp),
                Carrier::ChinaMobile,
                "m-",
            ),
        )
        .with(
            Carrier::ChinaUnicom,
            sender(
                Arc::new(SgipLink::new(sgip, "12345")),
                Carrier::ChinaUnicom,
                "u-",
            ),
        )
        .with(
            Carrier::ChinaTelecom,
            sender(Arc::new(SmgpLink::new(smgp)), Carrier::ChinaTelecom, "t-"),
        )
        .with_calling_number(Carrier::ChinaUnicom, "10655121231");
    assert_eq!(router.carrier_for(UNICOM), Some(Carrier::ChinaUnicom));
    assert_eq!(router.carrier_for(TELECOM), Some(Carrier::ChinaTelecom));

    let long = "【交管12123】".to_string() + &"您有一条交通违法记录待处理，".repeat(8);
    for text in ["您的验证码是123456", long.as_str()] {
        let report = router
            .send(OutgoingSms {
                src: "121231100".into(),
                dests: vec![MOBILE.into(), UNICOM.into(), TELECOM.into()],
                text: text.into(),
                category: Category::Verification,
                group_send: false,
            })
            .await
            .unwrap();
        let carriers: Vec<Carrier> = report.reports.iter().map(|(c, _)| *c).collect();
        assert_eq!(carriers.len(), 3, "{carriers:?}");
        for (carrier, rec) in report.records() {
            assert!(
                matches!(rec.status, RecordStatus::Accepted { .. }),
                "{carrier}: {rec:?}"
            );
        }
    }
    assert_eq!(router.wait_for_reports(Duration::from_secs(20)).await, 0);
    router.close(Duration::from_secs(2)).await.unwrap();
    cmpp_gw.shutdown().await;
    sgip_gw.shutdown().await;
    smgp_gw.shutdown().await;
    drop(journal);

    let records = journal_records(dir.path());
    for (dest, carrier) in [
        (MOBILE, Carrier::ChinaMobile),
        (UNICOM, Carrier::ChinaUnicom),
        (TELECOM, Carrier::ChinaTelecom),
    ] {
        let mine: Vec<&Record> = records.iter().filter(|r| r.dest == dest).collect();
        assert!(
            mine.len() >= 3,
            "{dest}: one short and at least two long parts"
        );
        for r in mine {
            assert_eq!(r.carrier, carrier, "{r:?}");
            // China Unicom's contract gives the SP its own calling number.
            let src = if carrier == Carrier::ChinaUnicom {
                "10655121231"
            } else {
                "121231100"
            };
            assert_eq!(r.src, src, "{r:?}");
            assert_eq!(r.final_state, FinalState::Delivered, "{r:?}");
            assert!(r.msg_id.is_some(), "{r:?}");
            assert!(r.reported_at.is_some(), "{r:?}");
        }
    }
}
