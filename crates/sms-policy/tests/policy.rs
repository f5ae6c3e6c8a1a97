//! The policy as a whole: each check alone, order, configuration, unsubscribe, journal events.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sms_policy::{
    refusal_event, Check, KeywordMatcher, MobileNumber, NumberSet, OutgoingMessage, Policy,
    PolicyError, PrefixTable, RateLimit, RateLimiter,
};
use sms_records::{Category, EventKind};
use std::path::Path;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 3, 2, 0, 0).unwrap()
}

fn msg(src: &str, dest: &str, category: Category, text: &str) -> OutgoingMessage {
    OutgoingMessage {
        src: src.into(),
        dest: dest.into(),
        category,
        text: text.into(),
    }
}

fn ok_msg() -> OutgoingMessage {
    msg(
        "1212311001",
        "13800138000",
        Category::Notice,
        "您的车辆违章已处理",
    )
}

fn n(s: &str) -> MobileNumber {
    MobileNumber::parse(s).unwrap()
}

fn refused(p: &Policy, m: &OutgoingMessage) -> (Check, String) {
    let r = p.check(m, now()).expect_err("should be refused");
    (r.check, r.reason)
}

#[test]
fn defaults_accept_a_good_message() {
    let p = Policy::new();
    let a = p.check(&ok_msg(), now()).unwrap();
    assert_eq!(a.normalized_dest, n("13800138000"));
    let mut m = ok_msg();
    m.dest = "+8613800138000".into();
    assert_eq!(
        p.check(&m, now()).unwrap().normalized_dest,
        n("13800138000")
    );
}

#[test]
fn calling_number_check() {
    let p = Policy::new();
    for (src, needle) in [
        ("", "no calling number"),
        ("106575", "not under the access number 121231100"),
        ("1212311001234567890123", "longer than 21"),
        ("121231100ab", "not a digit"),
    ] {
        let (check, reason) = refused(&p, &msg(src, "13800138000", Category::Notice, "hi"));
        assert_eq!(check, Check::CallingNumber, "{src}");
        assert!(reason.contains(needle), "{src}: {reason}");
        assert!(reason.contains("clause 2.6"), "{reason}");
    }
    // Exactly 21 bytes under the access number is fine.
    let src21 = format!("121231100{}", "1".repeat(12));
    assert!(p
        .check(&msg(&src21, "13800138000", Category::Notice, "hi"), now())
        .is_ok());
    let off = Policy::new().without(Check::CallingNumber);
    assert!(off
        .check(&msg("", "13800138000", Category::Notice, "hi"), now())
        .is_ok());
}

#[test]
fn destination_format_check() {
    let p = Policy::new();
    for dest in [
        "",
        "1380013800",
        "138001380000",
        "013800138000",
        "abc",
        "138 0013 8000",
    ] {
        let (check, reason) = refused(&p, &msg("121231100", dest, Category::Notice, "hi"));
        assert_eq!(check, Check::DestinationFormat, "{dest}");
        assert!(reason.contains("not a mainland mobile number"), "{reason}");
    }
    // Cannot be turned off.
    let p = Policy::new().without(Check::DestinationFormat);
    assert!(p.is_enabled(Check::DestinationFormat));
}

#[test]
fn carrier_check_with_ported_numbers() {
    let p = Policy::new();
    let (check, reason) = refused(&p, &msg("121231100", "13012345678", Category::Notice, "hi"));
    assert_eq!(check, Check::Carrier);
    assert!(reason.contains("China Mobile"), "{reason}");
    let p = Policy::new().with_carrier(
        PrefixTable::china_mobile(),
        NumberSet::from_numbers([n("13012345678")]),
        NumberSet::from_numbers([n("13800138000")]),
    );
    assert!(p
        .check(
            &msg("121231100", "13012345678", Category::Notice, "hi"),
            now()
        )
        .is_ok());
    let (check, reason) = refused(&p, &ok_msg());
    assert_eq!(check, Check::Carrier);
    assert!(reason.contains("ported out"), "{reason}");
}

