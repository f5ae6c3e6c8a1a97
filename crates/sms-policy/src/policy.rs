//! The policy: checks run in a fixed order before a message leaves.

use crate::carrier::{Found, PrefixTable, Routes};
use crate::content::KeywordMatcher;
use crate::error::{clip, PolicyError};
use crate::number::{MobileNumber, NumberFormat};
use crate::numberset::NumberSet;
use crate::rate::RateLimiter;
use crate::text::normalize;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sms_records::{to_beijing, Carrier, Category, Event, EventKind, MessageInfo};
use std::fmt;
use std::io::Write;
use std::path::PathBuf;

/// The contract's access number (header: access number = enterprise code = billing number).
pub const CONTRACT_ACCESS_NUMBER: &str = "121231100";
/// Length of the CMPP Src_Id field in bytes.
pub const SRC_ID_LEN: usize = 21;
/// Default unsubscribe words, compared with the whole trimmed, normalised reply.
pub const DEFAULT_UNSUBSCRIBE_WORDS: [&str; 4] = ["TD", "T", "退订", "取消"];

/// The checks, in the order they run; each has a stable name used in journals and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    /// Clause 2.6: the calling number is under the access number and fits Src_Id.
    CallingNumber,
    /// The destination is a mainland mobile number (always on: later checks need it).
    DestinationFormat,
    /// A route exists: the destination's carrier (by the routing table) is one the SP has
    /// a contract with (China Mobile only by default). The name stays `carrier`.
    Carrier,
    /// Clause 2.9: the destination subscribed (opt-in) and did not unsubscribe (opt-out).
    Subscription,
    /// Clauses 2.2 and 2.9: no refused keyword; advertising only when permitted.
    Content,
    /// Per destination and category sending limits (flood protection).
    Rate,
}

impl Check {
    /// All checks in evaluation order.
    pub const ALL: [Check; 6] = [
        Check::CallingNumber,
        Check::DestinationFormat,
        Check::Carrier,
        Check::Subscription,
        Check::Content,
        Check::Rate,
    ];

    /// The stable name, e.g. `calling_number`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Check::CallingNumber => "calling_number",
            Check::DestinationFormat => "destination_format",
            Check::Carrier => "carrier",
            Check::Subscription => "subscription",
            Check::Content => "content",
            Check::Rate => "rate",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message about to be handed to the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// Calling number shown to the handset (Src_Id).
    pub src: String,
    /// Destination number as given.
    pub dest: String,
    /// Kind of message.
    pub category: Category,
    /// Message text.
    pub text: String,
}

/// The message passed every check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// The destination as 11 digits, country prefix removed.
    pub normalized_dest: MobileNumber,
    /// The carrier the routing table gives the destination (the client to send it with);
    /// `None` only when the carrier check is off and no carrier's ranges hold the number.
    pub carrier: Option<Carrier>,
}

/// The message was refused: which check and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The check that refused it.
    pub check: Check,
    /// Why, for a person.
    pub reason: String,
}

impl Refusal {
    fn new(check: Check, reason: String) -> Self {
        Refusal { check, reason }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check, self.reason)
    }
}

impl std::error::Error for Refusal {}

/// A number added to the opt-out list by an unsubscribe reply.
///
/// The journal has no opt-out event kind: the caller records this itself, e.g. as the JSON
/// line of [`OptOutChange::to_json_line`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOutChange {
    /// The number, 11 digits.
    pub number: String,
    /// The reply that asked for it, as the user wrote it (trimmed).
    pub word: String,
    /// When the reply was handled.
    pub at: DateTime<Utc>,
}

impl OptOutChange {
    /// One JSON object on one line: `{"number":…,"word":…,"at":…}`.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.to_string())
    }
}

impl fmt::Display for OptOutChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "opt-out {} by reply {:?} at {}",
            self.number,
            self.word,
            to_beijing(self.at).to_rfc3339()
        )
    }
}

/// Clause 2.6 settings: the calling number must start with the access number.
#[derive(Debug, Clone)]
struct CallingRule {
    access_number: String,
    max_len: usize,
}

/// The route check: which carriers the SP has a contract with.
#[derive(Debug, Clone)]
struct CarrierRule {
    contracts: Vec<Carrier>,
}

