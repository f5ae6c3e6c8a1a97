//! The demo's traffic: the 12123 platform's kinds of message, generated from a seed.

use sms_records::{Carrier, Category};
use sms_sender::OutgoingSms;

/// The calling number of every demo message: the contract's access number plus a service
/// suffix (clause 2.6).
pub const SRC_ID: &str = "1212311001";

/// A small deterministic generator (SplitMix64): the demo must give the same traffic for the
/// same seed on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// China Mobile prefixes the destinations are drawn from.
const CMCC: &[&str] = &[
    "134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "182",
    "183", "187", "188", "198",
];
/// Another carrier's prefix: the policy's carrier check refuses these (the contract covers
/// only Party B's subscribers).
const OTHER: &[&str] = &["133", "153", "189"];
const UNICOM: &[&str] = &["130", "131", "132", "155", "156", "166", "185", "186"];
const TELECOM: &[&str] = &["133", "153", "177", "180", "181", "189", "199"];
/// China Broadnet's segment: no carrier of the demo routes it.
const NO_ROUTE: &[&str] = &["192"];
const PLATES: &[&str] = &[
    "京A·9K2X7",
    "京N·3F8L1",
    "京Q·7B5M2",
    "京E·1C6T9",
    "京P·5H3D8",
];
const ROADS: &[&str] = &[
    "长安街复兴门桥",
    "东三环国贸桥",
    "京藏高速回龙观段",
    "北四环学院桥",
    "京港澳高速杜家坎",
];

fn number(rng: &mut Rng, prefixes: &[&str]) -> String {
    // Numbers ending in 137001–137003 are the simulator's MO senders: keep clear of them.
    format!("{}{:08}", rng.pick(prefixes), rng.below(100_000_000))
}

/// `count` messages for the 12123 platform: verification codes (60 %), traffic-violation
/// notices that need two or three segments (25 %), and licence prompts (15 %, a third of them
/// group sends); about 1 % go to another carrier's numbers.
/// `count` messages to numbers of the `carriers` the demo has a gateway for (about one in
/// seven to each other carrier's numbers), and about one in a hundred to a number no
/// carrier of the demo serves (refused: "no route").
pub fn generate(seed: u64, count: usize, carriers: &[Carrier]) -> Vec<OutgoingSms> {
    let mut rng = Rng(seed);
    let unicom = carriers.contains(&Carrier::ChinaUnicom);
    let telecom = carriers.contains(&Carrier::ChinaTelecom);
    // With China Telecom served, its numbers are no longer refused: another segment is.
    let other = if telecom { NO_ROUTE } else { OTHER };
    (0..count)
        .map(|_| {
            let dest = |rng: &mut Rng| {
                let roll = rng.below(100);
                if roll == 0 {
                    number(rng, other)
                } else if unicom && roll < 15 {
                    number(rng, UNICOM)
                } else if telecom && roll > 85 {
                    number(rng, TELECOM)
                } else {
                    number(rng, CMCC)
                }
            };
            let kind = rng.below(100);
            if kind < 60 {
                let code = rng.below(1_000_000);
                OutgoingSms {
                    src: SRC_ID.into(),
                    dests: vec![dest(&mut rng)],
                    text: format!("【交管12123】您的验证码是{code:06}，5分钟内有效。请勿向他人泄露。"),
                    category: Category::Verification,
                    group_send: false,
                }
            } else if kind < 85 {
                let plate = rng.pick(PLATES);
                let road = rng.pick(ROADS);
                let day = 1 + rng.below(28);
                let hour = rng.below(24);
                OutgoingSms {
                    src: SRC_ID.into(),
                    dests: vec![dest(&mut rng)],
                    text: format!(
                        "【交管12123】尊敬的机动车所有人：您的小型汽车（{plate}）于2026年2月{day}日{hour}时在{road}有超速行驶的交通违法行为，已被交通技术监控设备记录。请您于15日内通过交管12123 App或到就近的违法处理窗口接受处理。逾期未处理的，将依法处理。如有疑问请拨打122咨询。"
                    ),
                    category: Category::Notice,
                    group_send: false,
                }
            } else {
                let group = rng.below(3) == 0;
                let dests = (0..if group { 2 + rng.below(4) } else { 1 })
                    .map(|_| dest(&mut rng))
                    .collect();
                let month = 4 + rng.below(6);
                OutgoingSms {
                    src: SRC_ID.into(),
                    dests,
                    text: format!("【交管12123】您的机动车驾驶证将于2026年{month}月到期，请在有效期满前90日内申请换证，可通过交管12123 App在线办理。"),
                    category: Category::Prompt,
                    group_send: group,
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_traffic_and_a_realistic_mix() {
        let all = Carrier::ALL;
        let a = generate(7, 1000, &all);
        assert_eq!(a, generate(7, 1000, &all));
        assert_ne!(a, generate(8, 1000, &all));
        let verification = a
            .iter()
            .filter(|m| m.category == Category::Verification)
            .count();
        assert!((520..680).contains(&verification), "{verification}");
        assert!(a.iter().any(|m| m.group_send && m.dests.len() > 1));
        assert!(
            a.iter().any(|m| m.text.chars().count() > 70),
            "some long messages"
        );
        assert!(a.iter().all(|m| m.dests.iter().all(|d| d.len() == 11)));
    }

    #[test]
    fn each_served_carrier_gets_its_share_and_the_rest_goes_nowhere() {
        let prefix = |d: &str, list: &[&str]| list.iter().any(|p| d.starts_with(p));
        let dests = |carriers: &[Carrier]| -> Vec<String> {
            generate(7, 2000, carriers)
                .into_iter()
                .flat_map(|m| m.dests)
                .collect()
        };
        let all = dests(&Carrier::ALL);
        let share = |list: &[&str]| all.iter().filter(|d| prefix(d, list)).count();
        let n = all.len();
        assert!(
            (n / 10..n / 5).contains(&share(UNICOM)),
            "{}",
            share(UNICOM)
        );
        assert!(
            (n / 10..n / 5).contains(&share(TELECOM)),
            "{}",
            share(TELECOM)
        );
        assert!((1..n / 50).contains(&share(NO_ROUTE)));
        // China Mobile alone: the old mix, about one in a hundred to China Telecom.
        let mobile = dests(&[Carrier::ChinaMobile]);
        assert!(!mobile.iter().any(|d| prefix(d, UNICOM)));
        let other = mobile.iter().filter(|d| prefix(d, OTHER)).count();
        assert!((1..mobile.len() / 50).contains(&other), "{other}");
    }
}