#[test]
fn subscription_check_opt_out_wins() {
    let p = Policy::new().with_opt_in(NumberSet::from_numbers([
        n("13800138000"),
        n("13900139000"),
    ]));
    assert!(p.check(&ok_msg(), now()).is_ok());
    let (check, reason) = refused(&p, &msg("121231100", "13700137000", Category::Notice, "hi"));
    assert_eq!(check, Check::Subscription);
    assert!(reason.contains("has not subscribed"), "{reason}");
    let p = p.with_opt_out(NumberSet::from_numbers([n("13800138000")]));
    let (check, reason) = refused(&p, &ok_msg());
    assert_eq!(check, Check::Subscription);
    assert!(reason.contains("unsubscribed"), "{reason}");
    assert!(p
        .check(
            &msg("121231100", "13900139000", Category::Notice, "hi"),
            now()
        )
        .is_ok());
}

#[test]
fn content_check_keywords_and_advertising() {
    let p = Policy::new().with_content(
        KeywordMatcher::new(["免费领取", "ＦＲＥＥ"]).unwrap(),
        false,
    );
    let (check, reason) = refused(
        &p,
        &msg(
            "121231100",
            "13800138000",
            Category::Notice,
            "Get it free now",
        ),
    );
    assert_eq!(check, Check::Content);
    assert!(reason.contains("ＦＲＥＥ"), "{reason}");
    let (check, reason) = refused(
        &p,
        &msg(
            "121231100",
            "13800138000",
            Category::Advertising,
            "新店开业",
        ),
    );
    assert_eq!(check, Check::Content);
    assert!(reason.contains("clause 2.2"), "{reason}");
    let p = p.with_content(KeywordMatcher::new(["免费领取"]).unwrap(), true);
    assert!(p
        .check(
            &msg(
                "121231100",
                "13800138000",
                Category::Advertising,
                "新店开业"
            ),
            now()
        )
        .is_ok());
}

#[test]
fn rate_check_counts_only_recorded_messages() {
    let limits = [RateLimit::new(Category::Verification, 2, Duration::hours(1)).unwrap()];
    let mut p = Policy::new().with_rate(RateLimiter::new(limits));
    let m = msg(
        "121231100",
        "+8613800138000",
        Category::Verification,
        "验证码 1234",
    );
    // check alone never counts.
    for _ in 0..5 {
        assert!(p.check(&m, now()).is_ok());
    }
    p.admit(&m, now()).unwrap();
    let a = p.check(&m, now()).unwrap();
    p.record_sent(a.normalized_dest, m.category, now());
    let (check, reason) = refused(&p, &m);
    assert_eq!(check, Check::Rate);
    assert!(
        reason.contains("2 verification message(s) within 1 hour(s)"),
        "{reason}"
    );
    assert!(reason.contains("2025-11-03T11:00:00+08:00"), "{reason}");
    assert!(p.check(&m, now() + Duration::hours(1)).is_ok());
}

#[test]
fn first_refusal_wins_in_order() {
    let limits = [RateLimit::new(Category::Advertising, 1, Duration::hours(1)).unwrap()];
    let mut rate = RateLimiter::new(limits);
    rate.record(n("13012345678"), Category::Advertising, now());
    let p = Policy::new()
        .with_opt_in(NumberSet::new())
        .with_content(KeywordMatcher::new(["spam"]).unwrap(), false)
        .with_rate(rate);
    // Everything wrong: each check, turned off in turn, reveals the next one.
    let m = msg("999", "13012345678", Category::Advertising, "SPAM");
    let mut p = p;
    for check in Check::ALL {
        if check == Check::DestinationFormat {
            continue;
        }
        let r = p.check(&m, now()).unwrap_err();
        assert_eq!(r.check, check);
        p = p.without(check);
    }
    assert!(p.check(&m, now()).is_ok());
    // A bad destination is reported before the carrier, subscription and content checks.
    let p = Policy::new().with_opt_in(NumberSet::new());
    let r = p
        .check(
            &msg("121231100", "12345", Category::Advertising, "spam"),
            now(),
        )
        .unwrap_err();
    assert_eq!(r.check, Check::DestinationFormat);
}

