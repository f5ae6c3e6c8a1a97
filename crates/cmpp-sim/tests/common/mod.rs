//! Shared set-up: a simulator on loopback and an SP client from cmpp-session.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::{MsgId, Version};
use cmpp_session::{
    Account, Backoff, Client, ClientConfig, ClientEvent, ClientEvents, InMemoryAccounts,
    ServerConfig,
};
use cmpp_sim::{Running, SimProfile};

pub const SP: &str = "900001";
pub const SECRET: &str = "888888";

pub async fn start(profile: &SimProfile, version: Version, window: usize) -> Running {
    let accounts = InMemoryAccounts::new();
    let mut a = Account::new(SP, SECRET.as_bytes().to_vec());
    a.window = window;
    a.max_connections = 8;
    accounts.insert(a);
    let config = {
        let mut v = ServerConfig::default();
        v.version = version;
        v.deliver_window = 64;
        v.deliver_queue_capacity = 1_000_000;
        v
    };
    Running::bind(
        "127.0.0.1:0".parse().unwrap(),
        config,
        Arc::new(accounts),
        profile,
    )
    .await
    .unwrap()
}

pub async fn client(run: &Running, version: Version, window: usize) -> (Client, ClientEvents) {
    let config = ClientConfig::builder(run.local_addr(), SP, SECRET.as_bytes().to_vec())
        .version(version)
        .window(window)
        .lifecycle_events(false)
        .event_capacity(100_000)
        // These tests count reports; answering on receipt keeps them simple.
        .auto_ack(true)
        .response_timeout(Duration::from_secs(5))
        .reconnect(Backoff::default())
        .build();
    let c = Client::connect(config).await.unwrap();
    let ev = c.events().unwrap();
    (c, ev)
}

/// Reports received until `want` arrived (or 20 s passed), keyed by Msg_Id.
pub async fn reports(ev: &mut ClientEvents, want: usize) -> HashMap<MsgId, (String, String)> {
    reports_within(ev, want, Duration::from_secs(20)).await
}

/// Reports received until `want` arrived or `limit` passed, keyed by Msg_Id.
pub async fn reports_within(
    ev: &mut ClientEvents,
    want: usize,
    limit: Duration,
) -> HashMap<MsgId, (String, String)> {
    let mut got = HashMap::new();
    let deadline = tokio::time::Instant::now() + limit;
    while got.len() < want {
        match tokio::time::timeout_at(deadline, ev.recv()).await {
            Ok(Some(ClientEvent::Report {
                msg_id, stat, dest, ..
            })) => {
                let dup = got.insert(msg_id, (stat.text().into_owned(), dest));
                assert!(dup.is_none(), "second report for {msg_id:?}");
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    got
}
