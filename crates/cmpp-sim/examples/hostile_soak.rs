//! Soak: a normal SP sender against the simulator while hostile connections run beside it:
//! peers that log in and never read, replayed CONNECTs, password guessing, malformed SUBMITs.
//!
//! `cargo run --release -p cmpp-sim --example hostile_soak [-- MESSAGES SECONDS]`
//! (defaults 20,000 messages, at least 20 s of hostile traffic). Prints the sender's results
//! (every SUBMIT must be answered), what the hostile peers got, the gateway's counters and
//! the resident memory sampled every 250 ms; exits non-zero if a message went unanswered.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use cmpp_codec::{encode, Connect, MsgFmt, OctetString, Packet, Submit, SubmitResult, Version};
use cmpp_session::{
    Account, Client, ClientConfig, ClientEvent, InMemoryAccounts, ServerConfig, SubmitRequest,
};
use cmpp_sim::{Running, SimProfile};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[derive(Default)]
struct Counts {
    deaf_logins: AtomicU64,
    deaf_dropped: AtomicU64,
    replays_refused: AtomicU64,
    replays_accepted: AtomicU64,
    guesses: AtomicU64,
    guesses_accepted: AtomicU64,
    malformed_sent: AtomicU64,
    malformed_answered: AtomicU64,
}

/// A socket from a given loopback source address (Linux routes all of 127/8 locally).
async fn dial(from: Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
    s.connect(to).await
}

fn connect_frame(sp: &str, secret: &[u8]) -> BytesMut {
    let c = Connect::new(
        OctetString::try_from(sp).expect("6 chars"),
        secret,
        &chrono::Utc::now(),
        Version::V30,
    );
    let mut out = BytesMut::new();
    encode(&Packet::new(1, c), Version::V30, &mut out).expect("encodes");
    out
}

/// Sends a CONNECT and returns the status (None when the link closed first).
async fn login(s: &mut TcpStream, frame: &[u8]) -> Option<u32> {
    s.write_all(frame).await.ok()?;
    let mut resp = [0u8; 33];
    tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut resp))
        .await
        .ok()?
        .ok()?;
    Some(u32::from_be_bytes([resp[12], resp[13], resp[14], resp[15]]))
}

