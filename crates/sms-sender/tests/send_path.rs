//! The send path against the gateway simulator: policy, session and journal together.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cmpp_session::{Account, Client, ClientConfig, InMemoryAccounts, ServerConfig};
use cmpp_sim::{Running, SimProfile};
use sms_journal::{Journal, JournalOptions, JournalWriter};
use sms_policy::{NumberSet, Policy};
use sms_records::{Category, FinalState, Record};
use sms_sender::{OutgoingSms, RecordStatus, Sender, SenderConfig};

const SP: &str = "900001";

struct Setup {
    gateway: Running,
    sender: Sender,
    dir: tempfile::TempDir,
}

async fn setup(profile: SimProfile, policy: Policy) -> Setup {
    let accounts = InMemoryAccounts::new();
    accounts.insert(Account::new(SP, b"secret".to_vec()));
    let gateway = Running::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default(),
        Arc::new(accounts),
        &profile,
    )
    .await
    .unwrap();
    let config = ClientConfig::builder(gateway.local_addr(), SP, b"secret".to_vec()).build();
    let client = Client::connect(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    let sender = Sender::builder(client)
        .policy(policy)
        .journal(JournalWriter::spawn(journal, 1024).unwrap())
        .config({
            let mut v = SenderConfig::default();
            v.service_id = "12123".into();
            v.msg_src = SP.into();
            v.id_prefix = "t-".into();
            v.opt_out_log = None;
            v
        })
        .build()
        .unwrap();
    Setup {
        gateway,
        sender,
        dir,
    }
}

fn sms(dests: &[&str], text: &str, category: Category) -> OutgoingSms {
    OutgoingSms {
        src: "121231100".into(),
        dests: dests.iter().map(|d| d.to_string()).collect(),
        text: text.into(),
        category,
        group_send: false,
    }
}