#[derive(Debug, Clone)]
struct SubscriptionRule {
    enabled: bool,
    opt_in: Option<NumberSet>,
    opt_out: NumberSet,
    opt_out_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
struct ContentRule {
    keywords: KeywordMatcher,
    allow_advertising: bool,
}

/// The sending policy: checks evaluated in [`Check::ALL`] order, stopping at the first refusal.
///
/// [`Policy::new`] gives the contract's defaults; the `with_*` methods change one check, so a
/// policy can be built in code (benches, tests) as well as from TOML
/// ([`Policy::from_toml_file`]).
///
/// `check` takes `&self` and does not count the message against rate limits; call
/// [`Policy::record_sent`] when the message is actually handed to the gateway, or
/// [`Policy::admit`] to check and count in one step.
///
/// ```
/// use chrono::Utc;
/// use sms_policy::{Check, KeywordMatcher, OutgoingMessage, Policy};
/// use sms_records::Category;
///
/// let policy = Policy::new().with_content(KeywordMatcher::new(["赌博"])?, false);
/// let msg = |dest: &str, text: &str| OutgoingMessage {
///     src: "1212311001".into(),
///     dest: dest.into(),
///     category: Category::Verification,
///     text: text.into(),
/// };
///
/// // A China Mobile number with a country prefix passes, normalized to 11 digits.
/// let ok = policy.check(&msg("+8613800138000", "您的验证码是 123456"), Utc::now()).unwrap();
/// assert_eq!(ok.normalized_dest.to_string(), "13800138000");
///
/// // A refused keyword names the check that refused it.
/// let refused = policy.check(&msg("13800138000", "赌博"), Utc::now()).unwrap_err();
/// assert_eq!(refused.check, Check::Content);
/// # Ok::<(), sms_policy::PolicyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    calling: Option<CallingRule>,
    format: NumberFormat,
    routes: Routes,
    carrier: Option<CarrierRule>,
    subscription: SubscriptionRule,
    content: Option<ContentRule>,
    rate: Option<RateLimiter>,
    unsubscribe_words: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::new()
    }
}

impl Policy {
    /// The contract's defaults: calling number under `121231100` within 21 bytes, strict
    /// destination format, the three carriers' built-in ranges with a contract with China
    /// Mobile only (so only its subscribers are served), opt-out enforced (no opt-in list
    /// until one is given), no keywords, advertising refused, no rate limits.
    pub fn new() -> Self {
        Policy {
            calling: Some(CallingRule {
                access_number: CONTRACT_ACCESS_NUMBER.into(),
                max_len: SRC_ID_LEN,
            }),
            format: NumberFormat::default(),
            routes: Routes::new(),
            carrier: Some(CarrierRule {
                contracts: vec![Carrier::ChinaMobile],
            }),
            subscription: SubscriptionRule {
                enabled: true,
                opt_in: None,
                opt_out: NumberSet::new(),
                opt_out_file: None,
            },
            content: Some(ContentRule {
                keywords: KeywordMatcher::new(Vec::<String>::new())
                    .expect("an empty keyword list is valid"),
                allow_advertising: false,
            }),
            rate: None,
            unsubscribe_words: DEFAULT_UNSUBSCRIBE_WORDS
                .iter()
                .map(|w| normalize(w))
                .collect(),
        }
    }

    /// Turns a check off. [`Check::DestinationFormat`] cannot be turned off: the checks after
    /// it need the parsed number; asking for it is ignored.
    pub fn without(mut self, check: Check) -> Self {
        match check {
            Check::CallingNumber => self.calling = None,
            Check::DestinationFormat => {}
            Check::Carrier => self.carrier = None,
            Check::Subscription => self.subscription.enabled = false,
            Check::Content => self.content = None,
            Check::Rate => self.rate = None,
        }
        self
    }

    /// Whether a check is on.
    pub fn is_enabled(&self, check: Check) -> bool {
        match check {
            Check::CallingNumber => self.calling.is_some(),
            Check::DestinationFormat => true,
            Check::Carrier => self.carrier.is_some(),
            Check::Subscription => self.subscription.enabled,
            Check::Content => self.content.is_some(),
            Check::Rate => self.rate.is_some(),
        }
    }

    /// Clause 2.6: the access number calling numbers must start with, and the longest
    /// calling number allowed (at most the 21-byte Src_Id field).
    pub fn with_calling_number(mut self, access_number: impl Into<String>, max_len: usize) -> Self {
        self.calling = Some(CallingRule {
            access_number: access_number.into(),
            max_len: max_len.min(SRC_ID_LEN),
        });
        self
    }

    /// How destination texts are read.
    pub fn with_number_format(mut self, format: NumberFormat) -> Self {
        self.format = format;
        self
    }