#[test]
fn refusal_becomes_a_journal_event() {
    let p = Policy::new();
    let m = msg("106", "13800138000", Category::Verification, "1234");
    let r = p.check(&m, now()).unwrap_err();
    let e = refusal_event(&m, &r, "L-1", now());
    assert_eq!(e.at, now());
    assert_eq!(e.local_id.as_deref(), Some("L-1"));
    match e.kind {
        EventKind::Refused {
            info,
            check,
            reason,
        } => {
            assert_eq!(check, "calling_number");
            assert_eq!(reason, r.reason);
            assert_eq!(info.src, "106");
            assert_eq!(info.dest, "13800138000");
            assert_eq!(info.category, Category::Verification);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn unsubscribe_replies_update_and_persist_the_opt_out_list() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("opt-out.txt");
    std::fs::write(&file, "# opt-out\n13700137000\n").unwrap();
    let mut p = Policy::new()
        .with_opt_in(NumberSet::from_numbers([
            n("13800138000"),
            n("13900139000"),
        ]))
        .with_opt_out(NumberSet::load(&file).unwrap())
        .with_opt_out_file(&file);
    assert!(p.check(&ok_msg(), now()).is_ok());
    // Not an unsubscribe: whole-message match only.
    assert_eq!(
        p.handle_user_message("13800138000", "TD请问", now())
            .unwrap(),
        None
    );
    assert_eq!(
        p.handle_user_message("13800138000", "好的", now()).unwrap(),
        None
    );
    let change = p
        .handle_user_message("+8613800138000", "  ｔｄ　", now())
        .unwrap()
        .expect("an opt-out");
    assert_eq!(change.number, "13800138000");
    assert_eq!(change.word, "ｔｄ");
    assert_eq!(change.at, now());
    let line: serde_json::Value = serde_json::from_str(&change.to_json_line()).unwrap();
    assert_eq!(line["number"], "13800138000");
    assert!(change.to_string().contains("2025-11-03T10:00:00+08:00"));
    let (check, _) = refused(&p, &ok_msg());
    assert_eq!(check, Check::Subscription);
    // Already opted out: no new change.
    assert_eq!(
        p.handle_user_message("13800138000", "退订", now()).unwrap(),
        None
    );
    assert!(p
        .handle_user_message("13900139000", "退订", now())
        .unwrap()
        .is_some());
    // Persisted: a reload sees all three numbers.
    let reloaded = NumberSet::load(&file).unwrap();
    assert_eq!(reloaded.len(), 3);
    assert!(reloaded.contains(n("13800138000")) && reloaded.contains(n("13900139000")));
    // An unsubscribe from a non-mobile sender is a typed error.
    let err = p.handle_user_message("10086", "T", now()).unwrap_err();
    assert!(matches!(err, PolicyError::OptOutNumber { .. }), "{err}");
    // Custom words replace the defaults.
    let mut p = Policy::new().with_unsubscribe_words(["STOP"]);
    assert_eq!(
        p.handle_user_message("13800138000", "TD", now()).unwrap(),
        None
    );
    assert!(p
        .handle_user_message("13800138000", "stop", now())
        .unwrap()
        .is_some());
}

#[test]
fn example_file_parses_and_behaves() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policy.example.toml");
    let mut p = Policy::from_toml_file(&path).unwrap();
    for c in Check::ALL {
        assert!(p.is_enabled(c), "{c}");
    }
    assert_eq!(p.opt_in().unwrap().len(), 2);
    assert_eq!(p.rate().unwrap().limits().count(), 2);
    let (check, _) = refused(
        &p,
        &msg("121231100", "13800138000", Category::Notice, "恭喜中奖"),
    );
    assert_eq!(check, Check::Content);
    let code = msg(
        "121231100",
        "13900139000",
        Category::Verification,
        "验证码 1234",
    );
    for _ in 0..5 {
        p.admit(&code, now()).unwrap();
    }
    assert_eq!(p.check(&code, now()).unwrap_err().check, Check::Rate);
}

#[test]
fn rate_state_survives_restart_through_the_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = r#"
[rate]
state_file = "state/rate.json"
[[rate.limit]]
category = "verification"
max = 1
window = "10m"
"#;
    std::fs::create_dir(dir.path().join("state")).unwrap();
    let mut p = Policy::from_toml_str(cfg, "inline.toml", dir.path()).unwrap();
    let m = msg("121231100", "13800138000", Category::Verification, "1234");
    p.admit(&m, now()).unwrap();
    p.save_state().unwrap();
    assert!(dir.path().join("state/rate.json").exists());
    let p = Policy::from_toml_str(cfg, "inline.toml", dir.path()).unwrap();
    assert_eq!(
        p.check(&m, now() + Duration::minutes(9)).unwrap_err().check,
        Check::Rate
    );
    assert!(p.check(&m, now() + Duration::minutes(10)).is_ok());
}