async fn deaf(to: SocketAddr, stop: Arc<AtomicBool>, c: Arc<Counts>) {
    let one = [0u8, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 1];
    let flood: Vec<u8> = one.iter().copied().cycle().take(12 * 8192).collect();
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = dial(Ipv4Addr::new(127, 0, 0, 2), to).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if login(&mut s, &connect_frame("900002", b"222222")).await != Some(0) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        c.deaf_logins.fetch_add(1, Ordering::Relaxed);
        // Write ACTIVE_TESTs and never read an answer, until the gateway gives up on us.
        while !stop.load(Ordering::Relaxed) {
            match tokio::time::timeout(Duration::from_secs(1), s.write_all(&flood)).await {
                Ok(Ok(())) | Err(_) => {}
                Ok(Err(_)) => {
                    c.deaf_dropped.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
}

async fn replayer(to: SocketAddr, stop: Arc<AtomicBool>, c: Arc<Counts>) {
    let captured = connect_frame("900002", b"222222");
    // The original login, then the same bytes again and again from another address.
    if let Ok(mut s) = dial(Ipv4Addr::new(127, 0, 0, 4), to).await {
        let _ = login(&mut s, &captured).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    while !stop.load(Ordering::Relaxed) {
        if let Ok(mut s) = dial(Ipv4Addr::new(127, 0, 0, 4), to).await {
            match login(&mut s, &captured).await {
                Some(0) => c.replays_accepted.fetch_add(1, Ordering::Relaxed),
                _ => c.replays_refused.fetch_add(1, Ordering::Relaxed),
            };
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn guesser(to: SocketAddr, stop: Arc<AtomicBool>, c: Arc<Counts>) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let Ok(mut s) = dial(Ipv4Addr::new(127, 0, 0, 3), to).await else {
            continue;
        };
        let guess = format!("{n:06}");
        c.guesses.fetch_add(1, Ordering::Relaxed);
        if login(&mut s, &connect_frame("900003", guess.as_bytes())).await == Some(0) {
            c.guesses_accepted.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn malformed(to: SocketAddr, stop: Arc<AtomicBool>, c: Arc<Counts>) {
    let Ok(mut s) = dial(Ipv4Addr::new(127, 0, 0, 5), to).await else {
        return;
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    if login(&mut s, &connect_frame("900004", b"444444")).await != Some(0) {
        eprintln!("malformed: login refused");
        return;
    }
    let good = Submit {
        pk_total: 1,
        pk_number: 1,
        dest_terminal_ids: vec![OctetString::try_from("13800138000").expect("fits")],
        msg_fmt: MsgFmt::Ascii,
        msg_content: Bytes::from_static(b"x"),
        ..Submit::default()
    };
    let frame = Packet::new(2, good)
        .to_bytes(Version::V30)
        .expect("encodes");
    let mut bad = BytesMut::from(&frame[..]);
    bad[140] = 50; // DestUsr_tl beyond the body
    let (mut rd, mut wr) = s.into_split();
    let c2 = c.clone();
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut pending = BytesMut::new();
        while let Ok(n) = rd.read(&mut buf).await {
            if n == 0 {
                break;
            }
            pending.extend_from_slice(&buf[..n]);
            while pending.len() >= 12 {
                let len = u32::from_be_bytes([pending[0], pending[1], pending[2], pending[3]]);
                let len = len as usize;
                if pending.len() < len {
                    break;
                }
                let p = pending.split_to(len);
                if p[4..8] == [0x80, 0, 0, 4] {
                    c2.malformed_answered.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    while !stop.load(Ordering::Relaxed) {
        if wr.write_all(&bad).await.is_err() {
            break;
        }
        c.malformed_sent.fetch_add(1, Ordering::Relaxed);
        if c.malformed_sent.load(Ordering::Relaxed) % 64 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    reader.abort();
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let min_secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let accounts = InMemoryAccounts::new();
    for (sp, secret) in [
        ("900001", "111111"),
        ("900002", "222222"),
        ("900003", "333333"),
        ("900004", "444444"),
    ] {
        let mut a = Account::new(sp, secret.as_bytes().to_vec());
        a.window = 64;
        a.max_connections = 64;
        accounts.insert(a);
    }
    let config = {
        let mut v = ServerConfig::default();
        v.write_deadline = Duration::from_secs(5);
        v
    };
    let run = Running::bind(
        "127.0.0.1:0".parse().expect("addr"),
        config,
        Arc::new(accounts),
        &SimProfile::default(),
    )
    .await
    .expect("bind");
    let to = run.local_addr();
    let rss_start = rss_kb();
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let peak = Arc::new(AtomicU64::new(rss_start));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kb(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };

    // The normal sender logs in first, from 127.0.0.1.
    let cfg = ClientConfig::builder(to, "900001", b"111111".to_vec())
        .window(16)
        .lifecycle_events(false)
        .event_capacity(65_536)
        .build();
    let client = Arc::new(Client::connect(cfg).await.expect("sender login"));
    let mut ev = client.events().expect("events");
    let reports = Arc::new(AtomicU64::new(0));
    let r2 = reports.clone();
    let report_task = tokio::spawn(async move {
        while let Some(e) = ev.recv().await {
            if matches!(e, ClientEvent::Report { .. }) {
                r2.fetch_add(1, Ordering::Relaxed);
            }
        }
    });

    let mut hostile = Vec::new();
    for _ in 0..20 {
        hostile.push(tokio::spawn(deaf(to, stop.clone(), counts.clone())));
    }
    hostile.push(tokio::spawn(replayer(to, stop.clone(), counts.clone())));
    for _ in 0..4 {
        hostile.push(tokio::spawn(guesser(to, stop.clone(), counts.clone())));
    }
    hostile.push(tokio::spawn(malformed(to, stop.clone(), counts.clone())));

    let t0 = Instant::now();
    // At most 1,000 submits in the air, so the harness's own memory does not grow with N.
    let gate = Arc::new(tokio::sync::Semaphore::new(1000));
    // Outcomes are counted by the tasks themselves: holding 100,000 JoinHandles would keep
    // every finished task's memory alive and the figure would measure the harness.
    let results: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
    for i in 0..n {
        let client = client.clone();
        let results = results.clone();
        let permit = gate.clone().acquire_owned().await.expect("open");
        tokio::spawn(async move {
            let _permit = permit;
            let req = SubmitRequest::message(
                format!("m{i}"),
                &["13800138000"],
                &b"soak"[..],
                MsgFmt::Ascii,
            )
            .expect("valid")
            .registered_delivery(1);
            let slot = match client.submit(req).await {
                Ok(o) if o.result == SubmitResult::Ok => 0,
                Ok(_) => 1,
                Err(_) => 2,
            };
            results[slot].fetch_add(1, Ordering::Relaxed);
        });
    }
    // Every permit back: every submit finished.
    let _all = gate.acquire_many(1000).await.expect("open");
    let [ok, other, unanswered] = [0, 1, 2].map(|i| results[i].load(Ordering::Relaxed));
    let sent_in = t0.elapsed();
    while t0.elapsed() < Duration::from_secs(min_secs) || reports.load(Ordering::Relaxed) < ok {
        if t0.elapsed() > Duration::from_secs(min_secs + 30) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for h in hostile {
        let _ = tokio::time::timeout(Duration::from_secs(7), h).await;
    }
    let _ = sampler.await;
    let g = run.handle().stats();
    let c = &counts;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!("sender: {n} messages in {sent_in:.1?}: {ok} Result 0, {other} other results, {unanswered} unanswered; {} reports received", get(&reports));
    println!(
        "never-reading peers: {} logins, {} dropped by the gateway",
        get(&c.deaf_logins),
        get(&c.deaf_dropped)
    );
    println!(
        "replayed CONNECT: {} refused, {} accepted",
        get(&c.replays_refused),
        get(&c.replays_accepted)
    );
    println!(
        "password guesses: {} tried, {} accepted",
        get(&c.guesses),
        get(&c.guesses_accepted)
    );
    println!(
        "malformed SUBMITs: {} sent, {} answered",
        get(&c.malformed_sent),
        get(&c.malformed_answered)
    );
    println!(
        "gateway: logins ok {} failed {}, submits {} (invalid {}), results {:?}, delivers sent {} acked {} lost {} pending {}, protocol errors {}",
        g.logins_ok, g.logins_failed, g.submits, g.submits_invalid, g.submit_resp_by_result,
        g.delivers_sent, g.delivers_acked, g.delivers_failed, g.delivers_pending(), g.protocol_errors
    );
    println!(
        "memory: RSS {} MB at start, peak {} MB, {} MB at end ({:.0?} of hostile traffic)",
        rss_start / 1024,
        get(&peak) / 1024,
        rss_kb() / 1024,
        t0.elapsed()
    );
    client.close(Duration::from_secs(2)).await;
    report_task.abort();
    run.shutdown().await;
    let pass = unanswered == 0
        && ok == n as u64
        && get(&c.replays_accepted) == 0
        && get(&c.guesses_accepted) == 0;
    if !pass {
        eprintln!("FAILED: messages unanswered or an attack got in");
        std::process::exit(1);
    }
}