    /// China Mobile's number ranges, plus numbers ported in to China Mobile (routed to it
    /// outside the ranges) and ported out (without a route inside them, unless
    /// [`Routes::port`] names their new carrier). The other carriers keep their ranges, and
    /// the carrier check is turned on with the contracts it had (China Mobile by default).
    pub fn with_carrier(
        mut self,
        prefixes: PrefixTable,
        ported_in: NumberSet,
        ported_out: NumberSet,
    ) -> Self {
        let mut routes = std::mem::replace(&mut self.routes, Routes::empty())
            .with_prefixes(Carrier::ChinaMobile, prefixes)
            .with_ported_out(ported_out);
        routes.port_all(&ported_in, Carrier::ChinaMobile);
        self.routes = routes;
        if self.carrier.is_none() {
            self.carrier = Some(CarrierRule {
                contracts: vec![Carrier::ChinaMobile],
            });
        }
        self
    }

    /// The routing table (number → carrier). The carrier check keeps its contracts.
    pub fn with_routes(mut self, routes: Routes) -> Self {
        self.routes = routes;
        self
    }

    /// The carriers the SP has a contract with: the carrier check refuses a destination whose
    /// carrier is not one of them (and turns on if it was off).
    pub fn with_contracts(mut self, carriers: impl IntoIterator<Item = Carrier>) -> Self {
        let mut contracts: Vec<Carrier> = carriers.into_iter().collect();
        contracts.sort();
        contracts.dedup();
        self.carrier = Some(CarrierRule { contracts });
        self
    }

    /// Adds a carrier to those with a contract (turning the carrier check on if it was off,
    /// with China Mobile's contract as by default).
    pub fn with_contract(mut self, carrier: Carrier) -> Self {
        let rule = self.carrier.get_or_insert_with(|| CarrierRule {
            contracts: vec![Carrier::ChinaMobile],
        });
        if !rule.contracts.contains(&carrier) {
            rule.contracts.push(carrier);
            rule.contracts.sort();
        }
        self
    }

    /// The carriers with a contract, in [`Carrier::ALL`] order (empty when the carrier
    /// check is off: then no number is refused for its route).
    pub fn contracts(&self) -> &[Carrier] {
        self.carrier.as_ref().map_or(&[], |r| &r.contracts)
    }

    /// The routing table.
    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    /// The carrier serving `number`, by the routing table (whether or not it has a contract).
    pub fn route(&self, number: MobileNumber) -> Option<Carrier> {
        self.routes.route(number)
    }

    /// The carrier serving a destination as given (read with this policy's number format);
    /// `None` when it is not a mainland mobile number or no carrier serves it.
    pub fn route_dest(&self, dest: &str) -> Option<Carrier> {
        MobileNumber::parse_with(dest, self.format)
            .ok()
            .and_then(|n| self.route(n))
    }

    /// How destination texts are read (see [`Policy::with_number_format`]).
    pub fn number_format(&self) -> NumberFormat {
        self.format
    }

    /// The journal event for a refused message, as [`refusal_event`] makes it, with the
    /// carrier the destination routes to (China Mobile when it routes nowhere).
    pub fn refusal_event(
        &self,
        msg: &OutgoingMessage,
        refusal: &Refusal,
        local_id: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Event {
        let mut event = refusal_event(msg, refusal, local_id, now);
        if let (EventKind::Refused { info, .. }, Some(c)) =
            (&mut event.kind, self.route_dest(&msg.dest))
        {
            info.carrier = c;
        }
        event
    }

    /// Clause 2.9: only these numbers subscribed; others are refused.
    pub fn with_opt_in(mut self, opt_in: NumberSet) -> Self {
        self.subscription.opt_in = Some(opt_in);
        self.subscription.enabled = true;
        self
    }

    /// Numbers that unsubscribed; refused even when opted in.
    pub fn with_opt_out(mut self, opt_out: NumberSet) -> Self {
        self.subscription.opt_out = opt_out;
        self
    }

    /// The file unsubscribe replies are appended to (the opt-out list's file).
    pub fn with_opt_out_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.subscription.opt_out_file = Some(path.into());
        self
    }

    /// Clauses 2.2, 2.9: refused keywords and whether advertising is permitted.
    pub fn with_content(mut self, keywords: KeywordMatcher, allow_advertising: bool) -> Self {
        self.content = Some(ContentRule {
            keywords,
            allow_advertising,
        });
        self
    }

    /// Sending limits per destination and category.
    pub fn with_rate(mut self, limiter: RateLimiter) -> Self {
        self.rate = Some(limiter);
        self
    }