#[test]
fn config_files_and_lists_are_loaded_relative_to_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), "13800138000\n13012345678\n").unwrap();
    std::fs::write(dir.path().join("kw.txt"), "# words\n抽奖\n").unwrap();
    std::fs::write(dir.path().join("pre.txt"), "130\n").unwrap();
    let cfg = r#"
[calling_number]
access_number = "10690"
[carrier]
prefixes_file = "pre.txt"
[subscription]
opt_in_file = "in.txt"
[content]
keywords_file = "kw.txt"
keywords = ["extra"]
"#;
    let p = Policy::from_toml_str(cfg, "p.toml", dir.path()).unwrap();
    assert!(p
        .check(&msg("106901", "13012345678", Category::Notice, "hi"), now())
        .is_ok());
    // 138 is no longer a served range with the replacement prefix file.
    assert_eq!(
        refused(&p, &msg("106901", "13800138000", Category::Notice, "hi")).0,
        Check::Carrier
    );
    assert_eq!(
        refused(
            &p,
            &msg("106901", "13012345678", Category::Notice, "来抽奖")
        )
        .0,
        Check::Content
    );
    assert_eq!(
        refused(&p, &msg("106901", "13012345678", Category::Notice, "EXTRA")).0,
        Check::Content
    );
    assert_eq!(
        refused(&p, &msg("121231100", "13012345678", Category::Notice, "hi")).0,
        Check::CallingNumber
    );
}

#[test]
fn malformed_config_names_file_line_and_field() {
    let base = Path::new(".");
    let cases = [
        (
            "[rate]\n[[rate.limit]]\ncategory = \"verification\"\nmax = 5\nwindow = \"1w\"\n",
            "p.toml:5: rate.limit[0].window: unknown unit",
        ),
        (
            "[rate]\n[[rate.limit]]\ncategory = \"sms\"\nmax = 5\nwindow = \"1h\"\n",
            "p.toml:3: rate.limit[0].category: unknown category",
        ),
        (
            "[rate]\n[[rate.limit]]\ncategory = \"notice\"\nmax = 0\nwindow = \"1h\"\n",
            "p.toml:4: rate.limit[0].max: max must be",
        ),
        (
            "[content]\nkeyword = [\"x\"]\n",
            "p.toml:2: keyword: unknown field",
        ),
        (
            "[subscription]\nopt_in = [\"13800138000\", \"12\"]\n",
            "p.toml:2: subscription.opt_in[1]: `12`",
        ),
        (
            "[calling_number]\naccess_number = \"12a\"\n",
            "p.toml:2: calling_number.access_number: must be",
        ),
        (
            "[calling_number]\nmax_len = 40\n",
            "p.toml:2: calling_number.max_len",
        ),
        (
            "[carrier]\nprefixes = [\"9\"]\n",
            "p.toml:2: carrier.prefixes[0]",
        ),
        (
            "[content]\nkeywords = [\" \"]\n",
            "p.toml:2: content.keywords[0]: empty keyword",
        ),
        ("[rate\n", "p.toml:1:"),
        (
            "[content]\nallow_advertising = \"yes\"\n",
            "p.toml:2: allow_advertising: invalid type",
        ),
    ];
    for (text, want) in cases {
        let err = Policy::from_toml_str(text, "p.toml", base).unwrap_err();
        assert!(matches!(err, PolicyError::Config { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.starts_with(want), "got {msg:?}, want prefix {want:?}");
    }
    let err = Policy::from_toml_str(
        "[subscription]\nopt_in_file = \"missing.txt\"\n",
        "p.toml",
        base,
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::Io { .. }), "{err}");
}

/// What a bench needs: a policy built in code with many keywords and a large opt-in set.
#[test]
fn programmatic_policy_with_many_keywords_and_numbers() {
    let keywords: Vec<String> = (0..10_000).map(|i| format!("禁{i}词")).collect();
    let opt_in: NumberSet = (0..100_000u64)
        .map(|i| MobileNumber::from_u64(13_800_000_000 + i * 7).unwrap())
        .collect();
    let p = Policy::new()
        .with_content(KeywordMatcher::new(keywords).unwrap(), false)
        .with_opt_in(opt_in);
    let m = msg(
        "121231100",
        "13800000700",
        Category::Notice,
        "【12123】您的机动车有一条新的违法记录，请及时处理。",
    );
    assert!(p.check(&m, now()).is_ok());
    let m2 = msg("121231100", "13800000701", Category::Notice, "hi");
    assert_eq!(p.check(&m2, now()).unwrap_err().check, Check::Subscription);
    let m3 = msg("121231100", "13800000700", Category::Notice, "含禁9999词");
    assert_eq!(p.check(&m3, now()).unwrap_err().check, Check::Content);
}

#[test]
fn policy_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>(_: &T) {}
    let p = Policy::new();
    shared(&p);
    let p = std::sync::Arc::new(p);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let p = std::sync::Arc::clone(&p);
            std::thread::spawn(move || p.check(&ok_msg(), now()).is_ok())
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap());
    }
}

