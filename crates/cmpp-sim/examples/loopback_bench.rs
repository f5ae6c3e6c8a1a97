//! Loopback benchmark: SP client (cmpp-session) against the simulator on 127.0.0.1.
//!
//! `cargo run --release -p cmpp-sim --example loopback_bench [-- MESSAGES]`
//! Prints, for window 16/64 and 1/4 connections: messages/s acknowledged (SUBMIT_RESP),
//! messages/s with every status report back, p50/p99 submit→response latency, peak RSS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cmpp_codec::{MsgFmt, Version};
use cmpp_session::{
    Account, Client, ClientConfig, ClientEvent, InMemoryAccounts, ServerConfig, SubmitRequest,
};
use cmpp_sim::{Running, SimProfile};

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn one(n: usize, window: usize, conns: usize) {
    let accounts = InMemoryAccounts::new();
    let mut a = Account::new("900001", b"888888".to_vec());
    a.window = window;
    a.max_connections = conns;
    accounts.insert(a);
    let mut profile = SimProfile::default();
    // Reports right away so "with reports" measures throughput, not the simulated delay.
    profile.report.delay = vec![
        cmpp_sim::profile::DelayPoint { q: 0.0, ms: 0 },
        cmpp_sim::profile::DelayPoint { q: 1.0, ms: 5 },
    ];
    let config = {
        let mut v = ServerConfig::default();
        v.version = Version::V30;
        v.deliver_window = 64;
        v.deliver_queue_capacity = n + 1;
        v
    };
    let run = Running::bind(
        "127.0.0.1:0".parse().unwrap(),
        config,
        Arc::new(accounts),
        &profile,
    )
    .await
    .expect("bind");
    let cfg = ClientConfig::builder(run.local_addr(), "900001", b"888888".to_vec())
        .window(window)
        .connections(conns)
        .lifecycle_events(false)
        .event_capacity(65_536)
        // These tests count reports; answering on receipt keeps them simple.
        .auto_ack(true)
        .build();
    let client = Arc::new(Client::connect(cfg).await.expect("login"));
    let mut ev = client.events().expect("events");
    let reports = tokio::spawn(async move {
        let mut got = 0;
        while got < n {
            match ev.recv().await {
                Some(ClientEvent::Report { .. }) => got += 1,
                Some(_) => {}
                None => break,
            }
        }
        Instant::now()
    });
    let start = Instant::now();
    let workers = window * conns;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(n / workers + 1);
            for i in (w..n).step_by(workers) {
                let req = SubmitRequest::message(
                    i.to_string(),
                    &["13800138000"],
                    &b"bench"[..],
                    MsgFmt::Ascii,
                )
                .expect("request")
                .registered_delivery(1);
                let t = Instant::now();
                let _ = client.submit(req).await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat: Vec<Duration> = Vec::with_capacity(n);
    for t in tasks {
        lat.extend(t.await.expect("worker"));
    }
    let acked = start.elapsed();
    let reported = tokio::time::timeout(Duration::from_secs(60), reports)
        .await
        .ok()
        .and_then(|r| r.ok())
        .map(|t| t - start);
    lat.sort();
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "window {window:>2} conns {conns}: {n} msgs, acked {:>8.0}/s, with reports {}, p50 {:?} p99 {:?}, peak RSS {} MB",
        n as f64 / acked.as_secs_f64(),
        reported.map_or("timeout".to_string(), |d| format!("{:>8.0}/s", n as f64 / d.as_secs_f64())),
        p(0.5),
        p(0.99),
        peak_rss_kb() / 1024
    );
    client.close(Duration::from_secs(2)).await;
    run.shutdown().await;
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for (window, conns) in [(16, 1), (64, 1), (16, 4), (64, 4)] {
            one(n, window, conns).await;
        }
    });
}