    /// Replies that unsubscribe (compared trimmed, width- and case-insensitively).
    pub fn with_unsubscribe_words<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.unsubscribe_words = words
            .into_iter()
            .map(|w| normalize(w.as_ref()).trim().to_string())
            .filter(|w| !w.is_empty())
            .collect();
        self
    }

    /// The opt-out list.
    pub fn opt_out(&self) -> &NumberSet {
        &self.subscription.opt_out
    }

    /// The opt-in list, if one is configured.
    pub fn opt_in(&self) -> Option<&NumberSet> {
        self.subscription.opt_in.as_ref()
    }

    /// The opt-in list for changes (new subscriptions), if one is configured.
    pub fn opt_in_mut(&mut self) -> Option<&mut NumberSet> {
        self.subscription.opt_in.as_mut()
    }

    /// The rate limiter, if rate limits are on.
    pub fn rate(&self) -> Option<&RateLimiter> {
        self.rate.as_ref()
    }

    /// Runs the checks in order; the first refusal wins. Does not count the message.
    pub fn check(&self, msg: &OutgoingMessage, now: DateTime<Utc>) -> Result<Accepted, Refusal> {
        if let Some(rule) = &self.calling {
            check_calling(rule, &msg.src)?;
        }
        let dest = MobileNumber::parse_with(&msg.dest, self.format).map_err(|e| {
            Refusal::new(
                Check::DestinationFormat,
                format!(
                    "destination `{}` is not a mainland mobile number: {e}",
                    clip(&msg.dest)
                ),
            )
        })?;
        let found = self.routes.find(dest);
        if let Some(rule) = &self.carrier {
            check_route(rule, dest, found)?;
        }
        let sub = &self.subscription;
        if sub.enabled {
            if sub.opt_out.contains(dest) {
                return Err(Refusal::new(
                    Check::Subscription,
                    format!("destination {dest} unsubscribed (clause 2.9)"),
                ));
            }
            if let Some(opt_in) = &sub.opt_in {
                if !opt_in.contains(dest) {
                    return Err(Refusal::new(
                        Check::Subscription,
                        format!("destination {dest} has not subscribed (clause 2.9)"),
                    ));
                }
            }
        }
        if let Some(rule) = &self.content {
            if msg.category == Category::Advertising && !rule.allow_advertising {
                return Err(Refusal::new(
                    Check::Content,
                    "advertising is not permitted for this platform (clause 2.2)".into(),
                ));
            }
            if let Some(k) = rule.keywords.find(&msg.text) {
                return Err(Refusal::new(
                    Check::Content,
                    format!(
                        "text contains the refused keyword `{}` (clause 2.9)",
                        clip(k)
                    ),
                ));
            }
        }
        if let Some(rate) = &self.rate {
            rate.check(dest, msg.category, now).map_err(|ex| {
                Refusal::new(
                    Check::Rate,
                    format!(
                        "destination {dest} already had {} {} message(s) within {}; next allowed at {}",
                        ex.limit.max,
                        msg.category,
                        describe_window(ex.limit.window),
                        to_beijing(ex.retry_at).to_rfc3339()
                    ),
                )
            })?;
        }
        Ok(Accepted {
            normalized_dest: dest,
            carrier: match found {
                Found::Ported(c) | Found::Range(c) => Some(c),
                Found::PortedOut | Found::Nowhere => None,
            },
        })
    }

    /// Counts a message handed to the gateway against the rate limits.
    pub fn record_sent(&mut self, dest: MobileNumber, category: Category, now: DateTime<Utc>) {
        if let Some(rate) = &mut self.rate {
            rate.record(dest, category, now);
        }
    }

    /// Checks and, when accepted, counts the message in one step (for callers that send
    /// every accepted message).
    pub fn admit(
        &mut self,
        msg: &OutgoingMessage,
        now: DateTime<Utc>,
    ) -> Result<Accepted, Refusal> {
        let accepted = self.check(msg, now)?;
        self.record_sent(accepted.normalized_dest, msg.category, now);
        Ok(accepted)
    }

    /// Saves the rate counts to their state file, when rate limits with a state file are on.
    pub fn save_state(&self) -> Result<(), PolicyError> {
        match &self.rate {
            Some(r) if r.path().is_some() => r.save(),
            _ => Ok(()),
        }
    }

    /// Handles a message from a user: when its whole trimmed text is an unsubscribe word,
    /// adds the sender to the opt-out list, appends it to the opt-out file (when one is
    /// configured) and returns the change for the caller to journal.
    ///
    /// `None` when the text is not an unsubscribe word or the number had already opted out.
    pub fn handle_user_message(
        &mut self,
        from: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OptOutChange>, PolicyError> {
        let normal = normalize(text);
        let normal = normal.trim();
        if !self.unsubscribe_words.iter().any(|w| w == normal) {
            return Ok(None);
        }
        let number = MobileNumber::parse_with(from, self.format).map_err(|source| {
            PolicyError::OptOutNumber {
                number: clip(from),
                source,
            }
        })?;
        if self.subscription.opt_out.contains(number) {
            return Ok(None);
        }
        let change = OptOutChange {
            number: number.to_string(),
            word: text.trim().to_string(),
            at: now,
        };
        if let Some(path) = &self.subscription.opt_out_file {
            // Appending keeps the cost of one unsubscribe independent of the list's size;
            // the trailing comment is skipped when the list is read back.
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| PolicyError::io(path, e))?;
            let word = change.word.replace(['\n', '\r', '#'], " ");
            writeln!(
                f,
                "{number} # {} {}",
                clip(&word),
                to_beijing(now).to_rfc3339()
            )
            .and_then(|_| f.sync_data())
            .map_err(|e| PolicyError::io(path, e))?;
        }
        self.subscription.opt_out.insert(number);
        Ok(Some(change))
    }
}