#[test]
fn the_carrier_check_is_a_route_to_a_carrier_with_a_contract() {
    use sms_policy::Carrier;
    let p = Policy::new();
    assert_eq!(p.contracts(), [Carrier::ChinaMobile]);
    let dest = |d: &str| msg("121231100", d, Category::Notice, "hi");
    assert_eq!(
        refused(&p, &dest("13300000000")),
        (
            Check::Carrier,
            "no route: 13300000000 is China Telecom's and no China Telecom contract is configured (contracts: China Mobile)".to_string()
        )
    );
    assert_eq!(
        refused(&p, &dest("13012345678")).1,
        "no route: 13012345678 is China Unicom's and no China Unicom contract is configured (contracts: China Mobile)"
    );
    assert_eq!(
        refused(&p, &dest("19212345678")).1,
        "no route: 19212345678 is in no carrier's number ranges (contracts: China Mobile)"
    );
    // The route is known whether or not there is a contract.
    assert_eq!(p.route(n("13300000000")), Some(Carrier::ChinaTelecom));
    assert_eq!(p.route_dest("+86 130-1234-5678"), None, "strict format");
    assert_eq!(p.route_dest("+8613012345678"), Some(Carrier::ChinaUnicom));
    assert_eq!(
        p.check(&ok_msg(), now()).unwrap().carrier,
        Some(Carrier::ChinaMobile)
    );

    let p = Policy::new().with_contract(Carrier::ChinaUnicom);
    assert_eq!(p.contracts(), [Carrier::ChinaMobile, Carrier::ChinaUnicom]);
    let a = p.check(&dest("13012345678"), now()).unwrap();
    assert_eq!(a.carrier, Some(Carrier::ChinaUnicom));
    assert_eq!(refused(&p, &dest("18912345678")).0, Check::Carrier);
    assert!(refused(&p, &dest("18912345678"))
        .1
        .ends_with("(contracts: China Mobile, China Unicom)"));

    // Telecom only: China Mobile's subscribers are refused too.
    let p = Policy::new().with_contracts([Carrier::ChinaTelecom]);
    assert!(p.check(&dest("18912345678"), now()).is_ok());
    assert_eq!(
        refused(&p, &dest("13800138000")).1,
        "no route: 13800138000 is China Mobile's and no China Mobile contract is configured (contracts: China Telecom)"
    );

    // With the check off every number passes; the route is still given where there is one.
    let p = Policy::new().without(Check::Carrier);
    assert!(p.contracts().is_empty());
    assert_eq!(p.check(&dest("19212345678"), now()).unwrap().carrier, None);
    assert_eq!(
        p.check(&dest("13300000000"), now()).unwrap().carrier,
        Some(Carrier::ChinaTelecom)
    );
}