fn journal_records(dir: &std::path::Path) -> Vec<Record> {
    let j = Journal::open(dir, JournalOptions::default()).unwrap();
    j.export(None, None).unwrap().map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_messages_are_journaled_and_counted_nowhere() {
    let s = setup(SimProfile::default(), Policy::new()).await;
    // 13300000000 is another carrier's number: the carrier check refuses it.
    let report = s
        .sender
        .send(sms(
            &["13800138000", "13300000000"],
            "您的验证码是123456",
            Category::Verification,
        ))
        .await
        .unwrap();
    assert_eq!(report.records.len(), 2);
    assert!(matches!(
        report.records[0].status,
        RecordStatus::Accepted { .. }
    ));
    match &report.records[1].status {
        RecordStatus::Refused { check, .. } => assert_eq!(check, "carrier"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(s.sender.wait_for_reports(Duration::from_secs(10)).await, 0);
    s.sender.close(Duration::from_secs(2)).await.unwrap();
    s.gateway.shutdown().await;

    let records = journal_records(s.dir.path());
    assert_eq!(records.len(), 2);
    let refused = records.iter().find(|r| r.dest == "13300000000").unwrap();
    assert_eq!(refused.final_state, FinalState::Refused);
    assert!(refused.detail.as_deref().unwrap().starts_with("carrier:"));
    assert!(refused.msg_id.is_none());

    // Neither the SLA nor billing counts it.
    let from = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00+08:00").unwrap();
    let until = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00+08:00").unwrap();
    let mut settings = sms_sla::SlaSettings::default();
    settings.window = sms_sla::Window::Period;
    let sla = sms_sla::evaluate(records.clone(), &settings, from, until, Utc::now()).unwrap();
    assert_eq!(sla.overall.total, 1);
    assert_eq!(sla.overall.refused, 1);
    assert_eq!(sla.overall.counted, 1);
    let delivered = records.iter().find(|r| r.dest == "13800138000").unwrap();
    assert_eq!(delivered.final_state, FinalState::Delivered);
    let billable = records.iter().filter(|r| r.resp_result == Some(0)).count();
    assert_eq!(billable, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_and_group_messages_become_one_record_per_destination_and_segment() {
    let s = setup(SimProfile::default(), Policy::new()).await;
    let long = "【交管12123】".to_string() + &"您有一条交通违法记录待处理，".repeat(12);
    let mut group = sms(
        &["13800138001", "13900139002", "15000150003"],
        &long,
        Category::Notice,
    );
    group.group_send = true;
    let report = s.sender.send(group).await.unwrap();
    let segments = report.records[0].segments as usize;
    assert!(segments >= 3, "{segments}");
    assert_eq!(report.records.len(), 3 * segments);
    let ids: std::collections::BTreeSet<_> = report
        .records
        .iter()
        .map(|r| match &r.status {
            RecordStatus::Accepted { msg_id } => msg_id.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ids.len(),
        3 * segments,
        "each record has its own Msg_Id (M … M+n−1)"
    );
    assert_eq!(s.sender.wait_for_reports(Duration::from_secs(10)).await, 0);
    s.sender.close(Duration::from_secs(2)).await.unwrap();
    s.gateway.shutdown().await;

    let records = journal_records(s.dir.path());
    assert_eq!(records.len(), 3 * segments);
    assert!(records
        .iter()
        .all(|r| r.final_state == FinalState::Delivered));
    assert!(records
        .iter()
        .all(|r| r.group_id.as_deref() == Some(report.group_id.as_str())));
    assert!(records
        .iter()
        .all(|r| r.report_stat.as_deref() == Some("DELIVRD")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribe_reply_puts_the_number_on_the_opt_out_list() {
    let mut profile = SimProfile::default();
    profile.mo.interval_ms = 50;
    profile.mo.senders = vec!["13700137001".into()];
    profile.mo.texts = vec![cmpp_sim::profile::MoText {
        text: "TD".into(),
        weight: 1.0,
    }];
    let s = setup(profile, Policy::new().with_opt_out(NumberSet::new())).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while s.sender.stats().opt_outs == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        s.sender.stats().opt_outs,
        1,
        "one opt-out, however many replies"
    );
    let report = s
        .sender
        .send(sms(&["13700137001"], "通知", Category::Notice))
        .await
        .unwrap();
    match &report.records[0].status {
        RecordStatus::Refused { check, .. } => assert_eq!(check, "subscription"),
        other => panic!("expected the opt-out to refuse it, got {other:?}"),
    }
    s.sender.close(Duration::from_secs(2)).await.unwrap();
    s.gateway.shutdown().await;
}

fn orphan_report(n: u64) -> cmpp_codec::Deliver {
    use cmpp_codec::{Deliver, DeliverContent, MsgFmt, MsgId, OctetString, Stat, StatusReport};
    Deliver {
        msg_id: MsgId::from_u64(90_000 + n),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from("13800138000").unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Report(StatusReport {
            // Msg_Ids no SUBMIT of this run got: another run's late reports.
            msg_id: MsgId::from_u64(0xdead_0000 + n),
            stat: Stat::DELIVRD,
            submit_time: OctetString::try_from("2410210800").unwrap(),
            done_time: OctetString::try_from("2410210801").unwrap(),
            dest_terminal_id: OctetString::try_from("13800138000").unwrap(),
            smsc_sequence: 1,
        }),
        link_id: OctetString::EMPTY,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_other_runs_do_not_count_for_this_one_and_are_answered_once_journaled() {
    // The run's own report comes only after a minute: it stays outstanding meanwhile.
    let mut profile = SimProfile::default();
    profile.report.delay = vec![
        cmpp_sim::profile::DelayPoint { q: 0.0, ms: 60_000 },
        cmpp_sim::profile::DelayPoint { q: 1.0, ms: 60_000 },
    ];
    let s = setup(profile, Policy::new()).await;
    let h = s.gateway.handle();
    for n in 0..5 {
        h.deliver(SP, orphan_report(n)).unwrap();
    }
    let report = s
        .sender
        .send(sms(&["13800138000"], "hello", Category::Notice))
        .await
        .unwrap();
    assert!(matches!(
        report.records[0].status,
        RecordStatus::Accepted { .. }
    ));
    let start = std::time::Instant::now();
    while s.sender.stats().reports < 5 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "orphans not received"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        s.sender.wait_for_reports(Duration::from_millis(200)).await,
        1,
        "five orphan reports do not make up for this run's missing one"
    );
    // Each orphan was journaled, then answered.
    let start = std::time::Instant::now();
    while h.stats().delivers_acked < 5 {
        assert!(start.elapsed() < Duration::from_secs(10), "not answered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.sender.close(Duration::from_secs(2)).await.unwrap();
    s.gateway.shutdown().await;
}

/// A gateway that, when a SUBMIT arrives, looks in the sender's journal (through a
/// connection of its own, so only committed data is seen) for the record's intent.
struct OutboxProbe {
    dir: std::path::PathBuf,
    seen: std::sync::Mutex<Vec<(String, bool)>>,
}

impl cmpp_session::GatewayHandler for OutboxProbe {
    fn on_submit(
        &self,
        _c: &cmpp_session::ConnectionInfo,
        _seq: u32,
        s: &cmpp_codec::Submit,
    ) -> cmpp_session::SubmitDecision {
        let dest = s.dest_terminal_ids[0].to_str_lossy().into_owned();
        let now = Utc::now();
        let mut j = Journal::open(&self.dir, JournalOptions::default()).unwrap();
        let intent = j
            .by_dest(
                &dest,
                now - chrono::Duration::hours(1),
                now + chrono::Duration::hours(1),
            )
            .unwrap()
            .iter()
            .any(|t| {
                t.events
                    .iter()
                    .any(|e| matches!(e.kind, sms_records::EventKind::Sending { .. }))
            });
        self.seen.lock().unwrap().push((dest, intent));
        let n = self.seen.lock().unwrap().len() as u64;
        cmpp_session::SubmitDecision::Respond {
            msg_id: cmpp_codec::MsgId::from_u64(0x7000_0000 + n),
            result: 0,
        }
    }

    fn on_query(
        &self,
        _c: &cmpp_session::ConnectionInfo,
        q: &cmpp_codec::Query,
    ) -> cmpp_codec::QueryResp {
        cmpp_codec::QueryResp {
            time: q.time,
            query_type: q.query_type,
            query_code: q.query_code,
            ..Default::default()
        }
    }

    fn on_cancel(
        &self,
        _c: &cmpp_session::ConnectionInfo,
        _c2: &cmpp_codec::Cancel,
    ) -> cmpp_codec::CancelResp {
        cmpp_codec::CancelResp { success_id: 0 }
    }
}

/// The outbox: every SUBMIT reaches the gateway only after its record's intent (`sending`)
/// has committed, so a crash between the write and the `submitted` event leaves a record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_intent_is_durable_before_the_submit_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let probe = Arc::new(OutboxProbe {
        dir: dir.path().to_path_buf(),
        seen: std::sync::Mutex::new(Vec::new()),
    });
    let accounts = Arc::new(InMemoryAccounts::new());
    accounts.insert(Account::new(SP, b"secret".to_vec()));
    let server = cmpp_session::Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default(),
        accounts,
        probe.clone(),
    )
    .await
    .unwrap();
    let config = ClientConfig::builder(server.local_addr(), SP, b"secret".to_vec()).build();
    let client = Client::connect(config).await.unwrap();
    let journal = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    let sender = Sender::builder(client)
        .journal(JournalWriter::spawn(journal, 1024).unwrap())
        .config({
            let mut v = SenderConfig::default();
            v.registered_delivery = 0;
            v.id_prefix = "o-".into();
            v
        })
        .build()
        .unwrap();
    let dests: Vec<String> = (0..20).map(|i| format!("138000000{i:02}")).collect();
    let sends = dests
        .iter()
        .map(|d| sender.send(sms(&[d], "hello", Category::Notice)));
    for r in futures::future::join_all(sends).await {
        assert!(matches!(
            r.unwrap().records[0].status,
            RecordStatus::Accepted { .. }
        ));
    }
    sender.close(Duration::from_secs(2)).await.unwrap();
    server.shutdown().await;
    let seen = probe.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 20);
    assert!(seen.iter().all(|(_, intent)| *intent), "{seen:?}");
    let records = journal_records(dir.path());
    assert_eq!(records.len(), 20);
    assert!(records
        .iter()
        .all(|r| r.submitted_at.is_some() && r.msg_id.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_answers_every_report_already_received_before_the_link_goes() {
    let s = setup(SimProfile::default(), Policy::new()).await;
    for i in 0..20 {
        let report = s
            .sender
            .send(sms(
                &[&format!("138001380{i:02}")],
                "您的验证码是123456",
                Category::Verification,
            ))
            .await
            .unwrap();
        assert!(matches!(
            report.records[0].status,
            RecordStatus::Accepted { .. }
        ));
    }
    // The last reports arrive; close at once, as `cmpp send` does at its end.
    assert_eq!(s.sender.wait_for_reports(Duration::from_secs(10)).await, 0);
    s.sender.close(Duration::from_secs(2)).await.unwrap();
    let stats = s.gateway.handle().stats();
    assert_eq!(stats.delivers_acked, 20, "{stats:?}");
    assert_eq!(stats.delivers_in_flight, 0, "{stats:?}");
    s.gateway.shutdown().await;
}