/// "A route exists": the destination's carrier has a contract.
fn check_route(rule: &CarrierRule, dest: MobileNumber, found: Found) -> Result<(), Refusal> {
    let contracts = || {
        if rule.contracts.is_empty() {
            "no carrier".to_string()
        } else {
            let names: Vec<&str> = rule.contracts.iter().map(|c| c.full_name()).collect();
            names.join(", ")
        }
    };
    let reason = match found {
        Found::Ported(c) | Found::Range(c) if rule.contracts.contains(&c) => return Ok(()),
        Found::Ported(c) => format!(
            "no route: {dest} was ported to {} and no {} contract is configured (contracts: {})",
            c.full_name(),
            c.full_name(),
            contracts()
        ),
        Found::Range(c) => format!(
            "no route: {dest} is {}'s and no {} contract is configured (contracts: {})",
            c.full_name(),
            c.full_name(),
            contracts()
        ),
        Found::PortedOut => format!(
            "no route: {dest} was ported out of China Mobile to a carrier not listed (add it to carrier.ported)"
        ),
        Found::Nowhere => format!(
            "no route: {dest} is in no carrier's number ranges (contracts: {})",
            contracts()
        ),
    };
    Err(Refusal::new(Check::Carrier, reason))
}

fn check_calling(rule: &CallingRule, src: &str) -> Result<(), Refusal> {
    let refuse = |reason: String| Err(Refusal::new(Check::CallingNumber, reason));
    if src.is_empty() {
        return refuse(
            "no calling number: every message must show the platform's number (clause 2.6)".into(),
        );
    }
    if src.len() > rule.max_len {
        return refuse(format!(
            "calling number `{}` is {} bytes, longer than {} (Src_Id, clause 2.6)",
            clip(src),
            src.len(),
            rule.max_len
        ));
    }
    if !src.bytes().all(|b| b.is_ascii_digit()) {
        return refuse(format!(
            "calling number `{}` has a character that is not a digit (clause 2.6)",
            clip(src)
        ));
    }
    if !src.starts_with(&rule.access_number) {
        return refuse(format!(
            "calling number `{src}` is not under the access number {} (clause 2.6)",
            rule.access_number
        ));
    }
    Ok(())
}

fn describe_window(w: chrono::Duration) -> String {
    let s = w.num_seconds();
    match s {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 3_600 == 0 => format!("{} hour(s)", s / 3_600),
        s if s % 60 == 0 => format!("{} minute(s)", s / 60),
        s => format!("{s} second(s)"),
    }
}

/// The journal event for a refused message: `EventKind::Refused` with the check's name and
/// reason. The message is recorded as one segment; the caller adjusts segmentation if needed.
pub fn refusal_event(
    msg: &OutgoingMessage,
    refusal: &Refusal,
    local_id: impl Into<String>,
    now: DateTime<Utc>,
) -> Event {
    Event {
        at: now,
        local_id: Some(local_id.into()),
        kind: EventKind::Refused {
            info: MessageInfo {
                src: msg.src.clone(),
                dest: msg.dest.clone(),
                category: msg.category,
                segment: 1,
                segments: 1,
                group_id: None,
                carrier: sms_records::Carrier::ChinaMobile,
            },
            check: refusal.check.as_str().to_string(),
            reason: refusal.reason.clone(),
        },
    }
}