#[test]
fn a_ported_number_goes_to_its_new_carrier() {
    use sms_policy::{Carrier, Routes};
    let routes = Routes::new()
        .with_ported(n("13300000000"), Carrier::ChinaMobile)
        .with_ported(n("13800000009"), Carrier::ChinaUnicom);
    let p = Policy::new().with_routes(routes);
    let dest = |d: &str| msg("121231100", d, Category::Notice, "hi");
    assert_eq!(
        p.check(&dest("13300000000"), now()).unwrap().carrier,
        Some(Carrier::ChinaMobile)
    );
    assert_eq!(
        refused(&p, &dest("13800000009")).1,
        "no route: 13800000009 was ported to China Unicom and no China Unicom contract is configured (contracts: China Mobile)"
    );
    // The refusal's journal event names the carrier the number routes to.
    let m = dest("13800000009");
    let r = p.check(&m, now()).unwrap_err();
    match p.refusal_event(&m, &r, "L1", now()).kind {
        EventKind::Refused { info, check, .. } => {
            assert_eq!(
                (info.carrier, check.as_str()),
                (Carrier::ChinaUnicom, "carrier")
            );
        }
        other => panic!("{other:?}"),
    }
    match refusal_event(&m, &r, "L1", now()).kind {
        EventKind::Refused { info, .. } => assert_eq!(info.carrier, Carrier::ChinaMobile),
        other => panic!("{other:?}"),
    }
}

#[test]
fn routes_and_contracts_come_from_the_policy_file() {
    use sms_policy::Carrier;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ported.txt"),
        "# number carrier\n13300000002 mobile # moved 2025-06\n13800000003   telecom\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("tel.txt"), "133\n").unwrap();
    let cfg = r#"
[carrier]
contracts = ["mobile", "telecom"]
ported_in = ["13000000001"]
ported_file = "ported.txt"
[carrier.telecom]
prefixes_file = "tel.txt"
prefixes = ["1890"]
[carrier.unicom]
prefixes = ["155"]
[carrier.ported]
"13000000001" = "unicom"
"+8613900000004" = "telecom"
"#;
    let p = Policy::from_toml_str(cfg, "p.toml", dir.path()).unwrap();
    assert_eq!(p.contracts(), [Carrier::ChinaMobile, Carrier::ChinaTelecom]);
    let route = |d: &str| p.route(n(d));
    assert_eq!(
        route("13312345678"),
        Some(Carrier::ChinaTelecom),
        "from tel.txt"
    );
    assert_eq!(
        route("18901234567"),
        Some(Carrier::ChinaTelecom),
        "added inline"
    );
    assert_eq!(route("18912345678"), None, "the built-in list was replaced");
    assert_eq!(route("15512345678"), Some(Carrier::ChinaUnicom));
    assert_eq!(route("13012345678"), None, "unicom's list is [155] only");
    assert_eq!(
        route("13000000001"),
        Some(Carrier::ChinaUnicom),
        "the table wins over ported_in"
    );
    assert_eq!(
        route("13300000002"),
        Some(Carrier::ChinaMobile),
        "ported file"
    );
    assert_eq!(
        route("13800000003"),
        Some(Carrier::ChinaTelecom),
        "ported file"
    );
    assert_eq!(
        route("13900000004"),
        Some(Carrier::ChinaTelecom),
        "ported table"
    );
    assert_eq!(
        route("13800138000"),
        Some(Carrier::ChinaMobile),
        "built-in mobile"
    );
    assert!(p
        .check(
            &msg("121231100", "13312345678", Category::Notice, "hi"),
            now()
        )
        .is_ok());
    assert_eq!(
        refused(&p, &msg("121231100", "13000000001", Category::Notice, "hi")).0,
        Check::Carrier
    );
    // Without `contracts`, China Mobile only, as before; routes are kept when the check is off.
    let p = Policy::from_toml_str(
        "[carrier]\nenabled = false\n[carrier.ported]\n\"13800000001\" = \"unicom\"\n",
        "p.toml",
        dir.path(),
    )
    .unwrap();
    assert!(!p.is_enabled(Check::Carrier));
    assert_eq!(p.route(n("13800000001")), Some(Carrier::ChinaUnicom));
    let p = Policy::from_toml_str(
        "[carrier]\nported_out = [\"13800000001\"]\n",
        "p.toml",
        dir.path(),
    )
    .unwrap();
    assert_eq!(p.contracts(), [Carrier::ChinaMobile]);
    assert!(
        refused(&p, &msg("121231100", "13800000001", Category::Notice, "hi"))
            .1
            .contains("ported out of China Mobile")
    );

    for (text, needle) in [
        ("[carrier]\ncontracts = [\"cmcc\"]\n", "p.toml:2: carrier.contracts[0]: unknown carrier `cmcc` (use mobile, unicom or telecom)"),
        ("[carrier.unicon]\nprefixes = [\"130\"]\n", "unknown field `unicon`"),
        ("[carrier.telecom]\nprefix = [\"133\"]\n", "unknown field `prefix`"),
        ("[carrier.telecom]\nprefixes = [\"33\"]\n", "p.toml:2: carrier.telecom.prefixes[0]: `33` is not a prefix"),
        ("[carrier.ported]\n\"13800000001\" = \"mars\"\n", "p.toml:2: carrier.ported.\"13800000001\": unknown carrier `mars`"),
        ("[carrier.ported]\n\"1380000\" = \"unicom\"\n", "p.toml:2: carrier.ported.\"1380000\": `1380000`"),
    ] {
        let err = Policy::from_toml_str(text, "p.toml", dir.path()).unwrap_err().to_string();
        assert!(err.contains(needle), "{text:?}: {err}");
    }
    std::fs::write(
        dir.path().join("bad.txt"),
        "13300000002 mobile\n13300000003\n",
    )
    .unwrap();
    let err = Policy::from_toml_str(
        "[carrier]\nported_file = \"bad.txt\"\n",
        "p.toml",
        dir.path(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with(
            "bad.txt:2: `13300000003` is not `NUMBER CARRIER` (e.g. `13300000001 mobile`)"
        ),
        "{err}"
    );
}

#[test]
fn a_dry_run_tells_each_accepted_message_its_carrier() {
    use sms_policy::dryrun::{dry_run, NumberedMessage};
    use sms_policy::Carrier;
    let mut p = Policy::new().with_contract(Carrier::ChinaTelecom);
    let messages: Vec<NumberedMessage> =
        ["13800138000", "18912345678", "13012345678", "13300000000"]
            .iter()
            .enumerate()
            .map(|(i, d)| NumberedMessage {
                line: i + 2,
                message: msg("121231100", d, Category::Notice, "hi"),
            })
            .collect();
    let (verdicts, summary) = dry_run(&mut p, &messages, now());
    let carriers: Vec<Option<Carrier>> = verdicts.iter().map(|v| v.carrier).collect();
    assert_eq!(
        carriers,
        [
            Some(Carrier::ChinaMobile),
            Some(Carrier::ChinaTelecom),
            None,
            Some(Carrier::ChinaTelecom)
        ]
    );
    assert_eq!(summary.accepted, 3);
    assert_eq!(summary.refused.get(&Check::Carrier), Some(&1));
    assert_eq!(
        summary.accepted_by_carrier.into_iter().collect::<Vec<_>>(),
        [(Carrier::ChinaMobile, 1), (Carrier::ChinaTelecom, 2)]
    );
    let json = serde_json::to_value(&verdicts[1]).unwrap();
    assert_eq!(json["carrier"], "telecom");
    assert!(serde_json::to_value(&verdicts[2])
        .unwrap()
        .get("carrier")
        .is_none());
}
